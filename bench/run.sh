#!/usr/bin/env bash
# Throughput of the TOURNEY.* commands against the plain-Redis ways of doing the same work.
#
# Starts a private redis-server with the release module on a free loopback port, prefills
# KEYSPACE leaderboards of KEYSPACE players each, runs redis-benchmark for every test in
# interleaved rounds, prints a Markdown report and writes it to docs/benchmarks.md.
# Run it through `make bench`, which builds target/release/libtally.so first.
#
# Knobs (environment): BENCH_ROUNDS (5), BENCH_KEYSPACE (1000), BENCH_REQUESTS (requests per
# run at pipeline 16, 600000), BENCH_REQUESTS_P1 (requests per run at pipeline 1, 300000).
set -euo pipefail

cd "$(dirname "$0")/.."

readonly MODULE="$PWD/target/release/libtally.so"
readonly DOC=docs/benchmarks.md
readonly ROUNDS=${BENCH_ROUNDS:-5}
readonly KEYSPACE=${BENCH_KEYSPACE:-1000}
readonly REQUESTS_PIPELINED=${BENCH_REQUESTS:-600000}
readonly REQUESTS_P1=${BENCH_REQUESTS_P1:-300000}
readonly CLIENTS=50
readonly PIPELINE=16
# redis-benchmark draws a separate random number for every __rand_int__ occurrence, so the
# key and the member vary independently, both over 0..KEYSPACE-1 (zero-padded to 12 digits).
readonly KEY='bench:{__rand_int__}'
readonly MEMBER='m:__rand_int__'
# Tests run in this order in even rounds and in reverse order in odd rounds.
readonly TESTS=(zincrby/16 incr/16 evalsha/16 rank/16 zrevrank/16 ping/16 incr/1 zincrby/1 zrevrank/1 ping/1)

# The script a client would run to get TOURNEY.INCR's reply without the module.
readonly INCR_SCRIPT="local score = redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[1])
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
return {score, rank + 1}"

# Fills KEYSPACE sorted sets bench:{k} with members m:0..KEYSPACE-1 (names as redis-benchmark
# writes them) and spread-out scores, 500 members per ZADD.
readonly PREFILL_SCRIPT="local n = tonumber(ARGV[1])
for k = 0, n - 1 do
  local key = string.format('bench:{%012d}', k)
  local args = {}
  for m = 0, n - 1 do
    args[#args + 1] = (m * 7919 + k * 104729) % 100003
    args[#args + 1] = string.format('m:%012d', m)
    if #args == 1000 or m == n - 1 then
      redis.call('ZADD', key, unpack(args))
      args = {}
    end
  end
end
return redis.call('DBSIZE')"

TMP=""
PORT=""
SERVER_PID=""
BENCH_PID=""
SCRIPT_SHA=""
PIN=()
declare -A RUNS=()     # test -> space-separated requests/s of each round
declare -A COMMANDS=() # test -> the redis-benchmark command line, for the report

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
    if [[ -n $BENCH_PID ]]; then
        kill "$BENCH_PID" 2>/dev/null || true
        wait "$BENCH_PID" 2>/dev/null || true
    fi
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n $TMP ]]; then rm -rf "$TMP"; fi
}

