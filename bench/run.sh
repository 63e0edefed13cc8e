#!/usr/bin/env bash
# Throughput of the TOURNEY.*, LIMIT.* and AUDIT.APPEND commands against the plain-Redis ways of
# doing the same work, and the memory of one limiter key.
#
# Starts a private redis-server with the release module on a free loopback port, prefills
# KEYSPACE leaderboards of KEYSPACE players each, runs redis-benchmark for every test in
# interleaved rounds, on each server of BENCH_SERVERS in turn (the test matrix: Redis 7.0, Redis 8.2
# and Valkey 9.1), prints a Markdown report and writes it to docs/benchmarks.md: the ratios of every
# server side by side, then each server's tables, with a chart of its ratios in
# docs/benchmarks-<server>-<version>.svg (bench/chart.py). The Scale section comes from
# docs/benchmarks-scale.md, which bench/scale.sh writes (it is not run here: ~6 minutes, a few GB).
# Limiter tests run in database LIMIT_DB, emptied before each of their runs, over LIMIT_KEYS keys.
# Audit tests run in database AUDIT_DB over AUDIT_KEYS streams per side, filled to their cap before
# the first round, so that every append trims.
# The report's text is bench/report/benchmarks.md (the script fills in its {{NAME}} placeholders);
# the Lua scripts are in bench/lua/; helpers shared with scale.sh and profile.sh in bench/lib.sh.
# Run it through `make bench`, which builds target/release/libtally.so and installs the servers first.
# Each server's part runs as `bench/run.sh --server-part DIR` with TALLY_SERVER naming the server: it
# measures, counts instructions (bench/profile.sh) and leaves its section, ratios and chart in DIR.
#
# Knobs (environment): BENCH_ROUNDS (5), BENCH_KEYSPACE (1000), BENCH_REQUESTS (requests per
# run at pipeline 16, 300000), BENCH_REQUESTS_P1 (requests per run at pipeline 1, 100000),
# BENCH_LIMIT_KEYS (limiter keys, 10000), BENCH_AUDIT_KEYS (audit streams per side, 300),
# BENCH_SERVERS (server binaries, space-separated; make bench passes the test matrix; default
# TALLY_SERVER, else redis-server on PATH). `make bench BENCH_SERVERS=redis-server` is a quick run.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
LOG_NAME=bench

readonly ROUNDS=${BENCH_ROUNDS:-5}
readonly KEYSPACE=${BENCH_KEYSPACE:-1000}
# Sized so that the 58 tests x 5 rounds take about 6 minutes per server on 2 idle CPUs (a run at
# pipeline 1 takes about a second), and each server's part, with the prefill and bench/profile.sh,
# about 7: make bench on the three servers of the test matrix takes about 22 minutes.
readonly REQUESTS_PIPELINED=${BENCH_REQUESTS:-300000}
readonly REQUESTS_P1=${BENCH_REQUESTS_P1:-100000}
readonly LIMIT_KEYS=${BENCH_LIMIT_KEYS:-10000}
readonly LIMIT_DB=1
readonly AUDIT_KEYS=${BENCH_AUDIT_KEYS:-300}
readonly AUDIT_DB=2
# Tournaments with TIEBREAK FIRST, the same boards and players as database 0.
readonly FIRST_DB=3
# Tournaments created ORDER DESC (whose players have member data) and ORDER ASC, the same boards
# and players as database 0.
readonly DESC_DB=5
readonly ASC_DB=6
# Concurrency leases (LIMIT.ACQUIRE / RELEASE and the Lua semaphore; LEASE_* in bench/lib.sh).
readonly LEASE_DB=4
# Fixed windows an hour long that never refuse (the max is above any run's calls).
readonly FIXED_PERIOD=3600000
readonly FIXED_MAX=1000000000
readonly REDIS_CELL=$PWD/.tools/redis-cell/libredis_cell.so
# The cap of every audit stream: tally.audit-max-len for AUDIT.APPEND (set with CONFIG SET; the
# default is 10000), the MAXLEN of the XADD baselines. 1000 keeps the filled streams small (AUDIT_KEYS x 1000
# entries per side); the trimming work per append does not depend on the cap.
readonly AUDIT_CAP=1000
readonly CLIENTS=50
readonly PIPELINE=16
# redis-benchmark draws a separate random number for every __rand_int__ occurrence, so the
# key and the member vary independently, both over 0..KEYSPACE-1 (zero-padded to 12 digits).
readonly KEY='bench:{__rand_int__}'
readonly MEMBER='m:__rand_int__'
# Limiter keys vary over 0..LIMIT_KEYS-1; the Lua script's request id takes two random numbers
# (10^8 values at the default), so ids almost never repeat within one key's log.
readonly LIMIT_KEY='rl:{__rand_int__}'
readonly REQUEST_ID='req:__rand_int__:__rand_int__'
# Sliding window of the LIMIT.SLIDE and Lua tests: a run lasts seconds, so nothing leaves the
# window, and the logs stay far below the max, so every call is allowed and adds an entry.
# Audit streams vary over 0..AUDIT_KEYS-1, AUDIT.APPEND's under audit:, XADD MAXLEN ~'s under audit2:,
# XADD MAXLEN ='s (exact trimming, for reference) under audit3:, so no two tests share a stream.
# The entry has 3 fields, its item_id drawn over 0..AUDIT_KEYS-1.
readonly AUDIT_KEY='audit:{__rand_int__}'
readonly XADD_KEY='audit2:{__rand_int__}'
readonly XADD_EXACT_KEY='audit3:{__rand_int__}'
readonly ENTRY=(action add item_id __rand_int__ quantity 3)
# IDEMPOTENT: every call names a producer from two random numbers (AUDIT_KEYS^2 producers per
# stream) with sequence 1, so a call either appends for a new producer or, when the same stream
# and producer came up before in the run, replies the original ID as a duplicate; the sequence
# never goes down, so no call is refused. The producers hashes are deleted before each run.
readonly PRODUCER='p:__rand_int__:__rand_int__'
readonly SLIDE_WINDOW=60000
readonly SLIDE_MAX=1000
# Tests run in this order in odd rounds and in reverse order in even rounds.
readonly TESTS=(zincrby/16 incr/16 evalsha/16 rank/16 ranks10/16 zrevrank/16 rankfloor/16 rankcall/16 top/16 zrange/16 incrfirst/16 rankfirst/16
    incrdesc/16 incrasc/16 rankdesc/16 rankasc/16 topdesc/16 topasc/16 topdata/16
    slide/16 slidelua/16 gcra/16 setpx/16 throttle/16 fixed/16 fixedlua/16 incrbare/16 acquire/16 acquirelua/16 release/16
    releaselua/16 append/16 xadd/16 idem/16 xaddexact/16 approx/16 chained/16 refuse/16 ping/16
    incr/1 zincrby/1 zrevrank/1 evalsha/1 rank/1 top/1 zrange/1 incrfirst/1 rankfirst/1 slide/1 slidelua/1 gcra/1 throttle/1
    setpx/1 append/1 xadd/1 idem/1 xaddexact/1 ping/1)

# The script a client would run to get TOURNEY.INCR's reply without the module.
INCR_SCRIPT=$(cat bench/lua/incr_rank.lua)

