#!/usr/bin/env bash
# Tests the Python client (clients/python, package tally-redis for redis-py) against live
# servers with the module: standalone over RESP2 and RESP3, sync and asyncio, pipelines and a
# 3-node cluster, plus mypy --strict. The package and its pinned test tools live in a
# project-local venv (clients/python/.venv, git-ignored), made or updated only when
# pyproject.toml changed. TALLY_SERVER picks the server binary (default redis-server); the
# module must be built (cargo build --release).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/clients/python"

module="${TALLY_MODULE:-$root/target/release/libtally.so}"
if [ ! -f "$module" ]; then
  echo "test-python-client: $module is missing; run 'make build' first" >&2
  exit 1
fi

venv=.venv
stamp=$venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --editable '.[test]'
  touch "$stamp"
fi

exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
