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
# runs the fuzzer of tests/it/fuzz.rs (FUZZ_INVOCATIONS, default 100000) against a server
# under memcheck; about half a minute.
#
# The workload is scripts/valgrind/workload.txt; scripts/valgrind/memcheck.awk reads memcheck's
# XML report.
#
# Usage: scripts/valgrind.sh [--short] [--keep]
#   --short  one pass of the workload, no fuzzer (for make test: a few seconds)
#   --keep   keep the work folder (server log, valgrind XML and text logs)
# Environment: TALLY_SERVER (server binary, default redis-server), MODULE (default
# target/release/libtally.so), VALGRIND_OPTS (extra valgrind options, e.g. --suppressions=F).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly error_exit=97
readonly workload_file=scripts/valgrind/workload.txt
short=0
keep=0
server=""
module=""
work=""
socket=""
server_pid=""
synonyms=()
status=ok

parse_args() {
    local arg
    for arg in "$@"; do
        case "$arg" in
            --short) short=1 ;;
            --keep) keep=1 ;;
            -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
            *) echo "valgrind.sh: unknown option $arg" >&2; exit 2 ;;
        esac
    done
}

find_tools() {
    local tool
    server=${TALLY_SERVER:-redis-server}
    module=${MODULE:-$PWD/target/release/libtally.so}
    for tool in valgrind redis-cli "$server"; do
        command -v "$tool" >/dev/null 2>&1 || { echo "valgrind.sh: $tool is not installed" >&2; exit 2; }
    done
    [ -f "$module" ] || { echo "valgrind.sh: $module is missing (cargo build --release)" >&2; exit 2; }
    module=$(cd "$(dirname "$module")" && pwd)/$(basename "$module")
    # Redis from Debian allocates through libjemalloc.so: memcheck must replace that
    # library's malloc family to see the server's (and so the module's) allocations.
    if ldd "$(command -v "$server")" 2>/dev/null | grep -q libjemalloc; then
        synonyms=(--soname-synonyms='somalloc=libjemalloc.so*')
    fi
}

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

cli() { redis-cli -s "$socket" "$@"; }

start_server() {
    local extra=()
    [ "$short" = 1 ] || extra=(--track-origins=yes)
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
    # Up to two minutes to start under valgrind (usually a few seconds).
    for _ in $(seq 1 600); do
        if cli PING 2>/dev/null | grep -q PONG; then break; fi
        kill -0 "$server_pid" 2>/dev/null || { echo "valgrind.sh: the server exited at start" >&2; cat "$work/server.log" >&2; exit 1; }
        sleep 0.2
    done
    cli PING | grep -q PONG || { echo "valgrind.sh: the server did not start" >&2; exit 1; }
}

# workload pass members: the commands of one pass, from the workload file (its header says
# what <pass>, <m>, <m%K> and @each member stand for).
workload() {
    awk -v pass="$1" -v members="$2" '
        function fill(line, m,    out, mod) {
            gsub(/<pass>/, pass, line)
            out = ""
            while (match(line, /<m(%[0-9]+)?>/)) {
                mod = substr(line, RSTART + 3, RLENGTH - 4)
                out = out substr(line, 1, RSTART - 1) (mod == "" ? m : m % mod)
                line = substr(line, RSTART + RLENGTH)
            }
            return out line
        }
        /^#/ || /^$/ { next }
        $0 == "@each member" { looping = 1; n = 0; next }
        $0 == "@end" {
            for (m = 1; m <= members; m++) for (i = 1; i <= n; i++) print fill(body[i], m)
            looping = 0
            next
        }
        looping { body[++n] = $0; next }
        { print fill($0) }
    ' "$workload_file"
}

# Sends the workload pass after pass, each followed by the persistence paths; sets passes,
# commands (the number sent) and output (the file of replies).
run_workload() {
    local members pass
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
}

check_replies() {
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
}

# Shuts the server down, which runs memcheck's leak check; sets valgrind_status.
stop_server() {
    cli SHUTDOWN NOSAVE >/dev/null 2>&1 || true
    set +e
    wait "$server_pid"
    valgrind_status=$?
    set -e
    server_pid=""
    if grep -qE 'panicked|crashed' "$work/server.log"; then
        echo "valgrind.sh: the server log mentions a panic or a crash:" >&2
        grep -nE 'panicked|crashed' "$work/server.log" >&2
        status=failed
    fi
    [ -s "$work/memcheck.xml" ] || { echo "valgrind.sh: memcheck wrote no report" >&2; exit 1; }
}

# ---- the report: errors by kind, and those whose stacks contain the module ------------
# summarize <memcheck XML> <label>: prints the reports by kind; returns 1 when one of them
# (other than a possibly lost or reachable block) has libtally.so in a stack.
summarize() {
    local xml=$1 label=$2 report
    report=$(awk -v module=libtally.so -f scripts/valgrind/memcheck.awk "$xml")
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

# ---- full run: the fuzzer (tests/it/fuzz.rs) against a server under memcheck ---------------
# The errors are reported as they happen; the test harness ends its server with SIGKILL,
# so this part has no leak check (the workload above has).
run_fuzzer() {
    local invocations=${FUZZ_INVOCATIONS:-100000} wrapper=$work/server-under-memcheck option fuzz_started fuzz_result fuzz_xml
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
        cargo test --release --quiet --test it fuzz:: -- --nocapture >"$work/fuzz.txt" 2>&1; then
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
}

main() {
    local started elapsed
    parse_args "$@"
    find_tools
    work=$(mktemp -d "${TMPDIR:-/tmp}/tally-valgrind.XXXXXX")
    socket=$work/server.sock
    trap cleanup EXIT
    started=$(date +%s)
    start_server
    run_workload
    check_replies
    stop_server
    elapsed=$(($(date +%s) - started))
    echo "valgrind.sh: $(basename "$server") under memcheck, $( [ "$short" = 1 ] && echo short || echo full ) run:" \
        "$commands commands ($passes passes, $replies_ok reply lines), ${elapsed}s, valgrind exit status $valgrind_status"
    summarize "$work/memcheck.xml" "workload" || status=failed
    [ "$short" = 1 ] || run_fuzzer
    if [ "$status" != ok ]; then
        echo "valgrind.sh: FAILED" >&2
        exit 1
    fi
    echo "valgrind.sh: OK (no memory error and no lost block in the module's code)"
}

main "$@"
