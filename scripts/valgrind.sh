#!/usr/bin/env bash
# Runs redis-server (or $TALLY_SERVER, e.g. Valkey) under valgrind memcheck with the built
# module, drives a workload of every tally command (replies, errors, MULTI/EXEC, Lua,
# keyspace events, AOF propagation, DEBUG RELOAD / LOADAOF, FLUSHALL), shuts the server
# down cleanly and fails if memcheck reports, in a stack that contains libtally.so:
#   - any memory error (invalid read / write / free, use of uninitialised values, ...);
#   - a definitely (or indirectly) lost block.
# Errors whose stacks do not touch the module are counted and shown, not failed on: the
# server has its own (it keeps sds strings by interior pointers, "possibly lost").
#
# The full run (the default) makes five passes of the workload, with --track-origins, then
# runs the fuzzer of tests/fuzz.rs (FUZZ_INVOCATIONS, default 100000) against a server
# under memcheck; about half a minute.
#
# Usage: scripts/valgrind.sh [--short] [--keep]
#   --short  one pass of the workload, no fuzzer (for make test: a few seconds)
#   --keep   keep the work folder (server log, valgrind XML and text logs)
# Environment: TALLY_SERVER (server binary, default redis-server), MODULE (default
# target/release/libtally.so), VALGRIND_OPTS (extra valgrind options, e.g. --suppressions=F).
set -euo pipefail
cd "$(dirname "$0")/.."

short=0
keep=0
for arg in "$@"; do
    case "$arg" in
        --short) short=1 ;;
        --keep) keep=1 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "valgrind.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

server=${TALLY_SERVER:-redis-server}
module=${MODULE:-$PWD/target/release/libtally.so}
for tool in valgrind redis-cli "$server"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "valgrind.sh: $tool is not installed" >&2; exit 2; }
done
[ -f "$module" ] || { echo "valgrind.sh: $module is missing (cargo build --release)" >&2; exit 2; }
module=$(cd "$(dirname "$module")" && pwd)/$(basename "$module")

