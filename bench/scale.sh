#!/usr/bin/env bash
# Scale: what tally's commands cost on large data, for the Scale section of docs/benchmarks.md.
#
#  - A leaderboard of 10,000,000 players: instructions per call of TOURNEY.INCR / RANK / TOP 10 /
#    AROUND 5 against a 10,000-player board (callgrind inside call(), as bench/profile.sh counts),
#    and requests/s at pipeline 16 as a second, noisier figure; used_memory per player of the
#    board written by TOURNEY.SUBMIT against the same players written into a plain ZSET by ZADD.
#  - 1,000,000 GCRA limiter keys: used_memory per key (and SET key v PX for reference).
#  - 100,000 sliding logs of 100 entries written by LIMIT.SLIDE against the same logs in the Lua
#    script's layout: used_memory per entry.
#  - An audit stream at cap 1,000,000 against one at cap 1,000: instructions per AUDIT.APPEND.
#
# Not part of `make bench`: it takes about 6 minutes on 2 CPUs and about 3 GB of memory. It writes
# docs/benchmarks-scale.md, which bench/run.sh includes as the Scale section, and replaces that
# section in docs/benchmarks.md in place. Needs the release module (cargo build --release),
# redis-server, redis-cli, redis-benchmark, valgrind (callgrind_control) and python3.
# The report's text is bench/report/scale.md; the Lua scripts are bench/lua/scale_*.lua.
#
# Knobs (environment): SCALE_BOARD (10000000), SCALE_SMALL_BOARD (10000), SCALE_GCRA_KEYS (1000000),
# SCALE_LOGS (100000), SCALE_LOG_ENTRIES (100), SCALE_AUDIT_CAP (1000000), SCALE_CALLS (callgrind
# calls per command, 5000), SCALE_ROUNDS (requests/s rounds, 3).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
LOG_NAME=scale

readonly BOARD=${SCALE_BOARD:-10000000}
readonly SMALL=${SCALE_SMALL_BOARD:-10000}
readonly GCRA_KEYS=${SCALE_GCRA_KEYS:-1000000}
readonly LOGS=${SCALE_LOGS:-100000}
readonly LOG_ENTRIES=${SCALE_LOG_ENTRIES:-100}
readonly AUDIT_BIG=${SCALE_AUDIT_CAP:-1000000}
readonly AUDIT_SMALL=1000
readonly CALLS=${SCALE_CALLS:-5000}
readonly ROUNDS=${SCALE_ROUNDS:-3}
readonly REQUESTS=200000
readonly CLIENTS=50
# Keys: the big and the small board, the audit streams at the two caps.
readonly BIG_KEY='lb:{big}'
readonly SMALL_KEY='lb:{small}'
readonly PLAIN_KEY='zs:{big}'
readonly AUDIT_BIG_KEY='audit:{big}'
readonly AUDIT_SMALL_KEY='audit:{small}'
# GCRA: 10 per hour, bursts of 10: one call moves the state 6 minutes ahead, so it lives 6 minutes.
readonly GCRA_ARGS=(9 10 3600000)
readonly SLIDE_WINDOW=3600000
readonly SLIDE_MAX=1000
# Scores of player m, (m * SCORE_FACTOR) % SCORE_MODULUS (distinct for m below 10000019, spread over
# 0..10000018); the fill scripts take both numbers, the report shows the formula.
readonly SCORE_FACTOR=7919
readonly SCORE_MODULUS=10000019
readonly SCORE="(m * $SCORE_FACTOR) % $SCORE_MODULUS"

# The scripts; each file says what it does and what it takes.
SUBMIT_SCRIPT=$(cat bench/lua/scale_submit.lua)
ZADD_SCRIPT=$(cat bench/lua/scale_zadd.lua)
COMPARE_SCRIPT=$(cat bench/lua/scale_compare.lua)
LOOKUPS_SCRIPT=$(cat bench/lua/scale_lookups.lua)
AUDIT_FILL_SCRIPT=$(cat bench/lua/scale_audit_fill.lua)
LUA_LOGS_SCRIPT=$(cat bench/lua/scale_lua_logs.lua)
LOG_SIZES_SCRIPT=$(cat bench/lua/scale_log_sizes.lua)

