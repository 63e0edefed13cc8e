#!/usr/bin/env bash
# Instructions per call of each tally command and of what it replaces, counted by
# callgrind inside the server's call() (command execution only: no network, no protocol
# parsing). Repeatable whatever else the machine is doing, unlike requests/s.
#
# The server runs under callgrind with instrumentation off while the data is written (at
# about native speed), then on for the measured calls only. The data mirrors `make bench`:
# a 1000-player leaderboard with the names redis-benchmark writes (zero-padded to 12 digits,
# so every call finds its member), audit streams filled to their cap of 1000 with the same
# entry (and those created MAXLEN ~, CHAIN and ONFULL REFUSE with two groups), the semaphores
# of bench/lib.sh, and the same Lua scripts.
#
# Usage: bench/profile.sh [calls per command, default 5000]; TALLY_SERVER picks the server
# binary (default redis-server), as for the tests, so each server of the matrix is counted.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
LOG_NAME=profile

readonly CALLS=${1:-5000}
readonly PLAYERS=1000
readonly AUDIT_KEYS=100
readonly AUDIT_CAP=1000
readonly LIMIT_KEYS=100
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-profile.XXXXXX")
SERVER_PID=""
trap cleanup EXIT

# Over a unix socket: this replaces lib.sh's cli, and so what checked sends through.
cli() { redis-cli -s "$TMP/redis.sock" "$@"; }

start_callgrind() {
    valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no --toggle-collect=call \
        --callgrind-out-file="$TMP/callgrind.out" \
        "$SERVER_BIN" --port 0 --unixsocket "$TMP/redis.sock" --dir "$TMP" --save '' --loglevel verbose \
        --loadmodule "$MODULE" --loadmodule "$PWD/.tools/redis-cell/libredis_cell.so" --loadmodule "$FLOOR_MODULE" >"$TMP/valgrind.log" 2>&1 &
    SERVER_PID=$!
    wait_ready "$SERVER_PID" 60 0.1 cli && return 0
    cat "$TMP/valgrind.log" >&2
    die "server did not start"
}

# Data as `make bench` has it (see bench/run.sh), written before instrumentation is on.
prefill() {
    # Board 1 of bench/run.sh, as a plain leaderboard and as a TIEBREAK FIRST tournament.
    checked eval "$(cat bench/lua/zadd_players.lua)" 1 'bench:{1}' "$PLAYERS" 1 >/dev/null
    checked tourney.create 'first:{1}' TIEBREAK FIRST >/dev/null
    checked eval "$(cat bench/lua/submit_players.lua)" 1 'first:{1}' "$PLAYERS" 1 >/dev/null
    # The same board as tournaments created ORDER DESC (with member data) and ORDER ASC.
    local order
    for order in desc asc; do
        checked eval "$(cat bench/lua/zadd_players.lua)" 1 "$order:{1}" "$PLAYERS" 1 >/dev/null
        checked tourney.create "$order:{1}" ORDER "$order" >/dev/null
    done
    checked eval "$(cat bench/lua/player_data.lua)" 1 'desc:{1}:data' "$PLAYERS" >/dev/null
    checked config set tally.audit-max-len "$AUDIT_CAP" >/dev/null
    checked eval "$(cat bench/lua/prefill_audit.lua)" 0 "$AUDIT_KEYS" "$AUDIT_CAP" >/dev/null
    checked eval "$(cat bench/lua/prefill_leases.lua)" 0 "$LIMIT_KEYS" "$LEASE_HELD" "$LEASE_MS" ls ls2 >/dev/null
    INCR_SHA=$(checked script load "$(cat bench/lua/incr_rank.lua)")
    SLIDE_SHA=$(checked script load "$(cat bench/lua/sliding_window.lua)")
    FIXED_SHA=$(checked script load "$(cat bench/lua/fixed_window.lua)")
    ACQUIRE_SHA=$(checked script load "$(cat bench/lua/semaphore_acquire.lua)")
    RELEASE_SHA=$(checked script load "$(cat bench/lua/semaphore_release.lua)")
    NOW=$(server_now_ms)
    [[ $NOW =~ ^[0-9]{13}$ ]] || die "could not read the server time: $NOW"
    callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1 || die "could not switch instrumentation on"
}