# The classic sliding-window limiter as applications run it: the client sends the window, the
# max, its clock's now (ms) and a request id. Same steps as LIMIT.SLIDE without the module.
SLIDE_SCRIPT=$(cat bench/lua/sliding_window.lua)
# The fixed-window script (INCR, then PEXPIRE on the first call) and a Lua counting semaphore.
FIXED_SCRIPT=$(cat bench/lua/fixed_window.lua)
ACQUIRE_SCRIPT=$(cat bench/lua/semaphore_acquire.lua)
RELEASE_SCRIPT=$(cat bench/lua/semaphore_release.lua)
# The other scripts; each file says what it does and what it takes.
LOG_SIZES_SCRIPT=$(cat bench/lua/log_sizes.lua)
MEMORY_SCRIPT=$(cat bench/lua/call_memory.lua)
PREFILL_SCRIPT=$(cat bench/lua/prefill_boards.lua)
FIRST_PREFILL_SCRIPT=$(cat bench/lua/prefill_first.lua)
LEASES_PREFILL_SCRIPT=$(cat bench/lua/prefill_leases.lua)
TOURNAMENTS_PREFILL_SCRIPT=$(cat bench/lua/prefill_tournaments.lua)
AUDIT_PREFILL_SCRIPT=$(cat bench/lua/prefill_audit.lua)
STREAM_LENGTHS_SCRIPT=$(cat bench/lua/stream_lengths.lua)
PRODUCERS_SCRIPT=$(cat bench/lua/producers.lua)

TMP=""
PORT=""
SERVER_PID=""
BENCH_PID=""
SCRIPT_SHA=""
SLIDE_SHA=""
FIXED_SHA=""
ACQUIRE_SHA=""
RELEASE_SHA=""
SLIDE_NOW=""
PIN=()
PIPELINE_OF_TABLE=""   # the pipeline of the results table being written
declare -A RUNS=()     # test -> space-separated requests/s of each round
declare -A P50=()      # test -> space-separated p50 latency (ms) of each round
declare -A P99=()      # test -> space-separated p99 latency (ms) of each round
declare -A COMMANDS=() # test -> the redis-benchmark command line, for the report
declare -A LOGS=()     # sliding-window test -> space-separated "entries/largest" after each round
declare -A STREAMS=()  # audit test -> space-separated "shortest/longest" stream after each round
declare -A PRODUCERS=() # IDEMPOTENT test -> space-separated "producers/largest hash" after each run
MAX_PRODUCERS=""       # tally.audit-max-producers
MEMORY_ROWS=""         # Markdown rows of the memory table
VERIFY_ROW=""          # AUDIT.VERIFY's throughput, for the report
TIE_ROWS=""            # Markdown rows of the tie structures' memory table

prefill() {
    local keys data_sha k
    log "prefilling $KEYSPACE leaderboards x $KEYSPACE players"
    keys=$(checked eval "$PREFILL_SCRIPT" 0 "$KEYSPACE")
    ((keys == KEYSPACE)) || die "prefill made $keys keys, expected $KEYSPACE"
    log "prefilling the same leaderboards as TIEBREAK FIRST tournaments in database $FIRST_DB"
    keys=$(checked -n "$FIRST_DB" eval "$FIRST_PREFILL_SCRIPT" 0 "$KEYSPACE")
    ((keys == 4 * KEYSPACE)) || die "the FIRST prefill made $keys keys, expected $((4 * KEYSPACE))"
    log "prefilling them as ORDER DESC tournaments with member data in database $DESC_DB, as ORDER ASC ones in $ASC_DB"
    checked -n "$DESC_DB" eval "$PREFILL_SCRIPT" 0 "$KEYSPACE" >/dev/null
    checked -n "$DESC_DB" eval "$TOURNAMENTS_PREFILL_SCRIPT" 0 "$KEYSPACE" desc >/dev/null
    data_sha=$(checked script load "$(cat bench/lua/player_data.lua)")
    for ((k = 0; k < KEYSPACE; k++)); do
        printf 'EVALSHA %s 1 bench:{%012d}:data %d\n' "$data_sha" "$k" "$KEYSPACE"
    done | cli -n "$DESC_DB" >/dev/null
    keys=$(checked -n "$DESC_DB" dbsize)
    ((keys == 3 * KEYSPACE)) || die "the ORDER DESC prefill made $keys keys, expected $((3 * KEYSPACE))"
    checked -n "$ASC_DB" eval "$PREFILL_SCRIPT" 0 "$KEYSPACE" >/dev/null
    keys=$(checked -n "$ASC_DB" eval "$TOURNAMENTS_PREFILL_SCRIPT" 0 "$KEYSPACE" asc)
    ((keys == 2 * KEYSPACE)) || die "the ORDER ASC prefill made $keys keys, expected $((2 * KEYSPACE))"
    SCRIPT_SHA=$(checked script load "$INCR_SCRIPT")
    SLIDE_SHA=$(checked script load "$SLIDE_SCRIPT")
    FIXED_SHA=$(checked script load "$FIXED_SCRIPT")
    ACQUIRE_SHA=$(checked script load "$ACQUIRE_SCRIPT")
    RELEASE_SHA=$(checked script load "$RELEASE_SCRIPT")
    # The fixed now of the Lua test: the server's clock at the start, in ms.
    SLIDE_NOW=$(server_now_ms)
    [[ $SLIDE_NOW =~ ^[0-9]{13}$ ]] || die "could not read the server time: $SLIDE_NOW"
    log "filling $AUDIT_KEYS x 6 audit streams with $AUDIT_CAP entries each"
    checked config set tally.audit-max-len "$AUDIT_CAP" >/dev/null
    keys=$(checked -n "$AUDIT_DB" eval "$AUDIT_PREFILL_SCRIPT" 0 "$AUDIT_KEYS" "$AUDIT_CAP")
    # Six streams and three settings keys per k.
    ((keys == 9 * AUDIT_KEYS)) || die "the audit prefill made $keys keys, expected $((9 * AUDIT_KEYS))"
    log "giving $LIMIT_KEYS x 2 semaphores $LEASE_HELD leases of other workers in database $LEASE_DB"
    keys=$(checked -n "$LEASE_DB" eval "$LEASES_PREFILL_SCRIPT" 0 "$LIMIT_KEYS" "$LEASE_HELD" "$LEASE_MS" lease lease2)
    ((keys == 2 * LIMIT_KEYS)) || die "the lease prefill made $keys keys, expected $((2 * LIMIT_KEYS))"
    MAX_PRODUCERS=$(checked config get tally.audit-max-producers | sed -n 2p)
    [[ $MAX_PRODUCERS =~ ^[0-9]+$ ]] || die "could not read tally.audit-max-producers: $MAX_PRODUCERS"
}