work=$(mktemp -d "${TMPDIR:-/tmp}/tally-valgrind.XXXXXX")
socket=$work/server.sock
server_pid=""
cleanup() {
    local status=$?
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$keep" = 1 ] || [ "$status" != 0 ]; then
        echo "valgrind.sh: logs kept in $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# Redis from Debian allocates through libjemalloc.so: memcheck must replace that
# library's malloc family to see the server's (and so the module's) allocations.
synonyms=()
if ldd "$(command -v "$server")" 2>/dev/null | grep -q libjemalloc; then
    synonyms=(--soname-synonyms='somalloc=libjemalloc.so*')
fi
extra=()
[ "$short" = 1 ] || extra=(--track-origins=yes)

readonly error_exit=97
started=$(date +%s)
# A unix socket rather than a TCP port: nothing to collide with on a busy machine.
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=$error_exit --num-callers=40 \
    "${synonyms[@]}" "${extra[@]}" \
    --xml=yes --xml-file="$work/memcheck.xml" --log-file="$work/valgrind.log" \
    "$server" --port 0 --unixsocket "$socket" --dir "$work" --logfile server.log \
    --save "" --appendonly yes --appendfsync no --enable-debug-command yes \
    --notify-keyspace-events KEA \
    --loadmodule "$module" &
server_pid=$!

cli() { redis-cli -s "$socket" "$@"; }

# Up to two minutes to start under valgrind (usually a few seconds).
for _ in $(seq 1 600); do
    if cli PING 2>/dev/null | grep -q PONG; then break; fi
    kill -0 "$server_pid" 2>/dev/null || { echo "valgrind.sh: the server exited at start" >&2; cat "$work/server.log" >&2; exit 1; }
    sleep 0.2
done
cli PING | grep -q PONG || { echo "valgrind.sh: the server did not start" >&2; exit 1; }

# ---- the workload: every command, its options and its errors -------------------------
workload() {
    local pass=$1 members=$2
    echo 'CONFIG SET tally.require-hashtag no'
    # TOURNEY: a large board (skiplist) and a small one (listpack).
    for m in $(seq 1 "$members"); do
        echo "TOURNEY.INCR lb:{t}:big m$m $((m % 17)).5"
    done
    for m in 1 2 3 4 5 6; do
        echo "TOURNEY.SUBMIT lb:{t} p$m $((m * 10)) BEST"
        echo "TOURNEY.SUBMIT lb:{t} p$m $((m * 7)) LATEST"
        echo "TOURNEY.INCR lb:{t} p$m -2.25"
    done
    echo 'TOURNEY.RANK lb:{t} p3'
    echo 'TOURNEY.RANK lb:{t} p3 WITHSCORE TIES COMPETITION'
    echo 'TOURNEY.RANK lb:{t} nobody'
    echo 'TOURNEY.TOP lb:{t} 10 OFFSET 1 TIES COMPETITION'
    echo 'TOURNEY.TOP lb:{t}:big 1000 TIES ORDINAL'
    echo 'TOURNEY.TOP lb:{t}:big 50 OFFSET 9223372036854775807'
    echo 'TOURNEY.AROUND lb:{t}:big m7 20 TIES COMPETITION'
    echo 'TOURNEY.AROUND lb:{t} p1 2'
    echo 'TOURNEY.PERCENTILE lb:{t}:big m9'
    echo 'TOURNEY.PERCENTILE lb:{t} nobody'
    echo 'TOURNEY.REM lb:{t} p1 p2 nobody'
    echo "TOURNEY.REM lb:{t}:big m1 m2 m3"
    # TOURNEY errors.
    echo 'TOURNEY.INCR lb:{t} p1 nan'
    echo 'TOURNEY.INCR lb:{t} p1 1e309'
    echo 'TOURNEY.SUBMIT lb:{t} p1 inf'
    echo 'TOURNEY.INCR lb:{t} p1 1e308'
    echo 'TOURNEY.INCR lb:{t} p1 1e308'
    echo 'TOURNEY.INCR lb:{t} "" 1'
    echo "TOURNEY.INCR lb:{t} $(printf 'x%.0s' $(seq 1 200)) 1"
    echo 'TOURNEY.TOP lb:{t} 0'
    echo 'TOURNEY.TOP lb:{t} 5 OFFSET -1'
    echo 'TOURNEY.AROUND lb:{t} p3 100000'
    echo 'TOURNEY.RANK lb:{t} p3 WITHSCORE TIES SOMETIMES'
    echo 'TOURNEY.SUBMIT lb:{t} p3 1 WORST'
    echo 'TOURNEY.INCR lb:{t} p3'
    echo 'SET str:{t} hello'
    echo 'TOURNEY.INCR str:{t} p1 1'
    echo 'TOURNEY.TOP str:{t} 3'
    echo 'TOURNEY.INCR "bin\x00:{t}\xff" "m\x00" 1'
    # Tournaments: arrival order and dense ranks, a large one (skiplist, hash table) and a small one.
    echo 'TOURNEY.CREATE lb:{t}:first TIEBREAK FIRST TIES DENSE EXPIREAT 4102444800000'
    echo 'TOURNEY.CREATE lb:{t}:tiny TIEBREAK FIRST'
    echo 'TOURNEY.INFO lb:{t}:first'
    for m in $(seq 1 "$members"); do
        echo "TOURNEY.INCR lb:{t}:first m$m $((m % 7))"
        echo "TOURNEY.SUBMIT lb:{t}:tiny m$((m % 9)) $((m % 4)) LATEST"
    done
    echo 'TOURNEY.INCR lb:{t}:first m3 0'
    echo 'TOURNEY.RANK lb:{t}:first m3 WITHSCORE'
    echo 'TOURNEY.RANK lb:{t}:first m3 TIES ORDINAL'
    echo 'TOURNEY.TOP lb:{t}:first 20 OFFSET 3 TIES COMPETITION'
    echo 'TOURNEY.TOP lb:{t}:tiny 10'
    echo 'TOURNEY.AROUND lb:{t}:first m5 4'
    echo 'TOURNEY.PERCENTILE lb:{t}:tiny m2'
    echo 'TOURNEY.REM lb:{t}:first m1 m2 nobody'
    echo 'TOURNEY.REM lb:{t}:tiny m0 m1 m2 m3 m4 m5 m6 m7 m8'
    echo 'TOURNEY.INFO lb:{t}:tiny'
    echo 'TOURNEY.CREATE lb:{t}:first TIEBREAK MEMBER'
    echo 'TOURNEY.CREATE lb:{t}:big TIES DENSE'
    echo 'TOURNEY.RANK lb:{t}:big m3 TIES DENSE'
    echo 'SET lb:{t}:odd:tourney garbage'
    echo 'TOURNEY.INCR lb:{t}:odd m 1'
    echo 'ZADD lb:{t}:tiny 5 intruder'
    echo 'TOURNEY.INCR lb:{t}:tiny m1 1'
    echo 'TOURNEY.TOP lb:{t}:tiny 5'
    # Seasons, on a plain board and on a tournament.
    for period in daily weekly monthly; do
        echo "TOURNEY.INCR lb:{t}:s m1 2 SEASON $period"
        echo "TOURNEY.SUBMIT lb:{t}:first m2 3 LATEST SEASON $period"
        echo "TOURNEY.RANK lb:{t}:first m2 WITHSCORE SEASON $period TIES COMPETITION"
        echo "TOURNEY.TOP lb:{t}:first 5 SEASON $period"
        echo "TOURNEY.AROUND lb:{t}:s m1 2 SEASON $period"
        echo "TOURNEY.PERCENTILE lb:{t}:first m2 SEASON $period"
    done
    echo 'TOURNEY.INCR lb:{t}:s m1 2 SEASON yearly'
    echo 'TOURNEY.TOP lb:{t}:first 5 SEASON weekly PREVIOUS'
    echo 'TOURNEY.INCR lb:{t}:s m1 2 SEASON daily PREVIOUS'
    echo 'TOURNEY.INCR "a}b" m1 2 SEASON daily'
    echo 'TOURNEY.CREATE lb:{t}:s TIEBREAK FIRST'

    # LIMIT: sliding logs, several windows, GCRA, reset.
    for i in 1 2 3 4 5; do
        echo "LIMIT.SLIDE rl:{u$pass} 60000 3"
        echo "LIMIT.SLIDE rl:{u$pass}:cost 60000 10 COST $i"
        echo "LIMIT.MULTI 3 a:{m} b:{m} c:{m} 1000 5 60000 20 3600000 100 COST 2"
        echo "LIMIT.GCRA gc:{u$pass} 2 10 1000"
        echo "LIMIT.GCRA gc:{u$pass}:big 1000000000 1000000000 31536000000 COST $i"
    done
    echo "LIMIT.SLIDE rl:{u$pass} 60000 3 COST 0"
    echo "LIMIT.SLIDE rl:{u$pass}:short 1 5"
    echo "LIMIT.GCRA gc:{u$pass} 2 10 1000 COST 0"
    echo 'EVAL "redis.call('"'"'ZADD'"'"', KEYS[1], ARGV[1], '"'"'old:1:x'"'"') return 1" 1 rl:{lua} 1'
    echo 'LIMIT.SLIDE rl:{lua} 1000 5'
    echo 'SET gc:{bad} notanumber'
    echo 'LIMIT.GCRA gc:{bad} 1 1 1000'
    echo 'SET gc:{neg} -9223372036854775808'
    echo 'LIMIT.GCRA gc:{neg} 1 1 1000'
    echo 'SET gc:{max} 9223372036854775807'
    echo 'LIMIT.GCRA gc:{max} 5 1 1000'
    echo 'LIMIT.SLIDE str:{t} 1000 5'
    echo 'LIMIT.MULTI 2 a:{m} a:{m} 1000 5 1000 5'
    echo 'LIMIT.MULTI 2 a:{m} b:{other} 1000 5 1000 5'
    echo 'LIMIT.MULTI 0 1000 5'
    echo 'LIMIT.MULTI 9223372036854775807 a 1 1'
    echo 'LIMIT.SLIDE rl:{x} 0 5'
    echo 'LIMIT.SLIDE rl:{x} 1000 5 COST 6'
    echo 'LIMIT.SLIDE rl:{x} 1000 5 PRICE 1'
    echo 'LIMIT.GCRA gc:{x} 1000000000 1 31536000000'
    echo 'LIMIT.GCRA gc:{x} -1 1 1000'
    echo "LIMIT.RESET rl:{u$pass} rl:{u$pass}:cost"
    echo 'LIMIT.RESET a:{m} b:{m} c:{m}'
    echo 'RPUSH list:{m} x'
    echo 'LIMIT.SLIDE list:{m} 1000 5'
    echo 'LIMIT.GCRA list:{m} 1 1 1000'
    echo 'LIMIT.RESET a:{m} list:{m}'
    echo 'LIMIT.RESET a:{m} b:{other}'

    # AUDIT: appends with caps and idempotent producers, groups, INFO, the native loop.
    for i in 1 2 3 4 5 6 7 8; do
        echo "AUDIT.APPEND log:{a} action add qty $i"
        echo "AUDIT.APPEND log:{a} MAXLEN 5 IDEMPOTENT pos-$pass $i action sale qty $i"
        echo "AUDIT.APPEND plainlog MAXLEN 3 action x"
    done
    echo "AUDIT.APPEND log:{a} IDEMPOTENT pos-$pass 8 action sale"
    echo "AUDIT.APPEND log:{a} IDEMPOTENT pos-$pass 2 action sale"
    echo "AUDIT.APPEND plainlog IDEMPOTENT solo 1 action x"
    echo 'AUDIT.GROUP log:{a} workers'
    echo 'AUDIT.GROUP log:{a} workers START 0'
    echo 'AUDIT.GROUP log:{a} replay START 0'
    echo 'AUDIT.GROUP newlog:{a} g1 START $'
    echo 'AUDIT.GROUP log:{a} bad START notanid'
    echo 'AUDIT.GROUP log:{a} "" START 0'
    echo 'AUDIT.GROUP log:{a} g FROM 0'
    echo 'XREADGROUP GROUP replay c1 COUNT 3 STREAMS log:{a} >'
    echo 'AUDIT.INFO log:{a}'
    echo 'AUDIT.INFO newlog:{a}'
    echo 'AUDIT.INFO missing:{a}'
    echo 'AUDIT.APPEND log:{a}'
    echo 'AUDIT.APPEND log:{a} a'
    echo 'AUDIT.APPEND log:{a} "" v'
    echo 'AUDIT.APPEND log:{a} MAXLEN 0 a b'
    echo "AUDIT.APPEND log:{a} IDEMPOTENT $(printf 'p%.0s' $(seq 1 70)) 1 a b"
    echo 'AUDIT.APPEND log:{a} IDEMPOTENT p -1 a b'
    echo 'AUDIT.APPEND str:{t} a b'
    echo 'SET log2:{a}:producers nothash'
    echo 'AUDIT.APPEND log2:{a} IDEMPOTENT p 1 a b'
    echo 'XADD full:{a} 18446744073709551615-18446744073709551615 a b'
    echo 'AUDIT.APPEND full:{a} a b'
    echo 'CONFIG SET tally.audit-max-field-bytes 4'
    echo 'AUDIT.APPEND log:{a} field toolongvalue'
    echo 'CONFIG SET tally.audit-max-field-bytes 65536'
    echo 'CONFIG SET tally.audit-max-producers 1'
    echo "AUDIT.APPEND log:{a} IDEMPOTENT other-$pass 1 a b"
    echo 'CONFIG SET tally.audit-max-producers 10000'
    echo 'CONFIG SET tally.audit-retention-ms 1'
    echo 'AUDIT.APPEND log:{a} action aged'
    echo 'AUDIT.INFO log:{a}'
    echo 'CONFIG SET tally.audit-retention-ms 0'

    # Hash tags required, module configs at their edges.
    echo 'CONFIG SET tally.require-hashtag yes'
    echo 'TOURNEY.INCR notag m 1'
    echo 'LIMIT.SLIDE "no\x00tag\xff" 1000 5'
    echo 'AUDIT.APPEND notag a b'
    echo 'CONFIG SET tally.require-hashtag no'
    echo 'CONFIG SET tally.max-range 1'
    echo 'TOURNEY.TOP lb:{t}:big 2'
    echo 'TOURNEY.AROUND lb:{t}:big m9 1'
    echo 'CONFIG SET tally.max-range 1000'
    echo 'CONFIG SET tally.limit-max-log 2'
    echo 'LIMIT.SLIDE rl:{y} 1000 3'
    echo 'CONFIG SET tally.limit-max-log 100000'

    # Transactions, scripts, introspection.
    echo 'MULTI'
    echo 'TOURNEY.INCR lb:{t} tx 1'
    echo 'LIMIT.SLIDE rl:{t} 60000 10'
    echo 'AUDIT.APPEND log:{a} in tx'
    echo 'TOURNEY.INCR lb:{t} tx nan'
    echo 'EXEC'
    echo 'EVAL "return redis.call('"'"'tourney.incr'"'"', KEYS[1], ARGV[1], ARGV[2])" 1 lb:{t} lua 3'
    echo 'EVAL "return redis.pcall('"'"'limit.gcra'"'"', KEYS[1], 1, 1, 1000)" 1 str:{t}'
    echo 'EVAL "return redis.call('"'"'audit.info'"'"', KEYS[1])" 1 log:{a}'
    echo 'COMMAND INFO tourney.incr limit.multi audit.append'
    echo 'COMMAND DOCS tourney.top limit.gcra audit.group'
    echo 'COMMAND GETKEYS LIMIT.MULTI 2 a:{m} b:{m} 1000 5 1000 5'
    echo 'COMMAND GETKEYS TOURNEY.REM lb:{t} a b'
    echo 'INFO tally'
    echo 'INFO everything'
    echo 'MODULE LIST'
}

passes=$([ "$short" = 1 ] && echo 1 || echo 5)
members=$([ "$short" = 1 ] && echo 150 || echo 400)
commands=0
output=$work/replies.txt
: >"$output"
for pass in $(seq 1 "$passes"); do
    workload "$pass" "$members" >"$work/workload.txt"
    commands=$((commands + $(wc -l <"$work/workload.txt")))
    cli <"$work/workload.txt" >>"$output" 2>&1 || true
    # Persistence paths with module-written data: RDB save and load, AOF replay.
    cli DEBUG RELOAD >>"$output" 2>&1
    cli DEBUG LOADAOF >>"$output" 2>&1
    commands=$((commands + 2))
done
# Free the data set, so that anything the module left behind shows as lost.
cli FLUSHALL SYNC >>"$output" 2>&1
cli DEBUG RELOAD >>"$output" 2>&1
commands=$((commands + 2))

status=ok
if grep -q 'internal error in tally' "$output"; then
    echo "valgrind.sh: a command replied the module's internal error:" >&2
    grep -n 'internal error in tally' "$output" >&2
    status=failed
fi
if ! cli PING | grep -q PONG; then
    echo "valgrind.sh: the server stopped answering" >&2
    status=failed
fi
replies_ok=$(grep -c . "$output" || true)

cli SHUTDOWN NOSAVE >/dev/null 2>&1 || true
set +e
wait "$server_pid"
valgrind_status=$?
set -e
server_pid=""
elapsed=$(($(date +%s) - started))

if grep -qE 'panicked|crashed' "$work/server.log"; then
    echo "valgrind.sh: the server log mentions a panic or a crash:" >&2
    grep -nE 'panicked|crashed' "$work/server.log" >&2
    status=failed
fi
[ -s "$work/memcheck.xml" ] || { echo "valgrind.sh: memcheck wrote no report" >&2; exit 1; }

# ---- the report: errors by kind, and those whose stacks contain the module ------------
# summarize <memcheck XML> <label>: prints the reports by kind; returns 1 when one of them
# (other than a possibly lost or reachable block) has libtally.so in a stack.
summarize() {
    local xml=$1 label=$2 report
    report=$(awk -v module=libtally.so '
        function flush() {
            total[kind]++
            if (in_module) {
                module_errors[kind]++
                if (kind !~ /^Leak_(PossiblyLost|StillReachable)$/) {
                    failing++
                    if (failing <= 10) printf "MODULE %s: %s\n%s", kind, what, frames
                }
                if (kind ~ /^Leak_(DefinitelyLost|IndirectlyLost)$/) lost_bytes += bytes
            }
        }
        /<error>/ { in_error = 1; kind = ""; what = ""; frames = ""; in_module = 0; bytes = 0; nframes = 0; next }
        in_error && /<kind>/ { kind = $0; gsub(/.*<kind>|<\/kind>.*/, "", kind) }
        in_error && /<text>|<what>/ && what == "" { what = $0; gsub(/.*<(text|what)>|<\/(text|what)>.*/, "", what) }
        in_error && /<leakedbytes>/ { b = $0; gsub(/[^0-9]/, "", b); bytes = b + 0 }
        in_error && /<obj>/ && index($0, module) { in_module = 1 }
        in_error && /<fn>/ && nframes < 12 { f = $0; gsub(/.*<fn>|<\/fn>.*/, "", f); frames = frames "    " f "\n"; nframes++ }
        /<\/error>/ { if (in_error) flush(); in_error = 0 }
        END {
            for (k in total) printf "KIND %s %d %d\n", k, total[k], module_errors[k] + 0
            printf "FAILING %d\nLOST %d\n", failing + 0, lost_bytes + 0
        }
    ' "$xml")
    local failing lost
    failing=$(awk '/^FAILING/ { print $2 }' <<<"$report")
    [ -n "$failing" ] || { echo "valgrind.sh: could not read $xml" >&2; return 1; }
    lost=$(awk '/^LOST/ { print $2 }' <<<"$report")
    echo "  $label: memcheck reports by kind (all / in a stack with libtally.so):"
    if grep -q '^KIND' <<<"$report"; then
        grep '^KIND' <<<"$report" | sort | awk '{ printf "    %-24s %6d / %d\n", $2, $3, $4 }'
    else
        echo "    (none)"
    fi
    echo "  $label: in the module, $failing failing report(s), $lost bytes definitely or indirectly lost"
    if [ "$failing" != 0 ]; then
        grep -v -E '^(KIND|FAILING|LOST)' <<<"$report" >&2
        return 1
    fi
}

echo "valgrind.sh: $(basename "$server") under memcheck, $( [ "$short" = 1 ] && echo short || echo full ) run:" \
    "$commands commands ($passes passes, $replies_ok reply lines), ${elapsed}s, valgrind exit status $valgrind_status"
summarize "$work/memcheck.xml" "workload" || status=failed

# ---- full run: the fuzzer (tests/fuzz.rs) against a server under memcheck ---------------
# The errors are reported as they happen; the test harness ends its server with SIGKILL,
# so this part has no leak check (the workload above has).
if [ "$short" = 0 ]; then
    invocations=${FUZZ_INVOCATIONS:-100000}
    wrapper=$work/server-under-memcheck
    {
        echo '#!/bin/sh'
        printf 'exec valgrind --tool=memcheck --num-callers=40'
        for option in "${synonyms[@]}"; do printf " '%s'" "$option"; done
        printf " --xml=yes --xml-file='%s' --log-file='%s'" "$work/fuzz-memcheck.%p.xml" "$work/fuzz-valgrind.%p.log"
        printf " '%s' \"\$@\"\n" "$(command -v "$server")"
    } >"$wrapper"
    chmod +x "$wrapper"
    fuzz_started=$(date +%s)
    if TALLY_SERVER=$wrapper TALLY_FUZZ_INVOCATIONS=$invocations \
        cargo test --release --quiet --test fuzz -- --nocapture >"$work/fuzz.txt" 2>&1; then
        fuzz_result=passed
    else
        fuzz_result=FAILED
        status=failed
        tail -40 "$work/fuzz.txt" >&2
    fi
    echo "valgrind.sh: fuzzer under memcheck: $fuzz_result, $(grep -o '^fuzz: [0-9]* invocations' "$work/fuzz.txt" | head -1 | cut -d' ' -f2) invocations, $(($(date +%s) - fuzz_started))s"
    fuzz_xml=("$work"/fuzz-memcheck.*.xml)
    if [ -s "${fuzz_xml[0]}" ]; then
        summarize "${fuzz_xml[0]}" "fuzzer" || status=failed
    else
        echo "valgrind.sh: the fuzzer's server wrote no memcheck report" >&2
        status=failed
    fi
fi

if [ "$status" != ok ]; then
    echo "valgrind.sh: FAILED" >&2
    exit 1
fi
echo "valgrind.sh: OK (no memory error and no lost block in the module's code)"