TMP=""
PORT=""
SERVER_PID=""
CG_PID=""
CG_SOCK=""
BENCH_PID=""
PIN=()
STARTED=$SECONDS
LOG_SINCE=$STARTED
declare -A MEM=()      # figure -> bytes
declare -A COUNT=()    # callgrind test -> instructions per call
declare -A RUNS=()     # requests/s test -> space-separated requests/s of each round
declare -A COMMANDS=() # requests/s test -> its redis-benchmark command line
CALLGRIND_LINES=()     # the measured commands, for the report

# The native server: the memory figures and requests/s. DEBUG (local) reads the dicts' rehash state.
start_native_server() {
    mkdir -p "$TMP/native"
    start_server "$TMP/native" --enable-debug-command local
}

stop_server() {
    cli shutdown nosave >/dev/null 2>&1 || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

used_memory() { cli info memory | awk -F: '/^used_memory:/ { sub(/\r/, ""); print $2 }'; }

# Waits until no dict of the keyspace (database 0: keys and expires) is being rehashed: a dict
# in the middle of a rehash holds its old and its new table. serverCron finishes them.
settle_keyspace() {
    local deadline=$((SECONDS + 60))
    while cli debug htstats 0 | grep -q 'rehashing target'; do
        ((SECONDS < deadline)) || die "the keyspace dicts were still rehashing after 60 s"
        sleep 0.2
    done
}

# Finishes the incremental rehash of a sorted set's dict, which only moves on when the set is
# used: a big set filled past a power of two stays half rehashed, holding both tables. Both
# boards are measured with their dict fully rehashed, so that they are compared in the same state.
settle_zset() {
    local rounds=0
    while cli debug htstats-key "$1" | grep -q 'rehashing target'; do
        ((rounds++ < 40)) || die "the dict of $1 is still rehashing"
        checked eval "$LOOKUPS_SCRIPT" 1 "$1" 1000000 >/dev/null
    done
    if ((rounds)); then log "$1: finished its dict's rehash with $rounds x 1000000 lookups"; fi
}

# Sends a file of inline commands through redis-cli --pipe; every reply must be a non-error.
pipe_commands() {
    local file=$1 expected=$2 out
    out=$(cli --pipe <"$file" 2>&1) || die "redis-cli --pipe failed: $out"
    [[ $out == *"errors: 0, replies: $expected"* ]] || die "redis-cli --pipe: $out (expected $expected replies, no errors)"
}

# --- Leaderboard memory -------------------------------------------------------------------

# fill script key count batch: runs the script over players 0..count-1 in batches.
fill_board() {
    local script=$1 key=$2 count=$3 batch=$4 from=0 to size
    while ((from < count)); do
        to=$((from + batch - 1))
        ((to < count)) || to=$((count - 1))
        size=$(checked eval "$script" 1 "$key" "$from" "$to" "$SCORE_FACTOR" "$SCORE_MODULUS")
        from=$((to + 1))
    done
    ((size == count)) || die "$key holds $size players, expected $count"
}

leaderboard_memory() {
    local before after
    # The first call of a script or a module command allocates for good (the script cache, the
    # module's first use): warm both ways up on a scratch key, so the figures hold only the boards.
    fill_board "$SUBMIT_SCRIPT" 'lb:{warm}' 1000 1000
    fill_board "$ZADD_SCRIPT" 'zs:{warm}' 1000 1000
    checked eval "$LOOKUPS_SCRIPT" 1 'lb:{warm}' 1 >/dev/null
    checked del 'lb:{warm}' 'zs:{warm}' >/dev/null
    log "filling $BIG_KEY with $BOARD players by TOURNEY.SUBMIT"
    before=$(used_memory)
    fill_board "$SUBMIT_SCRIPT" "$BIG_KEY" "$BOARD" 1000000
    MEM[board_raw]=$(($(used_memory) - before))
    settle_zset "$BIG_KEY"
    after=$(used_memory)
    MEM[board]=$((after - before))
    MEM[board_encoding]=$(checked object encoding "$BIG_KEY")
    MEM[board_usage]=$(checked memory usage "$BIG_KEY" samples 0)
    log "$BIG_KEY: ${MEM[board]} bytes (${MEM[board_raw]} before the rehash finished)"

    log "filling $PLAIN_KEY with the same players by ZADD"
    before=$(used_memory)
    fill_board "$ZADD_SCRIPT" "$PLAIN_KEY" "$BOARD" 1000000
    MEM[plain_raw]=$(($(used_memory) - before))
    settle_zset "$PLAIN_KEY"
    after=$(used_memory)
    MEM[plain]=$((after - before))
    MEM[plain_encoding]=$(checked object encoding "$PLAIN_KEY")
    MEM[plain_usage]=$(checked memory usage "$PLAIN_KEY" samples 0)
    log "$PLAIN_KEY: ${MEM[plain]} bytes (${MEM[plain_raw]} before the rehash finished)"
    MEM[differ]=$(checked eval "$COMPARE_SCRIPT" 2 "$BIG_KEY" "$PLAIN_KEY" "$BOARD" 997)
    ((MEM[differ] == 0)) || die "${MEM[differ]} sampled players have different scores on the two boards"
    checked del "$PLAIN_KEY" >/dev/null

    log "filling $SMALL_KEY with $SMALL players by TOURNEY.SUBMIT"
    fill_board "$SUBMIT_SCRIPT" "$SMALL_KEY" "$SMALL" 1000000
}

# --- Requests/s (native server) ------------------------------------------------------------

# Sets CMD and RANGE for a requests/s test.
command_of() {
    case $1 in
        incr-*) CMD=(TOURNEY.INCR KEY 'm:__rand_int__' 1) ;;
        rank-*) CMD=(TOURNEY.RANK KEY 'm:__rand_int__') ;;
        top-*) CMD=(TOURNEY.TOP KEY 10) ;;
        around-*) CMD=(TOURNEY.AROUND KEY 'm:__rand_int__' 5) ;;
        zincrby-*) CMD=(ZINCRBY KEY 1 'm:__rand_int__') ;;
        zrevrank-*) CMD=(ZREVRANK KEY 'm:__rand_int__') ;;
        *) die "unknown test $1" ;;
    esac
    local key=$BIG_KEY
    RANGE=$BOARD
    if [[ $1 == *-small ]]; then
        key=$SMALL_KEY
        RANGE=$SMALL
    fi
    CMD=("${CMD[@]/#KEY/$key}")
}