require_tools() {
    local tool
    for tool in redis-server redis-cli redis-benchmark awk; do
        command -v "$tool" >/dev/null || die "$tool is required (make deps installs it)"
    done
    [[ -f $MODULE ]] || die "$MODULE is missing; run make bench (it builds the module)"
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

cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

# Polls PING until the server answers; fails when the server exits or 20 s pass.
wait_ready() {
    local deadline=$((SECONDS + 20))
    until [[ $(cli ping 2>/dev/null) == PONG ]]; do
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

# Starts the server on a free port; retries with another port if the first one was taken.
start_server() {
    local attempt
    for attempt in 1 2 3; do
        PORT=$(pick_port)
        pin 0
        "${PIN[@]}" redis-server --port "$PORT" --bind 127.0.0.1 --dir "$TMP" --logfile "$TMP/redis.log" \
            --save '' --appendonly no --daemonize no --loadmodule "$MODULE" &
        SERVER_PID=$!
        if wait_ready; then
            log "redis-server $(server_version) on port $PORT (pid $SERVER_PID)"
            return
        fi
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
        log "server did not start (attempt $attempt); log:"
        cat "$TMP/redis.log" >&2 || true
    done
    die "could not start redis-server"
}

server_version() { cli info server | awk -F: '/^redis_version:/ { sub(/\r/, ""); print $2 }'; }

# Runs a command, failing on an error reply (redis-benchmark would count errors as requests).
checked() {
    local reply
    reply=$(cli "$@" 2>&1) || die "$* failed: $reply"
    [[ $reply != *ERR* && $reply != *WRONGTYPE* ]] || die "$* replied $reply"
    printf '%s\n' "$reply"
}

prefill() {
    local keys
    log "prefilling $KEYSPACE leaderboards x $KEYSPACE players"
    keys=$(checked eval "$PREFILL_SCRIPT" 0 "$KEYSPACE")
    ((keys == KEYSPACE)) || die "prefill made $keys keys, expected $KEYSPACE"
    SCRIPT_SHA=$(checked script load "$INCR_SCRIPT")
}

# Sets CMD to the arguments of a test's command (a name without the /pipeline suffix).
command_of() {
    case $1 in
        incr) CMD=(TOURNEY.INCR "$KEY" "$MEMBER" 1) ;;
        zincrby) CMD=(ZINCRBY "$KEY" 1 "$MEMBER") ;;
        evalsha) CMD=(EVALSHA "$SCRIPT_SHA" 1 "$KEY" "$MEMBER" 1) ;;
        rank) CMD=(TOURNEY.RANK "$KEY" "$MEMBER") ;;
        zrevrank) CMD=(ZREVRANK "$KEY" "$MEMBER") ;;
        ping) CMD=(PING) ;;
        *) die "unknown test $1" ;;
    esac
}

# Each command once on a concrete key, so a typo cannot turn into a benchmark of error replies.
smoke_test() {
    local name concrete arg
    for name in incr zincrby evalsha rank zrevrank ping; do
        command_of "$name"
        concrete=()
        for arg in "${CMD[@]}"; do concrete+=("${arg//__rand_int__/000000000007}"); done
        checked "${concrete[@]}" >/dev/null
    done
}

quote_args() {
    local arg out=()
    for arg in "$@"; do
        if [[ $arg =~ ^[A-Za-z0-9_.:/=-]+$ ]]; then out+=("$arg"); else out+=("'$arg'"); fi
    done
    printf '%s' "${out[*]}"
}