declare -A COUNT=()

# measure name range command...: instructions per call of CALLS calls, random numbers over 0..range-1.
# In full `make bench` runs redis-benchmark has, rarely, lost its connection to the server under
# callgrind ("All clients disconnected"; never in profile.sh alone): the measurement is then shown
# with the server's verbose log and taken once more from zeroed counters, so one lost connection
# does not throw away a 20-minute run while its cause stays visible.
measure() {
    local name=$1 range=$2 attempt
    shift 2
    for attempt in 1 2; do
        counted_since_dump "$SERVER_PID" "$TMP" >/dev/null
        if redis-benchmark -s "$TMP/redis.sock" -n "$CALLS" -c 1 -P 16 -r "$range" -q "$@" >"$TMP/benchmark.txt" 2>&1; then
            COUNT[$name]=$(($(counted_since_dump "$SERVER_PID" "$TMP") / CALLS))
            return
        fi
        tail -n 5 "$TMP/benchmark.txt" >&2
        tail -n 60 "$TMP/valgrind.log" >&2
        log "redis-benchmark failed measuring $name (attempt $attempt of 2)"
    done
    die "redis-benchmark failed measuring $name twice"
}

# row command-label name baseline-label baseline-name: one row of the table.
row() {
    awk -v c="$1" -v a="${COUNT[$2]}" -v b="$3" -v s="${COUNT[$4]}" 'BEGIN {
        printf "| %s | %d | %s | %d | %.2fx |\n", c, a, b, s, s / a
    }'
}