# Sets CMD to the arguments of a test's command (a name without the /pipeline suffix), DB to
# its database and RANGE to the range of its random numbers.
command_of() {
    DB=0
    RANGE=$KEYSPACE
    case $1 in
        slide | slidelua | gcra | setpx | throttle | fixed | fixedlua | incrbare)
            DB=$LIMIT_DB
            RANGE=$LIMIT_KEYS
            ;;
        acquire | acquirelua | release | releaselua)
            DB=$LEASE_DB
            RANGE=$LIMIT_KEYS
            ;;
        append | xadd | idem | xaddexact | approx | chained | refuse)
            DB=$AUDIT_DB
            RANGE=$AUDIT_KEYS
            ;;
        incrfirst | rankfirst) DB=$FIRST_DB ;;
        incrdesc | rankdesc | topdesc | topdata) DB=$DESC_DB ;;
        incrasc | rankasc | topasc) DB=$ASC_DB ;;
    esac
    case $1 in
        incr | incrfirst | incrdesc | incrasc) CMD=(TOURNEY.INCR "$KEY" "$MEMBER" 1) ;;
        zincrby) CMD=(ZINCRBY "$KEY" 1 "$MEMBER") ;;
        evalsha) CMD=(EVALSHA "$SCRIPT_SHA" 1 "$KEY" "$MEMBER" 1) ;;
        rank | rankfirst | rankdesc | rankasc) CMD=(TOURNEY.RANK "$KEY" "$MEMBER") ;;
        # Ten members of one board (each drawn on its own), the friends view.
        ranks10) CMD=(TOURNEY.RANKS "$KEY" 10 "$MEMBER" "$MEMBER" "$MEMBER" "$MEMBER" "$MEMBER" "$MEMBER" "$MEMBER" "$MEMBER" "$MEMBER" "$MEMBER") ;;
        zrevrank) CMD=(ZREVRANK "$KEY" "$MEMBER") ;;
        # The module API's floor under TOURNEY.RANK, and RM_Call alone (bench/floor.c).
        rankfloor) CMD=(FLOOR.RANK "$KEY" "$MEMBER") ;;
        rankcall) CMD=(FLOOR.ZREVRANK "$KEY" "$MEMBER") ;;
        top | topdesc | topasc) CMD=(TOURNEY.TOP "$KEY" 10) ;;
        topdata) CMD=(TOURNEY.TOP "$KEY" 10 WITHDATA) ;;
        zrange) CMD=(ZRANGE "$KEY" 0 9 REV WITHSCORES) ;;
        ping) CMD=(PING) ;;
        slide) CMD=(LIMIT.SLIDE "$LIMIT_KEY" "$SLIDE_WINDOW" "$SLIDE_MAX") ;;
        slidelua) CMD=(EVALSHA "$SLIDE_SHA" 1 "$LIMIT_KEY" "$SLIDE_WINDOW" "$SLIDE_MAX" "$SLIDE_NOW" "$REQUEST_ID") ;;
        gcra) CMD=(LIMIT.GCRA "$LIMIT_KEY" 100 1000 1000) ;;
        setpx) CMD=(SET "$LIMIT_KEY" v PX 1000) ;;
        # The same limiter: bursts of 100 + 1, 1000 per second (CL.THROTTLE counts in seconds).
        throttle) CMD=(CL.THROTTLE "$LIMIT_KEY" 100 1000 1 1) ;;
        fixed) CMD=(LIMIT.FIXED "$LIMIT_KEY" "$FIXED_PERIOD" "$FIXED_MAX") ;;
        fixedlua) CMD=(EVALSHA "$FIXED_SHA" 1 "$LIMIT_KEY" "$FIXED_PERIOD" "$FIXED_MAX") ;;
        incrbare) CMD=(INCR "$LIMIT_KEY") ;;
        acquire) CMD=(LIMIT.ACQUIRE 'lease:{__rand_int__}' "$LEASE_MAX" "$LEASE_MS" TOKEN "$LEASE_TOKEN") ;;
        acquirelua) CMD=(EVALSHA "$ACQUIRE_SHA" 1 'lease2:{__rand_int__}' "$LEASE_MAX" "$LEASE_MS" "$LEASE_TOKEN" "$SLIDE_NOW") ;;
        release) CMD=(LIMIT.RELEASE 'lease:{__rand_int__}' "$LEASE_TOKEN") ;;
        releaselua) CMD=(EVALSHA "$RELEASE_SHA" 1 'lease2:{__rand_int__}' "$LEASE_TOKEN") ;;
        append) CMD=(AUDIT.APPEND "$AUDIT_KEY" "${ENTRY[@]}") ;;
        xadd) CMD=(XADD "$XADD_KEY" MAXLEN '~' "$AUDIT_CAP" '*' "${ENTRY[@]}") ;;
        idem) CMD=(AUDIT.APPEND "$AUDIT_KEY" IDEMPOTENT "$PRODUCER" 1 "${ENTRY[@]}") ;;
        xaddexact) CMD=(XADD "$XADD_EXACT_KEY" MAXLEN '=' "$AUDIT_CAP" '*' "${ENTRY[@]}") ;;
        approx) CMD=(AUDIT.APPEND 'audit4:{__rand_int__}' "${ENTRY[@]}") ;;
        chained) CMD=(AUDIT.APPEND 'audit5:{__rand_int__}' "${ENTRY[@]}") ;;
        refuse) CMD=(AUDIT.APPEND 'audit6:{__rand_int__}' "${ENTRY[@]}") ;;
        *) die "unknown test $1" ;;
    esac
}

# The name of a test's command in the tables.
label_of() {
    case $1 in
        evalsha) echo "EVALSHA (INCR script)" ;;
        slidelua) echo "EVALSHA (sliding-window script)" ;;
        fixedlua) echo "EVALSHA (fixed-window script)" ;;
        incrbare) echo "INCR" ;;
        acquirelua) echo "EVALSHA (semaphore acquire script)" ;;
        releaselua) echo "EVALSHA (semaphore release script)" ;;
        zrange) echo "ZRANGE 0 9 REV WITHSCORES" ;;
        xadd) echo "XADD MAXLEN ~ $AUDIT_CAP" ;;
        idem) echo "AUDIT.APPEND IDEMPOTENT" ;;
        xaddexact) echo "XADD MAXLEN = $AUDIT_CAP" ;;
        approx) echo "AUDIT.APPEND (stream created MAXLEN ~ $AUDIT_CAP)" ;;
        chained) echo "AUDIT.APPEND (stream created CHAIN)" ;;
        refuse) echo "AUDIT.APPEND (stream created ONFULL REFUSE, 2 groups)" ;;
        incrfirst) echo "TOURNEY.INCR (TIEBREAK FIRST)" ;;
        ranks10) echo "TOURNEY.RANKS (10 members)" ;;
        rankfloor) echo "FLOOR.RANK (the module API's floor)" ;;
        rankcall) echo "FLOOR.ZREVRANK (RM_Call alone)" ;;
        rankfirst) echo "TOURNEY.RANK (TIEBREAK FIRST)" ;;
        incrdesc | rankdesc | topdesc) echo "$(label_of "${1%desc}") (ORDER DESC tournament)" ;;
        incrasc | rankasc | topasc) echo "$(label_of "${1%asc}") (ORDER ASC tournament)" ;;
        topdata) echo "TOURNEY.TOP WITHDATA" ;;
        *)
            command_of "$1"
            echo "${CMD[0]}"
            ;;
    esac
}

# Empties the limiter database, so every limiter run starts from no state at all.
empty_limit_db() { checked -n "$LIMIT_DB" flushdb >/dev/null; }