bench_once() {
    local test=$1 rps
    command_of "$test"
    local args=(-h 127.0.0.1 -p "$PORT" -c "$CLIENTS" -P 16 -n "$REQUESTS" -r "$RANGE" --csv "${CMD[@]}")
    COMMANDS[$test]="redis-benchmark ${args[*]}"
    pin 1
    "${PIN[@]}" redis-benchmark "${args[@]}" >"$TMP/run.csv" &
    BENCH_PID=$!
    wait "$BENCH_PID" || die "redis-benchmark failed: ${COMMANDS[$test]}"
    BENCH_PID=""
    rps=$(awk -F'","' 'END { print $2 }' "$TMP/run.csv")
    [[ $rps =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "no requests/s from: ${COMMANDS[$test]}"
    RUNS[$test]="${RUNS[$test]:-}${RUNS[$test]:+ }$rps"
}

readonly RATE_TESTS=(incr-small incr-big rank-small rank-big top-small top-big around-small around-big
    zincrby-small zincrby-big zrevrank-small zrevrank-big)

leaderboard_rates() {
    local round i
    for ((round = 1; round <= ROUNDS; round++)); do
        log "requests/s, round $round of $ROUNDS"
        if ((round % 2)); then
            for ((i = 0; i < ${#RATE_TESTS[@]}; i++)); do bench_once "${RATE_TESTS[i]}"; done
        else
            for ((i = ${#RATE_TESTS[@]} - 1; i >= 0; i--)); do bench_once "${RATE_TESTS[i]}"; done
        fi
    done
}

# --- Audit streams -------------------------------------------------------------------------

audit_fill() {
    local length
    log "filling $AUDIT_BIG_KEY with $AUDIT_BIG entries and $AUDIT_SMALL_KEY with $AUDIT_SMALL"
    length=$(checked eval "$AUDIT_FILL_SCRIPT" 1 "$AUDIT_BIG_KEY" "$AUDIT_BIG")
    ((length == AUDIT_BIG)) || die "$AUDIT_BIG_KEY holds $length entries"
    length=$(checked eval "$AUDIT_FILL_SCRIPT" 1 "$AUDIT_SMALL_KEY" "$AUDIT_SMALL")
    ((length == AUDIT_SMALL)) || die "$AUDIT_SMALL_KEY holds $length entries"
}

# --- Limiter memory ------------------------------------------------------------------------

# memory_of name expected-keys file replies: used_memory taken by the commands in file, on an
# empty database, with the keyspace dicts settled.
memory_of() {
    local name=$1 keys=$2 file=$3 replies=$4 before dbsize
    # Once beforehand, so that one-time allocations of a command's first call are not counted.
    head -n 1 "$file" | cli >/dev/null
    checked flushall >/dev/null
    settle_keyspace
    before=$(used_memory)
    pipe_commands "$file" "$replies"
    settle_keyspace
    MEM[$name]=$(($(used_memory) - before))
    dbsize=$(checked dbsize)
    ((dbsize == keys)) || die "$name: $dbsize keys, expected $keys"
    cli info keyspace | grep -q "^db0:keys=$keys,expires=$keys," || die "$name: not every key has an expiry: $(cli info keyspace)"
    log "$name: ${MEM[$name]} bytes for $keys keys"
}

limiter_memory() {
    local sizes now
    awk -v n="$GCRA_KEYS" -v a="${GCRA_ARGS[*]}" 'BEGIN { for (k = 0; k < n; k++) printf "LIMIT.GCRA rl:{%d} %s\n", k, a }' >"$TMP/gcra.txt"
    memory_of gcra "$GCRA_KEYS" "$TMP/gcra.txt" "$GCRA_KEYS"
    MEM[gcra_usage]=$(checked memory usage 'rl:{7}' samples 0)
    MEM[gcra_encoding]=$(checked object encoding 'rl:{7}')
    MEM[gcra_value]=$(checked get 'rl:{7}')
    awk -v n="$GCRA_KEYS" 'BEGIN { for (k = 0; k < n; k++) printf "SET rl:{%d} v PX 3600000\n", k }' >"$TMP/set.txt"
    memory_of set "$GCRA_KEYS" "$TMP/set.txt" "$GCRA_KEYS"
    MEM[set_usage]=$(checked memory usage 'rl:{7}' samples 0)
    # The same number as the GCRA state, written by SET: Redis stores it as an integer (encoding int).
    awk -v n="$GCRA_KEYS" -v v="${MEM[gcra_value]}" 'BEGIN { for (k = 0; k < n; k++) printf "SET rl:{%d} %s PX 3600000\n", k, v }' >"$TMP/set.txt"
    memory_of setint "$GCRA_KEYS" "$TMP/set.txt" "$GCRA_KEYS"
    MEM[setint_usage]=$(checked memory usage 'rl:{7}' samples 0)
    MEM[setint_encoding]=$(checked object encoding 'rl:{7}')
    rm -f "$TMP/gcra.txt" "$TMP/set.txt"

    log "writing $LOGS sliding logs x $LOG_ENTRIES entries with LIMIT.SLIDE"
    awk -v n="$LOGS" -v e="$LOG_ENTRIES" -v w="$SLIDE_WINDOW" -v m="$SLIDE_MAX" \
        'BEGIN { for (k = 0; k < n; k++) for (i = 0; i < e; i++) printf "LIMIT.SLIDE sl:{%d} %d %d\n", k, w, m }' >"$TMP/slide.txt"
    memory_of slide "$LOGS" "$TMP/slide.txt" $((LOGS * LOG_ENTRIES))
    rm -f "$TMP/slide.txt"
    sizes=$(checked eval "$LOG_SIZES_SCRIPT" 0 "$LOGS" | paste -sd/)
    [[ $sizes == "$((LOGS * LOG_ENTRIES))/$LOG_ENTRIES/$LOG_ENTRIES" ]] || die "LIMIT.SLIDE logs: $sizes (entries/smallest/largest)"
    MEM[slide_usage]=$(checked memory usage 'sl:{7}' samples 0)
    MEM[slide_encoding]=$(checked object encoding 'sl:{7}')
    MEM[slide_member]=$(checked zrange 'sl:{7}' 0 0)

    log "writing the same logs in the Lua script's layout"
    now=$(server_now_ms)
    checked flushall >/dev/null
    settle_keyspace
    local before from to
    checked eval "$LUA_LOGS_SCRIPT" 0 0 0 1 "$now" "$SLIDE_WINDOW" >/dev/null
    checked flushall >/dev/null
    settle_keyspace
    before=$(used_memory)
    for ((from = 0; from < LOGS; from += 10000)); do
        to=$((from + 9999))
        ((to < LOGS)) || to=$((LOGS - 1))
        checked eval "$LUA_LOGS_SCRIPT" 0 "$from" "$to" "$LOG_ENTRIES" "$now" "$SLIDE_WINDOW" >/dev/null
    done
    settle_keyspace
    MEM[lua]=$(($(used_memory) - before))
    sizes=$(checked eval "$LOG_SIZES_SCRIPT" 0 "$LOGS" | paste -sd/)
    [[ $sizes == "$((LOGS * LOG_ENTRIES))/$LOG_ENTRIES/$LOG_ENTRIES" ]] || die "Lua logs: $sizes (entries/smallest/largest)"
    cli info keyspace | grep -q "^db0:keys=$LOGS,expires=$LOGS," || die "Lua logs: $(cli info keyspace)"
    MEM[lua_usage]=$(checked memory usage 'sl:{7}' samples 0)
    MEM[lua_encoding]=$(checked object encoding 'sl:{7}')
    MEM[lua_member]=$(checked zrange 'sl:{7}' 0 0)
    log "Lua layout: ${MEM[lua]} bytes"
    checked flushall >/dev/null
}

# --- Instructions per call (callgrind) -----------------------------------------------------

cg() { redis-cli -s "$CG_SOCK" "$@"; }

cg_checked() { checked_by cg "$@"; }

# Starts redis-server under callgrind on the saved data, instrumentation off while it loads.
start_callgrind() {
    local dir=$TMP/callgrind
    mkdir -p "$dir"
    mv "$TMP/native/dump.rdb" "$dir/dump.rdb"
    CG_SOCK=$dir/redis.sock
    pin 0
    "${PIN[@]}" valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no --toggle-collect=call \
        --callgrind-out-file="$dir/callgrind.out" \
        "$SERVER_BIN" --port 0 --unixsocket "$CG_SOCK" --dir "$dir" --dbfilename dump.rdb --save '' --appendonly no \
        --loadmodule "$MODULE" >"$dir/valgrind.log" 2>&1 &
    CG_PID=$!
    if ! wait_ready "$CG_PID" 600 0.5 cg; then
        cat "$dir/valgrind.log" >&2
        die "the server under callgrind did not start"
    fi
    log "server under callgrind loaded the data (pid $CG_PID)"
    # The polls above were refused with LOADING while the data loaded; count errors from here on.
    cg_checked config resetstat >/dev/null
    callgrind_control -i on "$CG_PID" >/dev/null 2>&1 || die "could not switch instrumentation on"
}

# measure name range command...: instructions per call of CALLS calls.
measure() {
    local name=$1 range=$2
    shift 2
    counted_since_dump "$CG_PID" "$TMP/callgrind" >/dev/null
    redis-benchmark -s "$CG_SOCK" -n "$CALLS" -c 1 -P 16 -r "$range" -q "$@" >/dev/null
    COUNT[$name]=$(($(counted_since_dump "$CG_PID" "$TMP/callgrind") / CALLS))
    CALLGRIND_LINES+=("redis-benchmark -n $CALLS -c 1 -P 16 -r $range $*")
    log "$name: ${COUNT[$name]} instructions per call"
}

instructions() {
    local size key range entry=(action add item_id __rand_int__ quantity 3) length
    for size in small big; do
        if [[ $size == big ]]; then key=$BIG_KEY range=$BOARD; else key=$SMALL_KEY range=$SMALL; fi
        measure "rank-$size" "$range" TOURNEY.RANK "$key" 'm:__rand_int__'
        measure "zrevrank-$size" "$range" ZREVRANK "$key" 'm:__rand_int__'
        measure "top-$size" "$range" TOURNEY.TOP "$key" 10
        measure "zrange-$size" "$range" ZRANGE "$key" 0 9 REV WITHSCORES
        measure "around-$size" "$range" TOURNEY.AROUND "$key" 'm:__rand_int__' 5
        measure "incr-$size" "$range" TOURNEY.INCR "$key" 'm:__rand_int__' 1
        measure "zincrby-$size" "$range" ZINCRBY "$key" 1 'm:__rand_int__'
    done
    for size in small big; do
        if [[ $size == big ]]; then key=$AUDIT_BIG_KEY length=$AUDIT_BIG; else key=$AUDIT_SMALL_KEY length=$AUDIT_SMALL; fi
        cg_checked config set tally.audit-max-len "$length" >/dev/null
        measure "append-$size" 300 AUDIT.APPEND "$key" "${entry[@]}"
        measure "xadd-$size" 300 XADD "$key" MAXLEN = "$length" '*' "${entry[@]}"
        [[ $(cg_checked xlen "$key") == "$length" ]] || die "$key holds $(cg xlen "$key") entries after the appends, not $length"
    done
    check_no_errors cg "the server under callgrind replied errors"
    cg shutdown nosave >/dev/null 2>&1 || true
    wait "$CG_PID" 2>/dev/null || true
    CG_PID=""
}

# --- Report --------------------------------------------------------------------------------

fmt() { awk -v x="$1" 'BEGIN { printf "%.1f", x }'; }
commas() { sed -E ':a;s/^([0-9]+)([0-9]{3})/\1,\2/;ta' <<<"$1"; }

instruction_row() {
    local label=$1 name=$2 target=$3
    awk -v l="$label" -v a="${COUNT[$name-small]}" -v b="${COUNT[$name-big]}" -v t="$target" 'BEGIN {
        r = b / a
        if (t == "-") { target = "-"; met = "-" } else { target = sprintf("<= %.1fx", t); met = (r <= t) ? "yes" : "NO" }
        printf "| %s | %d | %d | %.2fx | %s | %s |\n", l, a, b, r, target, met
    }'
}

rate_row() {
    local label=$1 name=$2
    awk -v l="$label" -v a="$(median "${RUNS[$name-small]}")" -v b="$(median "${RUNS[$name-big]}")" \
        -v ra="${RUNS[$name-small]}" -v rb="${RUNS[$name-big]}" 'BEGIN {
        gsub(/ /, " , ", ra); gsub(/ /, " , ", rb)
        printf "| %s | %.0f | %.0f | %.2fx | %s | %s |\n", l, a, b, a / b, ra, rb
    }'
}

machine() {
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $((SECONDS - STARTED)) s in all"
    echo "- Machine: $(nproc) CPUs, $(cpu_model), $(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
    echo "- Server: $(server_name) $(server_version), module target/release/libtally.so at commit $(module_commit)"
}

leaderboard_instruction_rows() {
    instruction_row "TOURNEY.INCR key member 1" incr 2.5
    instruction_row "TOURNEY.RANK key member" rank 2.5
    instruction_row "TOURNEY.TOP key 10" top 2.5
    instruction_row "TOURNEY.AROUND key member 5" around 2.5
    instruction_row "ZINCRBY key 1 member (Redis, for reference)" zincrby -
    instruction_row "ZREVRANK key member (Redis, for reference)" zrevrank -
    instruction_row "ZRANGE key 0 9 REV WITHSCORES (Redis, for reference)" zrange -
}

rate_rows() {
    rate_row "TOURNEY.INCR key member 1" incr
    rate_row "TOURNEY.RANK key member" rank
    rate_row "TOURNEY.TOP key 10" top
    rate_row "TOURNEY.AROUND key member 5" around
    rate_row "ZINCRBY key 1 member (Redis, for reference)" zincrby
    rate_row "ZREVRANK key member (Redis, for reference)" zrevrank
}

# The two boards' memory: the tally board and the plain ZSET of the same players.
board_rows() {
    local board_pm plain_pm
    board_pm=$(awk -v a="${MEM[board]}" -v n="$BOARD" 'BEGIN { printf "%.2f", a / n }')
    plain_pm=$(awk -v a="${MEM[plain]}" -v n="$BOARD" 'BEGIN { printf "%.2f", a / n }')
    echo "| \`$BIG_KEY\` | TOURNEY.SUBMIT | ${MEM[board_encoding]} | ${MEM[board]} | $board_pm | ${MEM[board_usage]} |"
    echo "| \`$PLAIN_KEY\` | ZADD | ${MEM[plain_encoding]} | ${MEM[plain]} | $plain_pm | ${MEM[plain_usage]} |"
}

audit_instruction_rows() {
    instruction_row "AUDIT.APPEND key action add item_id <12 digits> quantity 3" append 1.1
    instruction_row "XADD key MAXLEN = cap * ... (Redis, for reference)" xadd -
}

# The report: bench/report/scale.md with the figures filled in.
report() {
    local line test commands=() last_key=$((GCRA_KEYS - 1)) overhead_bytes overhead_percent overhead_verdict
    read -r overhead_bytes overhead_percent overhead_verdict <<<"$(board_overhead)"
    for line in "${CALLGRIND_LINES[@]}"; do commands+=("$line"); done
    for test in "${RATE_TESTS[@]}"; do commands+=("${COMMANDS[$test]}"); done
    fill_template bench/report/scale.md \
        SCALE_DOC="$SCALE_DOC" \
        MACHINE="$(machine)" \
        CALLS="$CALLS" \
        BOARD_COMMAS="$(commas "$BOARD")" \
        BIG_KEY="$BIG_KEY" \
        SCORE="$SCORE" \
        SMALL_KEY="$SMALL_KEY" \
        SMALL_MAX="$((SMALL - 1))" \
        BOARD="$BOARD" \
        SMALL="$SMALL" \
        SMALL_COMMAS="$(commas "$SMALL")" \
        LEADERBOARD_INSTRUCTION_ROWS="$(leaderboard_instruction_rows)" \
        CLIENTS="$CLIENTS" \
        REQUESTS="$REQUESTS" \
        ROUNDS="$ROUNDS" \
        BOARD_GB="$(awk -v a="${MEM[board]}" 'BEGIN { printf "%.1f", a / 1e9 }')" \
        RATE_ROWS="$(rate_rows)" \
        PLAIN_KEY="$PLAIN_KEY" \
        BOARD_RAW="${MEM[board_raw]}" \
        PLAIN_RAW="${MEM[plain_raw]}" \
        BOARD_ROWS="$(board_rows)" \
        OVERHEAD_BYTES="$overhead_bytes" \
        OVERHEAD_PERCENT="$overhead_percent" \
        OVERHEAD_VERDICT="$overhead_verdict" \
        KEY_ROWS="$(key_rows)" \
        LAST_KEY="$last_key" \
        LAST_KEY_BYTES="$((${#last_key} + 5))" \
        GCRA_VALUE="${MEM[gcra_value]}" \
        GCRA_DIGITS="${#MEM[gcra_value]}" \
        GCRA_ENCODING="${MEM[gcra_encoding]}" \
        GCRA_USAGE="${MEM[gcra_usage]}" \
        SET_USAGE="${MEM[set_usage]}" \
        SETINT_USAGE="${MEM[setint_usage]}" \
        SETINT_ENCODING="${MEM[setint_encoding]}" \
        SETINT_PER_KEY="$(awk -v s="${MEM[setint]}" -v n="$GCRA_KEYS" 'BEGIN { printf "%.1f", s / n }')" \
        SERVER_VERSION="$(server_version)" \
        GCRA_EXTRA="$(awk -v g="${MEM[gcra]}" -v s="${MEM[setint]}" -v n="$GCRA_KEYS" 'BEGIN { printf "%.1f", (g - s) / n }')" \
        LOGS_COMMAS="$(commas "$LOGS")" \
        LOG_ENTRIES="$LOG_ENTRIES" \
        SLIDE_WINDOW="$SLIDE_WINDOW" \
        LOG_CALLS_COMMAS="$(commas $((LOGS * LOG_ENTRIES)))" \
        SLIDE_MAX="$SLIDE_MAX" \
        LOG_ROWS="$(log_rows)" \
        SLIDE_OVER_LUA="$(awk -v a="${MEM[slide]}" -v b="${MEM[lua]}" 'BEGIN { printf "%.2f", a / b }')" \
        AUDIT_BIG_COMMAS="$(commas "$AUDIT_BIG")" \
        AUDIT_BIG_KEY="$AUDIT_BIG_KEY" \
        AUDIT_SMALL_KEY="$AUDIT_SMALL_KEY" \
        AUDIT_SMALL_COMMAS="$(commas "$AUDIT_SMALL")" \
        AUDIT_INSTRUCTION_ROWS="$(audit_instruction_rows)" \
        COMMANDS="$(printf '%s\n' "${commands[@]}")"
}

# Bytes per player the tally board takes over the plain one, as a share, and whether that stays
# within what the random node heights move (0.1 byte per player): "bytes percent verdict".
board_overhead() {
    awk -v a="${MEM[board]}" -v b="${MEM[plain]}" -v n="$BOARD" 'BEGIN {
        d = (a - b) / n
        printf "%+.3f %+.3f %s\n", d, 100 * (a - b) / b, (d <= 0.1 && d >= -0.1) ? "met" : "NOT met"
    }'
}

key_rows() {
    awk -v a="${MEM[gcra]}" -v n="$GCRA_KEYS" -v c="LIMIT.GCRA rl:{k} ${GCRA_ARGS[*]}" 'BEGIN {
        printf "| GCRA state | `%s` | %d | %d | %.1f | <= 100 | %s |\n", c, n, a, a / n, (a / n <= 100) ? "yes" : "NO"
    }'
    awk -v a="${MEM[set]}" -v n="$GCRA_KEYS" 'BEGIN {
        printf "| plain string, for reference | `SET rl:{k} v PX 3600000` | %d | %d | %.1f | - | - |\n", n, a, a / n
    }'
    awk -v a="${MEM[setint]}" -v n="$GCRA_KEYS" -v v="${MEM[gcra_value]}" 'BEGIN {
        printf "| the GCRA state'"'"'s number written by SET, for reference | `SET rl:{k} %s PX 3600000` | %d | %d | %.1f | - | - |\n", v, n, a, a / n
    }'
}


log_rows() {
    local n=$((LOGS * LOG_ENTRIES))
    awk -v a="${MEM[slide]}" -v n="$n" -v e="${MEM[slide_encoding]}" -v u="${MEM[slide_usage]}" -v m="${MEM[slide_member]}" 'BEGIN {
        printf "| LIMIT.SLIDE | %d | %d | %.1f | %s | %d | `%s` |\n", n, a, a / n, e, u, m
    }'
    awk -v a="${MEM[lua]}" -v n="$n" -v e="${MEM[lua_encoding]}" -v u="${MEM[lua_usage]}" -v m="${MEM[lua_member]}" 'BEGIN {
        printf "| Lua script layout | %d | %d | %.1f | %s | %d | `%s` |\n", n, a, a / n, e, u, m
    }'
}

