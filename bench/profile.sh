#!/usr/bin/env bash
# Instructions per call of each tally command and of what it replaces, counted by
# callgrind inside the server's call() (command execution only: no network, no protocol
# parsing). Repeatable whatever else the machine is doing, unlike requests/s.
#
# Usage: bench/profile.sh [calls per command, default 5000]
set -euo pipefail
cd "$(dirname "$0")/.."

readonly CALLS=${1:-5000}
readonly MODULE="$PWD/target/release/libtally.so"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-profile.XXXXXX")
SERVER_PID=""

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

cli() { redis-cli -s "$TMP/redis.sock" "$@"; }

start_server() {
    valgrind --tool=callgrind --toggle-collect=call --collect-atstart=no \
        --callgrind-out-file="$TMP/callgrind.out" \
        redis-server --port 0 --unixsocket "$TMP/redis.sock" --dir "$TMP" --save '' \
        --loadmodule "$MODULE" >"$TMP/valgrind.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        cli ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "profile: server did not start" >&2
    exit 1
}

# Instructions counted since the last dump (a dump writes the counters and zeroes them).
counted_since_dump() {
    callgrind_control -d "$SERVER_PID" >/dev/null 2>&1
    local dump
    dump=$(ls -t "$TMP"/callgrind.out* | head -1)
    awk '/^summary:|^totals:/ { print $2; exit }' "$dump"
}

prefill() {
    # 100 leaderboards of 1000 players, as `make bench` uses.
    cli eval "for k = 0, 99 do for m = 0, 999 do
        redis.call('ZADD', string.format('bench:{%d}', k), (m * 7919 + k * 104729) % 100003, string.format('m:%d', m))
      end end return 1" 0 >/dev/null
    cli script load "local s = redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[1]) local r = redis.call('ZREVRANK', KEYS[1], ARGV[1]) return {s, r + 1}"
}

measure() {
    local label=$1
    shift
    counted_since_dump >/dev/null
    redis-benchmark -s "$TMP/redis.sock" -n "$CALLS" -c 1 -P 16 -r 100 -q "$@" >/dev/null
    printf '| %s | %s |\n' "$label" $(( $(counted_since_dump) / CALLS ))
}

main() {
    start_server
    local sha
    sha=$(prefill)
    echo "Instructions per call inside call() (callgrind, $CALLS calls each, $(redis-server --version | cut -d' ' -f3)):"
    echo
    echo '| command | instructions per call |'
    echo '|---|---|'
    measure 'TOURNEY.INCR' TOURNEY.INCR 'bench:{__rand_int__}' 'm:__rand_int__' 1
    measure 'ZINCRBY' ZINCRBY 'bench:{__rand_int__}' 1 'm:__rand_int__'
    measure 'EVALSHA ZINCRBY + ZREVRANK' EVALSHA "$sha" 1 'bench:{__rand_int__}' 'm:__rand_int__' 1
    measure 'TOURNEY.RANK' TOURNEY.RANK 'bench:{__rand_int__}' 'm:__rand_int__'
    measure 'ZREVRANK' ZREVRANK 'bench:{__rand_int__}' 'm:__rand_int__'
    measure 'TOURNEY.TOP 10' TOURNEY.TOP 'bench:{__rand_int__}' 10
    measure 'ZRANGE 0 9 REV WITHSCORES' ZRANGE 'bench:{__rand_int__}' 0 9 REV WITHSCORES
    measure 'LIMIT.GCRA' LIMIT.GCRA 'rl:{__rand_int__}' 100 1000 1000
    measure 'SET PX 1000' SET 'rl:{__rand_int__}:s' v PX 1000
    measure 'LIMIT.SLIDE' LIMIT.SLIDE 'sl:{__rand_int__}' 3600000 100000
    measure 'AUDIT.APPEND (3 fields)' AUDIT.APPEND 'audit:{__rand_int__}' action add item_id __rand_int__ quantity 3
    measure 'XADD MAXLEN ~ 10000 (3 fields)' XADD 'audit2:{__rand_int__}' MAXLEN '~' 10000 '*' action add item_id __rand_int__ quantity 3
    cli shutdown nosave >/dev/null 2>&1 || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

main
