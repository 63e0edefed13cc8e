#!/usr/bin/env bash
# Installs what building and testing tally needs, only when it is missing (idempotent).
# Debian 12, run as root (CI and the dev machines are); prints what it installs.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v objcopy >/dev/null 2>&1 || missing+=(binutils)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-pip)
# The Python client's tests run in a venv; Debian's python3 needs python3-venv for one.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    # The Debian package starts a server on 6379; tally's tests never use it.
fi

command -v cargo >/dev/null 2>&1 || { echo "install-deps: cargo (Rust) is required" >&2; exit 1; }

# make lint's tools, when the toolchain came without them.
for tool in clippy rustfmt; do
    if ! cargo "${tool/rustfmt/fmt}" --version >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1; then
        echo "install-deps: installing the $tool component"
        rustup component add "$tool"
    fi
done
