# shellcheck shell=bash
# Shared by bench/run.sh, bench/scale.sh and bench/profile.sh (sourced). The caller sets LOG_NAME
# (the prefix of its messages) and, for the helpers that need them, PORT and TMP.

# Messages go to stderr: stdout carries the report. LOG_SINCE, when set, is the SECONDS value the
# elapsed time in each message counts from (bench/scale.sh runs for minutes).
log() {
    if [[ -n ${LOG_SINCE:-} ]]; then
        printf '%s: [%4ds] %s\n' "$LOG_NAME" "$((SECONDS - LOG_SINCE))" "$*" >&2
    else
        printf '%s: %s\n' "$LOG_NAME" "$*" >&2
    fi
}

die() {
    log "$*"
    exit 1
}

# require_tools hint tool...: fails unless every tool is on PATH and the module is built; hint
# says how to build it.
require_tools() {
    local hint=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is required (make deps installs it)"
    done
    [[ -f $MODULE ]] || die "$MODULE is missing; $hint"
}

# The EXIT trap: stops what is still running (a redis-benchmark, the servers) and removes TMP.
cleanup() {
    if [[ -n ${BENCH_PID:-} ]]; then
        kill "$BENCH_PID" 2>/dev/null || true
        wait "$BENCH_PID" 2>/dev/null || true
    fi
    local pid
    for pid in "${SERVER_PID:-}" "${CG_PID:-}"; do
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ -n ${TMP:-} ]]; then rm -rf "$TMP"; fi
}

# Sets PIN to the prefix that runs a command on one CPU, when there are two or more, so the
# server and redis-benchmark do not contend; empty otherwise. A plain prefix (not a function)
# keeps the server's pid equal to $! so cleanup stops the server itself.
pin() {
    PIN=()
    if command -v taskset >/dev/null && (($(nproc) >= 2)); then PIN=(taskset -c "$1"); fi
}

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        if port_is_free "$port"; then
            echo "$port"
            return
        fi
    done
}

# bench/profile.sh talks to its server over a unix socket and defines its own cli after sourcing
# this file; checked then goes through that one.
cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

# checked_by client command...: runs a command through a client function, failing on an error reply.
checked_by() {
    local client=$1 reply
    shift
    reply=$("$client" "$@" 2>&1) || die "$* failed: $reply"
    [[ $reply != *ERR* && $reply != *WRONGTYPE* ]] || die "$(printf '%.200s' "$*") replied $reply"
    printf '%s\n' "$reply"
}

checked() { checked_by cli "$@"; }

# wait_ready pid timeout interval client: polls PING through a client function until the server
# answers; fails when pid exits or timeout seconds pass (a server under valgrind takes seconds).
wait_ready() {
    local pid=$1 deadline=$((SECONDS + $2)) interval=$3 client=$4
    until [[ $("$client" ping 2>/dev/null) == PONG ]]; do
        kill -0 "$pid" 2>/dev/null || return 1
        ((SECONDS < deadline)) || return 1
        sleep "$interval"
    done
}

# check_no_errors client message: the server counts every error reply; any would mean some
# calls measured an error, not the work.
check_no_errors() {
    local errors
    errors=$("$1" info errorstats | grep '^errorstat_' || true)
    [[ -z $errors ]] || die "$2: $errors"
}

# The module under test and the pages the reports write (sourced from the repository root).
readonly MODULE="$PWD/target/release/libtally.so"
# shellcheck disable=SC2034 # read by run.sh and scale.sh
readonly DOC=docs/benchmarks.md SCALE_DOC=docs/benchmarks-scale.md

# The module API's floor under TOURNEY.RANK (bench/floor.c), which run.sh and profile.sh measure
# beside it: built here, against the module API header the redis-module crate ships.
readonly FLOOR_MODULE="$PWD/target/release/libtally_floor.so"
build_floor_module() {
    local crate
    crate=$(cargo metadata --format-version 1 --locked |
        python3 -c 'import json, sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "redis-module"))') ||
        die "cannot find the redis-module crate (cargo fetch)"
    cc -O2 -Wall -Wextra -Werror -shared -fPIC -I "$(dirname "$crate")/src/include" -o "$FLOOR_MODULE" bench/floor.c ||
        die "cannot build bench/floor.c"
}

