#!/usr/bin/env bash
# `make dist`: the release archive dist/tally-<version>-linux-<arch>.tar.gz, with the module
# stripped (its debug symbols beside it, linked by .gnu_debuglink), module.conf, README.md,
# LICENSE, CHANGELOG.md and SHA256SUMS; and the archive's own checksum beside it.
# The version is Cargo.toml's, the one MODULE LIST reports. DIST_DIR changes the folder.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
name="tally-$version-linux-$(uname -m)"
out=${DIST_DIR:-dist}
module=target/release/libtally.so
[ -f "$module" ] || { echo "dist: build the module first (cargo build --release)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$module" module.conf README.md LICENSE CHANGELOG.md "$stage/$name/"
(
    cd "$stage/$name"
    objcopy --only-keep-debug libtally.so libtally.so.debug
    strip --strip-debug --strip-unneeded libtally.so
    objcopy --add-gnu-debuglink=libtally.so.debug libtally.so
    sha256sum -- * >SHA256SUMS
)
mkdir -p "$out"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