# Replaces the Scale section of docs/benchmarks.md (between its markers) with the new report.
update_benchmarks_doc() {
    [[ -f $DOC ]] || return 0
    if ! grep -q '^<!-- scale:begin -->$' "$DOC" || ! grep -q '^<!-- scale:end -->$' "$DOC"; then
        log "$DOC has no Scale markers; make bench will include $SCALE_DOC"
        return 0
    fi
    awk -v file="$SCALE_DOC" '
        $0 == "<!-- scale:begin -->" { print; while ((getline line < file) > 0) print line; skip = 1; next }
        $0 == "<!-- scale:end -->" { skip = 0 }
        !skip { print }' "$DOC" >"$TMP/benchmarks.md"
    cp "$TMP/benchmarks.md" "$DOC"
    log "replaced the Scale section of $DOC"
}

main() {
    require_tools "run cargo build --release first" redis-server redis-cli redis-benchmark valgrind callgrind_control awk python3
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-scale.XXXXXX")
    start_native_server
    leaderboard_memory
    leaderboard_rates
    checked config set tally.audit-max-len "$AUDIT_BIG" >/dev/null
    audit_fill
    log "saving the boards and streams for the server under callgrind"
    checked save >/dev/null
    checked flushall >/dev/null
    limiter_memory
    stop_server
    start_callgrind
    instructions
    report >"$TMP/scale.md"
    cat "$TMP/scale.md"
    cp "$TMP/scale.md" "$SCALE_DOC"
    log "wrote $SCALE_DOC"
    update_benchmarks_doc
}

main "$@"