# Runs one test (name/pipeline) once and records its requests/s.
bench_once() {
    local test=$1 name=${1%/*} pipeline=${1#*/} requests rps
    requests=$REQUESTS_PIPELINED
    ((pipeline > 1)) || requests=$REQUESTS_P1
    command_of "$name"
    local args=(-h 127.0.0.1 -p "$PORT" -c "$CLIENTS" -P "$pipeline" -n "$requests" -r "$KEYSPACE" --csv "${CMD[@]}")
    COMMANDS[$test]="redis-benchmark $(quote_args "${args[@]}")"
    pin 1
    # In the background so that an interrupt's trap runs at once, not after the run.
    "${PIN[@]}" redis-benchmark "${args[@]}" >"$TMP/run.csv" &
    BENCH_PID=$!
    wait "$BENCH_PID" || die "redis-benchmark failed: ${COMMANDS[$test]}"
    BENCH_PID=""
    rps=$(awk -F'","' 'END { print $2 }' "$TMP/run.csv")
    [[ $rps =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "no requests/s from: ${COMMANDS[$test]}"
    RUNS[$test]="${RUNS[$test]:-}${RUNS[$test]:+ }$rps"
    log "$test: $rps requests/s"
}

run_rounds() {
    local round i
    for ((round = 1; round <= ROUNDS; round++)); do
        log "round $round of $ROUNDS"
        if ((round % 2)); then
            for ((i = 0; i < ${#TESTS[@]}; i++)); do bench_once "${TESTS[i]}"; done
        else
            for ((i = ${#TESTS[@]} - 1; i >= 0; i--)); do bench_once "${TESTS[i]}"; done
        fi
    done
}

# The server counts every error reply; any would mean some runs measured errors, not work.
check_no_errors() {
    local errors
    errors=$(cli info errorstats | grep '^errorstat_' || true)
    [[ -z $errors ]] || die "the server replied errors during the benchmark: $errors"
}

median() { tr ' ' '\n' <<<"$1" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

med() { median "${RUNS[$1]}"; }

# Logical updates/s of a client that waits for a first reply, then a second: 1/(1/a + 1/b).
two_round_trips() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", 1 / (1 / a + 1 / b) }'; }

fmt_rps() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }

# One row of the results table; "met?" compares the ratio with the target.
row() {
    local command=$1 baseline=$2 pipeline=$3 rps=$4 base=$5 target=$6
    awk -v c="$command" -v b="$baseline" -v p="$pipeline" -v r="$rps" -v s="$base" -v t="$target" 'BEGIN {
        ratio = r / s
        printf "| %s | %s | %s | %.0f | %.0f | %.3fx | >= %.1fx | %s |\n", c, b, p, r, s, ratio, t, (ratio >= t) ? "yes" : "NO"
    }'
}

results_table() {
    local split
    split=$(two_round_trips "$(med zincrby/1)" "$(med zrevrank/1)")
    echo "| command | baseline | pipeline | rps | baseline rps | ratio | target | met? |"
    echo "|---|---|---|---|---|---|---|---|"
    row TOURNEY.INCR ZINCRBY 16 "$(med incr/16)" "$(med zincrby/16)" 0.7
    row TOURNEY.INCR "EVALSHA (ZINCRBY + ZREVRANK in Lua)" 16 "$(med incr/16)" "$(med evalsha/16)" 1.6
    row TOURNEY.INCR "ZINCRBY, then ZREVRANK (two round trips)" 1 "$(med incr/1)" "$split" 1.8
    row TOURNEY.RANK ZREVRANK 16 "$(med rank/16)" "$(med zrevrank/16)" 0.8
    echo "| PING (ceiling) | - | 16 | $(fmt_rps "$(med ping/16)") | - | - | - | - |"
    echo "| PING (ceiling) | - | 1 | $(fmt_rps "$(med ping/1)") | - | - | - | - |"
}

runs_table() {
    local test
    echo "| test | pipeline | requests/s of each round | median |"
    echo "|---|---|---|---|"
    for test in "${TESTS[@]}"; do
        command_of "${test%/*}"
        echo "| ${CMD[0]} | ${test#*/} | ${RUNS[$test]// / , } | $(fmt_rps "$(med "$test")") |"
    done
}

pinning() {
    pin 0
    if ((${#PIN[@]})); then echo "redis-server on CPU 0, redis-benchmark on CPU 1 (taskset)."; else echo "none."; fi
}

cpu_model() { awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo; }

report() {
    local test
    cat <<EOF
# Benchmarks

Produced by \`make bench\` (bench/run.sh); do not edit by hand, run it again.

- Date: $(date -u '+%Y-%m-%d %H:%M UTC')
- Machine: $(nproc) CPUs, $(cpu_model), Linux $(uname -r)
- Server: redis-server $(server_version), module target/release/libtally.so at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src core 2>/dev/null || echo ' (with uncommitted changes)')
- CPU pinning: $(pinning)

## Setup

- One redis-server, \`--save '' --appendonly no\`, loopback, module defaults (\`tally.require-hashtag auto\`, so off standalone).
- Data: $KEYSPACE leaderboards \`bench:{000000000000}\` .. \`bench:{$(printf '%012d' $((KEYSPACE - 1)))}\`, each with $KEYSPACE
  players \`m:000000000000\` .. with spread-out scores: every key and member the benchmark names exists, so every
  increment updates an existing player of a $KEYSPACE-player board and every rank lookup finds its member.
- redis-benchmark draws a fresh random number for every \`__rand_int__\` in a command, so the key and the member
  vary independently over 0..$((KEYSPACE - 1)) (\`-r $KEYSPACE\`), zero-padded to 12 digits.
- $CLIENTS clients; $REQUESTS_PIPELINED requests per run at pipeline $PIPELINE, $REQUESTS_P1 at pipeline 1.
- $ROUNDS rounds; each round runs every test once, in the order below in odd rounds and reversed in even ones.
  The tables show the median requests/s of the rounds.
- The pipeline-1 baseline is a client that sends ZINCRBY, waits for the reply, then sends ZREVRANK: its logical
  updates/s are 1 / (1/a + 1/b), where a and b are the medians of ZINCRBY and ZREVRANK measured alone at pipeline 1.
- The Lua baseline (loaded with SCRIPT LOAD) returns what TOURNEY.INCR returns:

\`\`\`lua
$INCR_SCRIPT
\`\`\`

## Results

$(results_table)

## Every run

$(runs_table)

## Commands

\`\`\`sh
EOF
    for test in "${TESTS[@]}"; do echo "${COMMANDS[$test]}"; done
    echo '```'
}

main() {
    require_tools
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench.XXXXXX")
    start_server
    prefill
    smoke_test
    run_rounds
    check_no_errors
    report >"$TMP/report.md"
    cat "$TMP/report.md"
    mkdir -p "$(dirname "$DOC")"
    cp "$TMP/report.md" "$DOC"
    log "wrote $DOC"
}

main "$@"
