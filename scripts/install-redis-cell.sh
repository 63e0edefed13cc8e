#!/usr/bin/env bash
# Builds redis-cell, the module whose CL.THROTTLE is LIMIT.GCRA's baseline in `make bench`, into
# .tools/redis-cell/libredis_cell.so (git-ignored). Idempotent: skipped when the module is there.
# The version is the one crates.io has (0.2.2; later releases are on GitHub only): the same GCRA
# with the same parameters, built from source with cargo like tally.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly VERSION=0.2.2
readonly TARGET=.tools/redis-cell/libredis_cell.so
[ -f "$TARGET" ] && exit 0

echo "install-redis-cell: building redis-cell $VERSION"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A throwaway package depending on it makes cargo fetch its source from crates.io.
mkdir -p "$work/fetch/src"
: >"$work/fetch/src/lib.rs"
printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\nredis-cell = "=%s"\n' \
    "$VERSION" >"$work/fetch/Cargo.toml"
cargo fetch --quiet --manifest-path "$work/fetch/Cargo.toml"
source_dir=$(cargo metadata --format-version 1 --manifest-path "$work/fetch/Cargo.toml" |
    python3 -c 'import json, os, sys
packages = json.load(sys.stdin)["packages"]
print(os.path.dirname(next(p["manifest_path"] for p in packages if p["name"] == "redis-cell")))')
cp -r "$source_dir" "$work/redis-cell"
cargo build --quiet --release --manifest-path "$work/redis-cell/Cargo.toml" 2>"$work/build.log" || {
    cat "$work/build.log" >&2
    exit 1
}
mkdir -p "$(dirname "$TARGET")"
cp "$work/redis-cell/target/release/libredis_cell.so" "$TARGET"
echo "install-redis-cell: $TARGET"