# Each command once on a concrete key, so a typo cannot turn into a benchmark of error replies.
# The limiter commands must allow the call (first reply line 1), as they do in the benchmark;
# the audit commands must reply a stream ID, and TOURNEY.TOP and ZRANGE 10 players.
smoke_test() {
    local name concrete arg reply
    for name in incr zincrby evalsha rank ranks10 zrevrank rankfloor rankcall top zrange incrfirst rankfirst incrdesc incrasc rankdesc rankasc topdesc \
        topasc topdata ping slide slidelua gcra setpx throttle fixed fixedlua incrbare acquire acquirelua release releaselua append \
        xadd idem xaddexact approx chained refuse; do
        command_of "$name"
        concrete=()
        for arg in "${CMD[@]}"; do concrete+=("${arg//__rand_int__/000000000007}"); done
        ((DB == 0)) || empty_limit_db
        reply=$(checked -n "$DB" "${concrete[@]}")
        case $name in
            slide | slidelua | gcra | fixed | fixedlua | acquire | acquirelua | release | releaselua)
                [[ ${reply%%$'\n'*} == 1 ]] || die "${concrete[*]} did not allow: $reply"
                ;;
            append | xadd | idem | xaddexact | approx | chained | refuse)
                [[ $reply =~ ^[0-9]+-[0-9]+$ ]] || die "${concrete[*]} replied no stream ID: $reply"
                ;;
            throttle) [[ ${reply%%$'\n'*} == 0 ]] || die "${concrete[*]} did not allow (0 is allowed): $reply" ;;
            top | topdesc | topasc) (($(wc -l <<<"$reply") == 30)) || die "${concrete[*]} did not reply 10 players: $reply" ;;
            topdata)
                (($(wc -l <<<"$reply") == 40)) && [[ $reply == *'{"name":"Player '* ]] ||
                    die "${concrete[*]} did not reply 10 players with their data: $reply"
                ;;
            zrange) (($(wc -l <<<"$reply") == 20)) || die "${concrete[*]} did not reply 10 players: $reply" ;;
        esac
    done
    empty_limit_db
    clear_producers >/dev/null
}

quote_args() {
    local arg out=()
    for arg in "$@"; do
        if [[ $arg =~ ^[A-Za-z0-9_.:/=-]+$ ]]; then out+=("$arg"); else out+=("'$arg'"); fi
    done
    printf '%s' "${out[*]}"
}