# The concurrency leases of run.sh and profile.sh: semaphores of LEASE_MAX slots, LEASE_HELD of
# them held by other workers (bench/lua/prefill_leases.lua), the last taken, renewed and released
# by the benchmark's worker, so the sets stay at 4 or 5 leases however many runs go by. Leases
# last an hour, so none ends during a benchmark.
# shellcheck disable=SC2034 # read by run.sh and profile.sh
readonly LEASE_MS=3600000 LEASE_MAX=5 LEASE_HELD=4 LEASE_TOKEN=worker

# The server binary: TALLY_SERVER as for the tests (Redis 8.2, Valkey), else redis-server on PATH.
SERVER_BIN=${TALLY_SERVER:-redis-server}
server_name() { basename "$SERVER_BIN"; }
server_version() { "$SERVER_BIN" --version | sed 's/.*v=\([^ ]*\).*/\1/'; }

# start_server dir [option...]: the native server on a free loopback port, pinned to CPU 0, logging
# to dir/redis.log; retries with another port if the first one was taken meanwhile.
start_server() {
    local dir=$1 attempt
    shift
    for attempt in 1 2 3; do
        PORT=$(pick_port)
        pin 0
        "${PIN[@]}" "$SERVER_BIN" --port "$PORT" --bind 127.0.0.1 --dir "$dir" --logfile "$dir/redis.log" \
            --save '' --appendonly no --daemonize no "$@" --loadmodule "$MODULE" &
        SERVER_PID=$!
        if wait_ready "$SERVER_PID" 20 0.05 cli; then
            log "$(server_name) $(server_version) on port $PORT (pid $SERVER_PID)"
            return
        fi
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
        log "server did not start (attempt $attempt); log:"
        cat "$dir/redis.log" >&2 || true
    done
    die "could not start $SERVER_BIN"
}

# The server's clock in ms: the scripts' "now" is the client's clock, sent as an argument.
server_now_ms() { cli time | awk 'NR == 1 { s = $1 } NR == 2 { printf "%d%03d", s, $1 / 1000 }'; }

# counted_since_dump pid dir: instructions callgrind counted since the last dump (a dump writes the
# counters to dir/callgrind.out.* and zeroes them).
counted_since_dump() {
    callgrind_control -d "$1" >/dev/null 2>&1
    local dump
    # shellcheck disable=SC2012 # the newest dump; callgrind names the files, without spaces
    dump=$(ls -t "$2"/callgrind.out* | head -1)
    awk '/^summary:|^totals:/ { print $2; exit }' "$dump"
}

median() { tr ' ' '\n' <<<"$1" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cpu_model() { awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo; }

# The commit the module was built from, and whether the sources differed from it.
module_commit() {
    echo "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src core 2>/dev/null || echo ' (with uncommitted changes)')"
}

# fill_template file NAME=value...: prints a report template (bench/report/) with each {{NAME}}
# replaced by its value, as is. The prose stays in the template; the script only computes the
# values. The values go through the environment, where awk reads them without escape processing.
fill_template() {
    local template=$1 pair vars=()
    shift
    for pair in "$@"; do vars+=("TEMPLATE_$pair"); done
    # shellcheck disable=SC2016 # an awk program, run through env
    env "${vars[@]}" awk '
        {
            line = $0
            out = ""
            while (match(line, /\{\{[A-Z0-9_]+\}\}/)) {
                name = "TEMPLATE_" substr(line, RSTART + 2, RLENGTH - 4)
                if (!(name in ENVIRON)) { print FILENAME ": no value for " substr(name, 10) > "/dev/stderr"; failed = 1; exit 1 }
                out = out substr(line, 1, RSTART - 1) ENVIRON[name]
                line = substr(line, RSTART + RLENGTH)
            }
            print out line
        }
        END { if (failed) exit 1 }' "$template"
}