main() {
    build_floor_module
    start_callgrind
    prefill
    local board='bench:{1}' member='m:__rand_int__' sl='sl:{__rand_int__}' rl='rl:{__rand_int__}'
    local entry=(action add item_id __rand_int__ quantity 3)
    measure incr "$PLAYERS" TOURNEY.INCR "$board" "$member" 1
    measure zincrby "$PLAYERS" ZINCRBY "$board" 1 "$member"
    measure evalsha "$PLAYERS" EVALSHA "$INCR_SHA" 1 "$board" "$member" 1
    measure rank "$PLAYERS" TOURNEY.RANK "$board" "$member"
    measure zrevrank "$PLAYERS" ZREVRANK "$board" "$member"
    measure rankfloor "$PLAYERS" FLOOR.RANK "$board" "$member"
    measure rankcall "$PLAYERS" FLOOR.ZREVRANK "$board" "$member"
    measure ranks10 "$PLAYERS" TOURNEY.RANKS "$board" 10 "$member" "$member" "$member" "$member" "$member" "$member" "$member" "$member" "$member" "$member"
    measure incrfirst "$PLAYERS" TOURNEY.INCR 'first:{1}' "$member" 1
    measure rankfirst "$PLAYERS" TOURNEY.RANK 'first:{1}' "$member"
    measure top "$PLAYERS" TOURNEY.TOP "$board" 10
    measure incrdesc "$PLAYERS" TOURNEY.INCR 'desc:{1}' "$member" 1
    measure incrasc "$PLAYERS" TOURNEY.INCR 'asc:{1}' "$member" 1
    measure rankdesc "$PLAYERS" TOURNEY.RANK 'desc:{1}' "$member"
    measure rankasc "$PLAYERS" TOURNEY.RANK 'asc:{1}' "$member"
    measure topdesc "$PLAYERS" TOURNEY.TOP 'desc:{1}' 10
    measure topasc "$PLAYERS" TOURNEY.TOP 'asc:{1}' 10
    measure topdata "$PLAYERS" TOURNEY.TOP 'desc:{1}' 10 WITHDATA
    measure zrange "$PLAYERS" ZRANGE "$board" 0 9 REV WITHSCORES
    measure slide "$LIMIT_KEYS" LIMIT.SLIDE "$sl" 3600000 100000
    measure slidelua "$LIMIT_KEYS" EVALSHA "$SLIDE_SHA" 1 "sl2:{__rand_int__}" 3600000 100000 "$NOW" 'req:__rand_int__:__rand_int__'
    measure gcra "$LIMIT_KEYS" LIMIT.GCRA "$rl" 100 1000 1000
    measure setpx "$LIMIT_KEYS" SET "$rl:s" v PX 1000
    measure throttle "$LIMIT_KEYS" CL.THROTTLE "$rl:t" 100 1000 1 1
    measure fixed "$LIMIT_KEYS" LIMIT.FIXED 'fx:{__rand_int__}' 3600000 1000000000
    measure fixedlua "$LIMIT_KEYS" EVALSHA "$FIXED_SHA" 1 'fx2:{__rand_int__}' 3600000 1000000000
    measure incrbare "$LIMIT_KEYS" INCR 'fx3:{__rand_int__}'
    measure acquire "$LIMIT_KEYS" LIMIT.ACQUIRE 'ls:{__rand_int__}' "$LEASE_MAX" "$LEASE_MS" TOKEN "$LEASE_TOKEN"
    measure acquirelua "$LIMIT_KEYS" EVALSHA "$ACQUIRE_SHA" 1 'ls2:{__rand_int__}' "$LEASE_MAX" "$LEASE_MS" "$LEASE_TOKEN" "$NOW"
    measure release "$LIMIT_KEYS" LIMIT.RELEASE 'ls:{__rand_int__}' "$LEASE_TOKEN"
    measure releaselua "$LIMIT_KEYS" EVALSHA "$RELEASE_SHA" 1 'ls2:{__rand_int__}' "$LEASE_TOKEN"
    measure append "$AUDIT_KEYS" AUDIT.APPEND 'audit:{__rand_int__}' "${entry[@]}"
    measure idem "$AUDIT_KEYS" AUDIT.APPEND 'audit:{__rand_int__}' IDEMPOTENT 'p:__rand_int__:__rand_int__' 1 "${entry[@]}"
    measure xadd "$AUDIT_KEYS" XADD 'audit2:{__rand_int__}' MAXLEN '~' "$AUDIT_CAP" '*' "${entry[@]}"
    measure xaddexact "$AUDIT_KEYS" XADD 'audit3:{__rand_int__}' MAXLEN = "$AUDIT_CAP" '*' "${entry[@]}"
    measure approx "$AUDIT_KEYS" AUDIT.APPEND 'audit4:{__rand_int__}' "${entry[@]}"
    measure chained "$AUDIT_KEYS" AUDIT.APPEND 'audit5:{__rand_int__}' "${entry[@]}"
    measure refuse "$AUDIT_KEYS" AUDIT.APPEND 'audit6:{__rand_int__}' "${entry[@]}"
    measure ping 1 PING
    local prefix streams
    for prefix in audit audit3 audit5 audit6; do
        streams=$(cli eval "$(cat bench/lua/stream_lengths.lua)" 0 "$prefix" "$AUDIT_KEYS" | paste -sd/)
        [[ $streams == "$AUDIT_CAP/$AUDIT_CAP" ]] || die "the exactly trimmed $prefix streams hold $streams entries, not $AUDIT_CAP"
    done
    check_no_errors cli "the server replied errors"
    cli shutdown nosave >/dev/null 2>&1 || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    report
}