# Runs one test (name/pipeline) once and records its requests/s and its p50 and p99 latency.
bench_once() {
    local test=$1 name=${1%/*} pipeline=${1#*/} requests rps p50 p99 fields
    requests=$REQUESTS_PIPELINED
    ((pipeline > 1)) || requests=$REQUESTS_P1
    command_of "$name"
    local args=(-h 127.0.0.1 -p "$PORT" -c "$CLIENTS" -P "$pipeline" -n "$requests" -r "$RANGE")
    ((DB == 0)) || args+=(--dbnum "$DB")
    args+=(--csv "${CMD[@]}")
    ((DB != LIMIT_DB)) || empty_limit_db
    [[ $name != idem ]] || clear_producers >/dev/null
    COMMANDS[$test]="redis-benchmark $(quote_args "${args[@]}")"
    pin 1
    # In the background so that an interrupt's trap runs at once, not after the run.
    "${PIN[@]}" redis-benchmark "${args[@]}" >"$TMP/run.csv" &
    BENCH_PID=$!
    wait "$BENCH_PID" || die "redis-benchmark failed: ${COMMANDS[$test]}"
    BENCH_PID=""
    # redis-benchmark 7.0 --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
    # "p95_latency_ms","p99_latency_ms","max_latency_ms" (latencies with 3 decimals).
    [[ $(head -n 1 "$TMP/run.csv") == '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",'* ]] ||
        die "unexpected redis-benchmark --csv header: $(head -n 1 "$TMP/run.csv")"
    fields=$(awk -F'","' 'END { print $2, $5, $7 }' "$TMP/run.csv")
    read -r rps p50 p99 <<<"$fields"
    [[ $rps =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "no requests/s from: ${COMMANDS[$test]}"
    [[ $p50 =~ ^[0-9]+(\.[0-9]+)?$ && $p99 =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
        die "no p50/p99 latency from: ${COMMANDS[$test]}: $(tail -n 1 "$TMP/run.csv")"
    RUNS[$test]="${RUNS[$test]:-}${RUNS[$test]:+ }$rps"
    P50[$test]="${P50[$test]:-}${P50[$test]:+ }$p50"
    P99[$test]="${P99[$test]:-}${P99[$test]:+ }$p99"
    log "$test: $rps requests/s, p50 $p50 ms, p99 $p99 ms"
    case $name in
        slide | slidelua) record_log_sizes "$test" ;;
        append | xadd | idem | xaddexact | approx | chained | refuse) record_stream_lengths "$test" ;;
    esac
    [[ $name != idem ]] || record_producers "$test"
}

# Records how many entries the sliding logs hold after a run, and the largest log.
record_log_sizes() {
    local sizes
    sizes=$(checked -n "$LIMIT_DB" eval "$LOG_SIZES_SCRIPT" 0 "$LIMIT_KEYS" | paste -sd/)
    [[ $sizes =~ ^[0-9]+/[0-9]+$ ]] || die "bad log sizes: $sizes"
    ((${sizes#*/} < SLIDE_MAX)) || die "a log reached the max ($sizes): calls were denied"
    LOGS[$1]="${LOGS[$1]:-}${LOGS[$1]:+ }$sizes"
    log "$1: $sizes entries in all logs / largest log"
}

# Records the shortest and longest stream of a test's side after a run. Each must hold at least the
# cap, or some appends did not trim; the exactly trimmed streams must hold the cap exactly.
record_stream_lengths() {
    local prefix=audit lengths
    case ${1%/*} in
        xadd) prefix=audit2 ;;
        xaddexact) prefix=audit3 ;;
        approx) prefix=audit4 ;;
        chained) prefix=audit5 ;;
        refuse) prefix=audit6 ;;
    esac
    lengths=$(checked -n "$AUDIT_DB" eval "$STREAM_LENGTHS_SCRIPT" 0 "$prefix" "$AUDIT_KEYS" | paste -sd/)
    [[ $lengths =~ ^[0-9]+/[0-9]+$ ]] || die "bad stream lengths: $lengths"
    ((${lengths%/*} >= AUDIT_CAP)) || die "a $prefix stream is below the cap ($lengths): not every append trimmed"
    [[ $prefix == audit2 || $prefix == audit4 || $lengths == "$AUDIT_CAP/$AUDIT_CAP" ]] || die "${1%/*} left streams of $lengths entries, cap $AUDIT_CAP"
    STREAMS[$1]="${STREAMS[$1]:-}${STREAMS[$1]:+ }$lengths"
    log "$1: $lengths entries in the shortest / longest stream"
}

# Empties the producers hashes; prints "producers in all hashes/largest hash" before emptying.
clear_producers() { checked -n "$AUDIT_DB" eval "$PRODUCERS_SCRIPT" 0 "$AUDIT_KEYS" | paste -sd/; }

# Records how many producers an IDEMPOTENT run left (one per appending call), and empties them.
record_producers() {
    local test=$1 sizes
    sizes=$(clear_producers)
    [[ $sizes =~ ^[0-9]+/[0-9]+$ ]] || die "bad producers sizes: $sizes"
    ((${sizes#*/} < MAX_PRODUCERS)) || die "a stream reached tally.audit-max-producers ($sizes): calls were refused"
    PRODUCERS[$test]="${PRODUCERS[$test]:-}${PRODUCERS[$test]:+ }$sizes"
    log "$test: $sizes producers in all hashes / largest hash"
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

# Fills VERIFY_ROW: AUDIT.VERIFY's links checked per second over a chained stream of VERIFY_ENTRIES entries,
# one call checking all of them (redis-benchmark, one client, VERIFY_CALLS calls).
readonly VERIFY_ENTRIES=100000
readonly VERIFY_CALLS=20
measure_verify() {
    local key='verify:{v}' rps
    checked config set tally.audit-max-len "$VERIFY_ENTRIES" >/dev/null
    checked -n "$AUDIT_DB" audit.create "$key" MAXLEN "$VERIFY_ENTRIES" CHAIN >/dev/null
    checked -n "$AUDIT_DB" eval "$(cat bench/lua/append_chained.lua)" 1 "$key" "$VERIFY_ENTRIES" >/dev/null
    checked config set tally.audit-max-len "$AUDIT_CAP" >/dev/null
    pin 1
    rps=$("${PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$PORT" --dbnum "$AUDIT_DB" -c 1 -n "$VERIFY_CALLS" --csv \
        AUDIT.VERIFY "$key" COUNT "$VERIFY_ENTRIES" | awk -F'","' 'END { print $2 }')
    [[ $rps =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "no requests/s from AUDIT.VERIFY: $rps"
    VERIFY_ROW=$(awk -v r="$rps" -v n="$VERIFY_ENTRIES" -v c="$VERIFY_CALLS" 'BEGIN {
        printf "%.0f links checked per second (%.1f ms per call of COUNT %d over a chained stream of %d entries of 3 fields; %d calls, one client)", r * n, 1000 / r, n, n, c
    }')
    log "AUDIT.VERIFY: $VERIFY_ROW"
}

# Fills MEMORY_ROWS: MEMORY USAGE of a GCRA key, a fixed-window count and a 100-entry sliding log, with baselines.
measure_memory() {
    local key='rl:{000000000007}' reply i
    empty_limit_db
    reply=$(checked -n "$LIMIT_DB" eval "$MEMORY_SCRIPT" 1 "$key" LIMIT.GCRA "$key" 100 1000 1000 | paste -sd' ')
    memory_row "GCRA state" "\`LIMIT.GCRA $key 100 1000 1000\`" "$reply"
    empty_limit_db
    reply=$(checked -n "$LIMIT_DB" eval "$MEMORY_SCRIPT" 1 "$key" LIMIT.FIXED "$key" 86400000 1000 COST 999 | paste -sd' ')
    memory_row "fixed-window count (999 of 1000 today)" "\`LIMIT.FIXED $key 86400000 1000 COST 999\`" "$reply"
    empty_limit_db
    # Not in a script: there SET would store the script's cached argument object, which is larger.
    reply=$(printf '%s\n' MULTI "SET $key v PX 1000" "MEMORY USAGE $key SAMPLES 0" "OBJECT ENCODING $key" EXEC |
        cli -n "$LIMIT_DB" | tail -n 2 | paste -sd' ')
    memory_row "plain string (baseline)" "\`SET $key v PX 1000\`" "$reply"
    empty_limit_db
    for ((i = 0; i < 100; i++)); do echo "LIMIT.SLIDE $key 3600000 100000"; done | cli -n "$LIMIT_DB" >/dev/null
    slide_log_row "sliding log, 100 entries" "100 x \`LIMIT.SLIDE $key 3600000 100000\`"
    empty_limit_db
    for ((i = 0; i < 100; i++)); do
        echo "EVALSHA $SLIDE_SHA 1 $key 3600000 100000 $SLIDE_NOW req:$(printf '%012d:%012d' "$i" "$((i * 7919 % 10000))")"
    done | cli -n "$LIMIT_DB" >/dev/null
    slide_log_row "Lua sliding log, 100 entries (baseline)" "100 x the Lua script, window 3600000, max 100000, ids \`req:<12 digits>:<12 digits>\`"
    empty_limit_db
}

# Fills TIE_ROWS: the keys of one TIEBREAK FIRST tournament of the benchmark (database FIRST_DB) and
# of one TIES DENSE tournament made here with the same players and scores, per member.
measure_tie_memory() {
    local board='bench:{000000000007}' dense_board='dense:{000000000007}' key
    checked -n "$FIRST_DB" tourney.create "$dense_board" ties dense >/dev/null
    # Board 7's players and scores, as the benchmark's board bench:{000000000007} has them.
    checked -n "$FIRST_DB" eval "$(cat bench/lua/submit_players.lua)" 1 "$dense_board" "$KEYSPACE" 7 >/dev/null
    for key in "$board" "$board:arrival" "$board:order" "$board:tourney" "$dense_board:dense"; do
        tie_row "$key"
    done
}

tie_row() {
    local bytes encoding entries
    bytes=$(checked -n "$FIRST_DB" memory usage "$1" samples 0)
    encoding=$(checked -n "$FIRST_DB" object encoding "$1")
    case $(checked -n "$FIRST_DB" type "$1") in
        zset) entries=$(checked -n "$FIRST_DB" zcard "$1") ;;
        hash) entries=$(checked -n "$FIRST_DB" hlen "$1") ;;
        *) entries=1 ;;
    esac
    [[ $bytes =~ ^[0-9]+$ ]] || die "bad MEMORY USAGE reply for $1: $bytes"
    TIE_ROWS+=$(awk -v k="$1" -v e="$encoding" -v n="$entries" -v b="$bytes" -v players="$KEYSPACE" \
        'BEGIN { printf "| `%s` | %s | %d | %d | %.1f |", k, e, n, b, b / players }')$'\n'
}

# memory_row what how "bytes encoding"
memory_row() {
    local bytes=${3% *} encoding=${3#* }
    [[ $bytes =~ ^[0-9]+$ ]] || die "bad MEMORY USAGE reply for $2: $3"
    MEMORY_ROWS+="| $1 | $2 | $encoding | $bytes |"$'\n'
}

slide_log_row() {
    local key='rl:{000000000007}' entries
    entries=$(checked -n "$LIMIT_DB" zcard "$key")
    ((entries == 100)) || die "$2 made a log of $entries entries, expected 100"
    memory_row "$1" "$2" "$(checked -n "$LIMIT_DB" memory usage "$key" samples 0) $(checked -n "$LIMIT_DB" object encoding "$key")"
}

med() { median "${RUNS[$1]}"; }

# Logical updates/s of a client that waits for a first reply, then a second: 1/(1/a + 1/b).
two_round_trips() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", 1 / (1 / a + 1 / b) }'; }

fmt_rps() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }

# Requests/s of test $1 at pipeline $2; a pair "a+b" (a client sending a, then b) counts pairs
# per second, 1/(1/a + 1/b), from the two tests' medians; "test*n" counts n units per call
# (members per second of a call that ranks n members).
rate_of() {
    if [[ $1 == *+* ]]; then
        two_round_trips "$(med "${1%+*}/$2")" "$(med "${1#*+}/$2")"
    elif [[ $1 == *'*'* ]]; then
        awk -v r="$(med "${1%'*'*}/$2")" -v n="${1#*'*'}" 'BEGIN { printf "%.2f", r * n }'
    else
        med "$1/$2"
    fi
}

# latency of test $1 at pipeline $2; of a pair, the sums of its two tests'.
latency_of() {
    [[ $1 != *'*'* ]] || { latency "${1%'*'*}/$2"; return; }
    [[ $1 == *+* ]] || { latency "$1/$2"; return; }
    local a=${1%+*}/$2 b=${1#*+}/$2
    awk -v a="$(median "${P50[$a]}")" -v b="$(median "${P50[$b]}")" -v c="$(median "${P99[$a]}")" \
        -v d="$(median "${P99[$b]}")" 'BEGIN { printf "%.3f / %.3f (sums)", a + b, c + d }'
}

# Median p50 and p99 latency of a test, "p50 / p99" in ms.
latency() { awk -v a="$(median "${P50[$1]}")" -v b="$(median "${P99[$1]}")" 'BEGIN { printf "%.3f / %.3f", a, b }'; }

# One row of a results table, comparing a test with its baseline at the same pipeline, and both
# with PING there; also appends the row to the chart's data ($TMP/chart.tsv). The baseline
# "split" is the pipeline-1 client that sends ZINCRBY, then ZREVRANK. "met?" compares the ratio
# with the target ("-": none). Arguments: command label, baseline label, test name, baseline test
# name, target, chart label.
row() {
    local command=$1 baseline=$2 name=$3 base_name=$4 target=$5 chart_label=$6 pipeline
    pipeline=$PIPELINE_OF_TABLE
    local rps base base_latency ping
    rps=$(rate_of "$name" "$pipeline")
    ping=$(med "ping/$pipeline")
    if [[ $base_name == split ]]; then
        base=$(two_round_trips "$(med zincrby/1)" "$(med zrevrank/1)")
        base_latency=$(awk -v a="$(median "${P50[zincrby/1]}")" -v b="$(median "${P50[zrevrank/1]}")" \
            -v c="$(median "${P99[zincrby/1]}")" -v d="$(median "${P99[zrevrank/1]}")" \
            'BEGIN { printf "%.3f / %.3f (sums)", a + b, c + d }')
    else
        base=$(rate_of "$base_name" "$pipeline")
        base_latency=$(latency_of "$base_name" "$pipeline")
    fi
    awk -v c="$command" -v b="$baseline" -v r="$rps" -v s="$base" -v t="$target" -v ping="$ping" \
        -v l="$(latency_of "$name" "$pipeline")" -v bl="$base_latency" 'BEGIN {
        ratio = r / s
        if (t == "-") { target = "-"; met = "-" } else { target = ">= " t "x"; met = (ratio >= t) ? "yes" : "NO" }
        printf "| %s | %s | %.0f | %s | %.0f | %s | %.3fx | %s | %s | %.3f | %.3f |\n", c, b, r, l, s, bl, ratio, target, met, r / ping, s / ping
    }'
    awk -v p="$pipeline" -v l="$chart_label" -v r="$rps" -v s="$base" -v t="$target" -v ping="$ping" 'BEGIN {
        printf "%s\t%s\t%.4f\t%s\t%.4f\t%.4f\n", p, l, r / s, t, r / ping, s / ping
    }' >>"$TMP/chart.tsv"
    # For the table of every server's ratios side by side.
    awk -v p="$pipeline" -v c="$command" -v b="$baseline" -v r="$rps" -v s="$base" -v t="$target" 'BEGIN {
        printf "%s\t%s\t%s\t%s\t%.3f\n", p, c, b, t, r / s
    }' >>"$TMP/ratios.tsv"
}

ping_row() {
    echo "| PING (ceiling) | - | $(fmt_rps "$(med "ping/$1")") | $(latency "ping/$1") | - | - | - | - | - | 1.000 | - |"
}

table_head() {
    echo "| command | baseline | rps | p50 / p99 ms | baseline rps | baseline p50 / p99 ms | ratio | target | met? | rps / PING | baseline / PING |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
}

# The pairs measured at both pipelines, after the pipeline-specific rows.
common_rows() {
    row TOURNEY.RANK ZREVRANK rank zrevrank "$1" "TOURNEY.RANK / ZREVRANK"
    row "TOURNEY.TOP key 10" "ZRANGE key 0 9 REV WITHSCORES" top zrange "$1" "TOURNEY.TOP 10 / ZRANGE 0 9"
    row LIMIT.SLIDE "EVALSHA (sliding-window Lua script)" slide slidelua "$2" "LIMIT.SLIDE / Lua script"
    row LIMIT.GCRA "SET key v PX 1000" gcra setpx "$1" "LIMIT.GCRA / SET PX"
    row LIMIT.GCRA "CL.THROTTLE (redis-cell 0.2.2)" gcra throttle "$6" "LIMIT.GCRA / CL.THROTTLE"
    row "AUDIT.APPEND (exact cap $AUDIT_CAP)" "XADD MAXLEN ~ $AUDIT_CAP" append xadd "$3" "AUDIT.APPEND / XADD ~"
    row "AUDIT.APPEND IDEMPOTENT (exact cap $AUDIT_CAP)" "XADD MAXLEN ~ $AUDIT_CAP" idem xadd "$4" "APPEND IDEMPOTENT / XADD ~"
    row "AUDIT.APPEND (exact cap $AUDIT_CAP)" "XADD MAXLEN = $AUDIT_CAP (exact, like AUDIT.APPEND)" append xaddexact "$5" \
        "AUDIT.APPEND / XADD ="
}

# Streams with their own settings (AUDIT.CREATE), at pipeline 16 only.
settings_rows() {
    row "AUDIT.APPEND, stream created MAXLEN ~ $AUDIT_CAP" "XADD MAXLEN ~ $AUDIT_CAP" approx xadd 0.9 "APPEND ~ / XADD ~"
    row "AUDIT.APPEND, stream created CHAIN" "AUDIT.APPEND (exact, unchained)" chained append 0.7 "APPEND CHAIN / APPEND"
    row "AUDIT.APPEND, ONFULL REFUSE, 2 groups, at cap" "AUDIT.APPEND (ONFULL TRIM)" refuse append 0.5 "APPEND REFUSE / APPEND"
}

# Fixed windows and leases against the scripts they replace, at pipeline 16 only.
limiter_rows() {
    row LIMIT.FIXED "EVALSHA (fixed-window Lua script: INCR, PEXPIRE on the first call)" fixed fixedlua 2.0 \
        "LIMIT.FIXED / Lua script"
    row LIMIT.FIXED "INCR (no expiry, no decision)" fixed incrbare 0.7 "LIMIT.FIXED / INCR"
    row "LIMIT.ACQUIRE + LIMIT.RELEASE (pairs/s)" "the Lua semaphore's acquire + release scripts" acquire+release \
        acquirelua+releaselua 2.0 "ACQUIRE+RELEASE / Lua"
    row LIMIT.ACQUIRE "EVALSHA (semaphore acquire script)" acquire acquirelua - "LIMIT.ACQUIRE / Lua acquire"
    row LIMIT.RELEASE "EVALSHA (semaphore release script)" release releaselua - "LIMIT.RELEASE / Lua release"
}

# Lowest-wins tournaments against highest-wins ones, and member data, at pipeline 16 only.
order_and_data_rows() {
    row "TOURNEY.INCR, ORDER ASC tournament" "TOURNEY.INCR, ORDER DESC tournament" incrasc incrdesc 0.95 "INCR ASC / DESC"
    row "TOURNEY.RANK, ORDER ASC tournament" "TOURNEY.RANK, ORDER DESC tournament" rankasc rankdesc 0.95 "RANK ASC / DESC"
    row "TOURNEY.TOP key 10, ORDER ASC tournament" "TOURNEY.TOP key 10, ORDER DESC tournament" topasc topdesc 0.95 \
        "TOP ASC / DESC"
    row "TOURNEY.TOP key 10 WITHDATA" "TOURNEY.TOP key 10 (the same tournament)" topdata topdesc 0.6 "TOP WITHDATA / TOP"
}

# What the module API alone costs a rank (bench/floor.c), at pipeline 16 only: no targets, they
# show how far TOURNEY.RANK / ZREVRANK can go.
floor_rows() {
    row "FLOOR.RANK: settings lookup + RM_Call of ZREVRANK" ZREVRANK rankfloor zrevrank - "API floor / ZREVRANK"
    row "FLOOR.ZREVRANK: RM_Call of ZREVRANK alone" ZREVRANK rankcall zrevrank - "RM_Call / ZREVRANK"
    row TOURNEY.RANK "FLOOR.RANK (the module API's floor)" rank rankfloor - "RANK / API floor"
}

# TIEBREAK FIRST tournaments against the same calls on plain leaderboards.
first_rows() {
    row "TOURNEY.INCR, TIEBREAK FIRST" "TOURNEY.INCR, plain leaderboard" incrfirst incr "$1" "INCR FIRST / INCR plain"
    row "TOURNEY.RANK, TIEBREAK FIRST" "TOURNEY.RANK, plain leaderboard" rankfirst rank "$1" "RANK FIRST / RANK plain"
}

pipelined_table() {
    table_head
    PIPELINE_OF_TABLE=$PIPELINE
    row TOURNEY.INCR ZINCRBY incr zincrby 0.7 "TOURNEY.INCR / ZINCRBY"
    row TOURNEY.INCR "EVALSHA (ZINCRBY + ZREVRANK in Lua)" incr evalsha 1.6 "TOURNEY.INCR / Lua script"
    row "TOURNEY.RANKS of 10 members (members/s)" "TOURNEY.RANK, one call per member" 'ranks10*10' rank 5.0 \
        "RANKS 10 / RANK (members/s)"
    common_rows 0.8 2.0 0.9 0.7 0.9 1.2
    floor_rows
    limiter_rows
    settings_rows
    first_rows 0.6
    order_and_data_rows
    ping_row "$PIPELINE"
}

pipeline1_table() {
    table_head
    PIPELINE_OF_TABLE=1
    row TOURNEY.INCR ZINCRBY incr zincrby - "TOURNEY.INCR / ZINCRBY"
    row TOURNEY.INCR "EVALSHA (ZINCRBY + ZREVRANK in Lua)" incr evalsha - "TOURNEY.INCR / Lua script"
    row TOURNEY.INCR "ZINCRBY, then ZREVRANK (two round trips)" incr split 1.8 "TOURNEY.INCR / 2 round trips"
    common_rows - - - - - -
    first_rows -
    ping_row 1
}

runs_table() {
    local test
    echo "| test | pipeline | requests/s of each round | median | p50 / p99 ms of each round | median p50 / p99 ms |"
    echo "|---|---|---|---|---|---|"
    for test in "${TESTS[@]}"; do
        echo "| $(label_of "${test%/*}") | ${test#*/} | ${RUNS[$test]// / , } | $(fmt_rps "$(med "$test")") |" \
            "$(paste -d/ <(tr ' ' '\n' <<<"${P50[$test]}") <(tr ' ' '\n' <<<"${P99[$test]}") | paste -sd' ' | sed 's/ / , /g') |" \
            "$(latency "$test") |"
    done
}

# Calls per run of a test.
requests_of() { if ((${1#*/} > 1)); then echo "$REQUESTS_PIPELINED"; else echo "$REQUESTS_P1"; fi; }

# Entries in all sliding logs after each run; at the end of a run a log holds entries/LIMIT_KEYS
# on average, and a call finds about half that many, since the logs grow from empty.
logs_table() {
    local test
    echo "| test | pipeline | calls per run | entries in all logs after each run | mean log at the end of a run | mean log a call finds | largest log |"
    echo "|---|---|---|---|---|---|---|"
    for test in slide/16 slidelua/16 slide/1 slidelua/1; do
        awk -v label="$(label_of "${test%/*}") | ${test#*/} | $(requests_of "$test")" -v runs="${LOGS[$test]}" -v keys="$LIMIT_KEYS" 'BEGIN {
            n = split(runs, run, " ")
            for (i = 1; i <= n; i++) {
                split(run[i], v, "/")
                entries = entries (i > 1 ? " , " : "") v[1]
                total += v[1]
                if (v[2] + 0 > largest) largest = v[2] + 0
            }
            mean = total / n / keys
            printf "| %s | %s | %.1f | %.1f | %d |\n", label, entries, mean, mean / 2, largest
        }'
    done
}

# Shortest and longest stream of each audit test's side after each run.
streams_table() {
    local test
    echo "| test | pipeline | shortest / longest stream after each run |"
    echo "|---|---|---|"
    for test in append/16 idem/16 xadd/16 xaddexact/16 approx/16 chained/16 refuse/16 append/1 idem/1 xadd/1 xaddexact/1; do
        echo "| $(label_of "${test%/*}") | ${test#*/} | ${STREAMS[$test]// / , } |"
    done
}

# Producers the IDEMPOTENT runs left: one per call that appended, the rest were duplicates.
producers_table() {
    local test
    echo "| pipeline | calls per run | producers in all hashes after each run | duplicates (mean) | mean hash at the end of a run | largest hash |"
    echo "|---|---|---|---|---|---|"
    for test in idem/16 idem/1; do
        producers_row "$test"
    done
}

producers_row() {
    awk -v pipeline="${1#*/}" -v runs="${PRODUCERS[$1]}" -v requests="$(requests_of "$1")" -v keys="$AUDIT_KEYS" 'BEGIN {
        n = split(runs, run, " ")
        for (i = 1; i <= n; i++) {
            split(run[i], v, "/")
            producers = producers (i > 1 ? " , " : "") v[1]
            total += v[1]
            if (v[2] + 0 > largest) largest = v[2] + 0
        }
        printf "| %s | %s | %s | %.2f%% | %.0f | %d |\n", pipeline, requests, producers, 100 * (1 - total / n / requests), total / n / keys, largest
    }'
}

pinning() {
    pin 0
    if ((${#PIN[@]})); then echo "$(server_name) on CPU 0, redis-benchmark on CPU 1 (taskset)."; else echo "none."; fi
}

# The Scale section: docs/benchmarks-scale.md as bench/scale.sh last wrote it, between markers
# that bench/scale.sh rewrites in place when it runs after this report.
scale_section() {
    echo "<!-- scale:begin -->"
    if [[ -f $SCALE_DOC ]]; then
        cat "$SCALE_DOC"
    else
        echo "## Scale"
        echo
        echo "Not measured yet: run \`bench/scale.sh\` (about 6 minutes, a few GB of memory); it writes $SCALE_DOC and this section."
    fi
    echo "<!-- scale:end -->"
}

chart_subtitle() {
    echo "$(server_name) $(server_version), $(nproc) CPUs ($(cpu_model)), $CLIENTS clients, median of $ROUNDS interleaved rounds, $(date -u '+%Y-%m-%d')"
}

# The values of the Setup section (bench/report/benchmarks.md), the same on every server, as
# NAME=value words for fill_template.
setup_values() {
    SETUP_VALUES=(
        KEYSPACE="$KEYSPACE"
        LAST_BOARD="$(printf '%012d' $((KEYSPACE - 1)))"
        KEYSPACE_MAX="$((KEYSPACE - 1))"
        CLIENTS="$CLIENTS"
        REQUESTS_PIPELINED="$REQUESTS_PIPELINED"
        PIPELINE="$PIPELINE"
        REQUESTS_P1="$REQUESTS_P1"
        ROUNDS="$ROUNDS"
        INCR_SCRIPT="$INCR_SCRIPT"
        LIMIT_DB="$LIMIT_DB"
        LAST_LIMIT_KEY="$(printf '%012d' $((LIMIT_KEYS - 1)))"
        LIMIT_KEYS="$LIMIT_KEYS"
        SLIDE_SCRIPT="$SLIDE_SCRIPT"
        REQUEST_IDS="$((LIMIT_KEYS * LIMIT_KEYS))"
        SLIDE_WINDOW="$SLIDE_WINDOW"
        SLIDE_MAX="$SLIDE_MAX"
        FIRST_DB="$FIRST_DB"
        DESC_DB="$DESC_DB"
        ASC_DB="$ASC_DB"
        AUDIT_DB="$AUDIT_DB"
        AUDIT_KEYS="$AUDIT_KEYS"
        LAST_AUDIT_KEY="$(printf '%012d' $((AUDIT_KEYS - 1)))"
        AUDIT_CAP="$AUDIT_CAP"
        AUDIT_KEYS_MAX="$((AUDIT_KEYS - 1))"
        AUDIT_CAP_APPROX_MAX="$((AUDIT_CAP + 99))"
        PRODUCERS_PER_STREAM="$((AUDIT_KEYS * AUDIT_KEYS))"
        PRODUCERS_PER_RUN="$((REQUESTS_PIPELINED / AUDIT_KEYS))"
    )
}

# The chart of a server's ratios, in docs/.
chart_name() { echo "benchmarks-$(server_name)-$(server_version).svg"; }

# One server's section: bench/report/server.md with its figures filled in.
server_report() {
    local test commands=()
    for test in "${TESTS[@]}"; do commands+=("${COMMANDS[$test]}"); done
    # The table rows append the chart's data and the ratios.
    : >"$TMP/chart.tsv"
    : >"$TMP/ratios.tsv"
    setup_values
    fill_template bench/report/server.md \
        "${SETUP_VALUES[@]}" \
        SERVER_NAME="$(server_name)" \
        SERVER_VERSION="$(server_version)" \
        SERVER_BIN="$SERVER_BIN" \
        CHART="$(chart_name)" \
        VERIFY_ROW="$VERIFY_ROW" \
        PIPELINED_TABLE="$(pipelined_table)" \
        PIPELINE1_TABLE="$(pipeline1_table)" \
        MEMORY_ROWS="$(printf '%s' "$MEMORY_ROWS")" \
        TIE_ROWS="$(printf '%s' "$TIE_ROWS")" \
        RUNS_TABLE="$(runs_table)" \
        LOGS_TABLE="$(logs_table)" \
        STREAMS_TABLE="$(streams_table)" \
        PRODUCERS_TABLE="$(producers_table)" \
        PROFILE="$(cat "$TMP/profile.md")" \
        COMMANDS="$(printf '%s\n' "${commands[@]}")"
}

# The ratios of every server side by side at one pipeline, from the parts' ratios.tsv (the same
# rows in the same order on every server). Arguments: pipeline, part directories.
side_by_side() {
    local pipeline=$1 dir
    shift
    local header="| command | baseline | target |" rule="|---|---|---|" files=()
    for dir in "$@"; do
        header+=" $(cat "$dir/server") |"
        rule+="---|"
        files+=("$dir/ratios.tsv")
    done
    echo "$header"
    echo "$rule"
    # Every part's rows of this pipeline, row by row; a ratio below its target is marked NO.
    awk -F'\t' -v p="$pipeline" -v servers=$# '
        $1 == p {
            n = ++rows[FILENAME]
            if (FILENAME == ARGV[1]) { label[n] = "| " $2 " | " $3 " | " ($4 == "-" ? "-" : ">= " $4 "x") " |" }
            cell[n] = cell[n] " " sprintf("%.3fx", $5) (($4 != "-" && $5 < $4) ? " NO" : "") " |"
        }
        END { for (i = 1; i <= rows[ARGV[1]]; i++) print label[i] cell[i] }' "${files[@]}"
}

# The whole page, from the parts of each server (directories, in the order measured).
report() {
    local dir servers=() sections=()
    for dir in "$@"; do
        servers+=("$(cat "$dir/server")")
        sections+=("$(cat "$dir/section.md")")
    done
    setup_values
    fill_template bench/report/benchmarks.md \
        "${SETUP_VALUES[@]}" \
        DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" \
        CPUS="$(nproc)" \
        CPU_MODEL="$(cpu_model)" \
        KERNEL="$(uname -r)" \
        SERVERS="$(printf '%s, ' "${servers[@]}" | sed 's/, $//')" \
        COMMIT="$(module_commit)" \
        PINNING="$(pinning)" \
        MAX_PRODUCERS="$(cat "$1/max_producers")" \
        SIDE_BY_SIDE_PIPELINED="$(side_by_side "$PIPELINE" "$@")" \
        SIDE_BY_SIDE_P1="$(side_by_side 1 "$@")" \
        SERVER_SECTIONS="$(printf '%s\n\n' "${sections[@]}")" \
        SCALE_SECTION="$(scale_section)" \
        NOTES="$(cat bench/notes.md)"
}

# One server's part (TALLY_SERVER): measures it and leaves in OUT its section of the page, its
# ratios, its chart and its name.
server_part() {
    local part_dir=$1
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench.XXXXXX")
    # redis-cell's CL.THROTTLE, LIMIT.GCRA's baseline (scripts/install-redis-cell.sh).
    start_server "$TMP" --loadmodule "$REDIS_CELL" --loadmodule "$FLOOR_MODULE"
    prefill
    smoke_test
    run_rounds
    measure_memory
    measure_tie_memory
    measure_verify
    check_no_errors cli "the server replied errors during the benchmark"
    log "counting instructions per call (bench/profile.sh)"
    bench/profile.sh >"$TMP/profile.md"
    server_report >"$part_dir/section.md"
    cp "$TMP/ratios.tsv" "$part_dir/ratios.tsv"
    echo "$(server_name) $(server_version)" >"$part_dir/server"
    echo "$MAX_PRODUCERS" >"$part_dir/max_producers"
    python3 bench/chart.py "$TMP/chart.tsv" "$(chart_subtitle)" >"$part_dir/chart.svg" || die "bench/chart.py failed"
    chart_name >"$part_dir/chart_name"
}

main() {
    require_tools "run make bench (it builds the module)" redis-cli redis-benchmark awk python3
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    if [[ ${1:-} == --server-part ]]; then
        server_part "$2"
        return
    fi
    local servers server dir dirs=() index=0
    read -r -a servers <<<"${BENCH_SERVERS:-$SERVER_BIN}"
    ((${#servers[@]})) || die "BENCH_SERVERS names no server"
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench.XXXXXX")
    build_floor_module
    for server in "${servers[@]}"; do
        command -v "$server" >/dev/null || die "no server $server (make servers installs the test matrix)"
        dir="$TMP/part$((index += 1))"
        mkdir -p "$dir"
        log "server $index of ${#servers[@]}: $server"
        TALLY_SERVER=$server bench/run.sh --server-part "$dir" || die "the run on $server failed"
        dirs+=("$dir")
    done
    report "${dirs[@]}" >"$TMP/report.md"
    cat "$TMP/report.md"
    mkdir -p "$(dirname "$DOC")"
    cp "$TMP/report.md" "$DOC"
    for dir in "${dirs[@]}"; do cp "$dir/chart.svg" "docs/$(cat "$dir/chart_name")"; done
    log "wrote $DOC and its charts"
}

main "$@"
