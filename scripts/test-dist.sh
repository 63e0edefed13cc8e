#!/usr/bin/env bash
# Checks `make dist`'s archive as a user gets it: its checksums hold, the module in it is
# stripped and loads into each server of the test matrix, reporting Cargo.toml's version.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

archive=$(DIST_DIR="$work/dist" scripts/dist.sh)
(cd "$work/dist" && sha256sum --quiet -c ./*.sha256)
tar -C "$work" -xzf "$archive"
unpacked=$(find "$work" -maxdepth 1 -type d -name 'tally-*')
(cd "$unpacked" && sha256sum --quiet -c SHA256SUMS)
for file in libtally.so libtally.so.debug module.conf README.md LICENSE CHANGELOG.md; do
    [ -s "$unpacked/$file" ] || { echo "test-dist: $file missing" >&2; exit 1; }
done
if objdump -h "$unpacked/libtally.so" | grep -q '\.debug_info'; then
    echo "test-dist: libtally.so still has debug info" >&2
    exit 1
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
IFS=. read -r major minor patch <<<"$version"
expected=$((major * 10000 + minor * 100 + patch))
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for server in redis-server .tools/redis8/redis-server .tools/valkey/valkey-server; do
    port=$(free_port)
    mkdir -p "$work/$port"
    "$server" --port "$port" --dir "$work/$port" --save '' --appendonly no \
        --loadmodule "$unpacked/libtally.so" >"$work/$port/log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$port" PING 2>/dev/null | grep -q PONG && break
        sleep 0.05
    done
    listed=$(redis-cli -p "$port" MODULE LIST | tr '\n' ' ')
    if ! grep -q "name tally ver $expected " <<<"$listed "; then
        echo "test-dist: $server: MODULE LIST shows '$listed', expected tally ver $expected" >&2
        cat "$work/$port/log" >&2
        exit 1
    fi
    kill "$pid" && wait "$pid" 2>/dev/null || true
    pid=
    echo "test-dist: $(basename "$archive") loads on $server (tally ver $expected)"
done