# The report: bench/report/profile.md with the counts filled in.
report() {
    fill_template bench/report/profile.md \
        CALLS="$CALLS" \
        SERVER_NAME="$(server_name)" \
        SERVER_VERSION="$(server_version)" \
        PLAYERS="$PLAYERS" \
        LIMIT_KEYS="$LIMIT_KEYS" \
        LOG_MAX="$((CALLS / LIMIT_KEYS))" \
        AUDIT_KEYS="$AUDIT_KEYS" \
        AUDIT_CAP="$AUDIT_CAP" \
        ROWS="$(rows)"
}

rows() {
    row TOURNEY.INCR incr ZINCRBY zincrby
    row TOURNEY.INCR incr 'EVALSHA (ZINCRBY + ZREVRANK in Lua)' evalsha
    row TOURNEY.RANK rank ZREVRANK zrevrank
    row 'FLOOR.RANK: settings lookup + RM_Call of ZREVRANK' rankfloor ZREVRANK zrevrank
    row 'FLOOR.ZREVRANK: RM_Call of ZREVRANK alone' rankcall ZREVRANK zrevrank
    row TOURNEY.RANK rank "FLOOR.RANK (the module API's floor)" rankfloor
    COUNT[rank10]=$((COUNT[rank] * 10))
    row 'TOURNEY.RANKS of 10 members' ranks10 'TOURNEY.RANK x 10' rank10
    row 'TOURNEY.INCR, TIEBREAK FIRST' incrfirst 'TOURNEY.INCR, plain leaderboard' incr
    row 'TOURNEY.RANK, TIEBREAK FIRST' rankfirst 'TOURNEY.RANK, plain leaderboard' rank
    row 'TOURNEY.TOP key 10' top 'ZRANGE key 0 9 REV WITHSCORES' zrange
    row 'TOURNEY.INCR, ORDER ASC tournament' incrasc 'TOURNEY.INCR, ORDER DESC tournament' incrdesc
    row 'TOURNEY.RANK, ORDER ASC tournament' rankasc 'TOURNEY.RANK, ORDER DESC tournament' rankdesc
    row 'TOURNEY.TOP key 10, ORDER ASC tournament' topasc 'TOURNEY.TOP key 10, ORDER DESC tournament' topdesc
    row 'TOURNEY.TOP key 10 WITHDATA' topdata 'TOURNEY.TOP key 10 (the same tournament)' topdesc
    row LIMIT.SLIDE slide 'EVALSHA (sliding-window Lua script)' slidelua
    row LIMIT.GCRA gcra 'SET key v PX 1000' setpx
    row LIMIT.GCRA gcra 'CL.THROTTLE (redis-cell 0.2.2)' throttle
    row LIMIT.FIXED fixed 'EVALSHA (fixed-window Lua script)' fixedlua
    row LIMIT.FIXED fixed 'INCR' incrbare
    row LIMIT.ACQUIRE acquire 'EVALSHA (semaphore acquire script)' acquirelua
    row LIMIT.RELEASE release 'EVALSHA (semaphore release script)' releaselua
    row "AUDIT.APPEND (exact cap $AUDIT_CAP)" append "XADD MAXLEN ~ $AUDIT_CAP" xadd
    row "AUDIT.APPEND IDEMPOTENT (exact cap $AUDIT_CAP)" idem "XADD MAXLEN ~ $AUDIT_CAP" xadd
    row "AUDIT.APPEND (exact cap $AUDIT_CAP)" append "XADD MAXLEN = $AUDIT_CAP (exact)" xaddexact
    row "AUDIT.APPEND, stream created MAXLEN ~ $AUDIT_CAP" approx "XADD MAXLEN ~ $AUDIT_CAP" xadd
    row 'AUDIT.APPEND, stream created CHAIN' chained 'AUDIT.APPEND (exact, unchained)' append
    row 'AUDIT.APPEND, ONFULL REFUSE, 2 groups, at cap' refuse 'AUDIT.APPEND (ONFULL TRIM)' append
    echo "| PING | ${COUNT[ping]} | - | - | - |"
}

main
