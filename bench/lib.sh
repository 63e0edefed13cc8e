# Shared by bench/run.sh and bench/scale.sh (sourced; the caller defines `die` and PORT).

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

# Runs a command on the server, failing on an error reply.
checked() {
    local reply
    reply=$(cli "$@" 2>&1) || die "$* failed: $reply"
    [[ $reply != *ERR* && $reply != *WRONGTYPE* ]] || die "$(printf '%.200s' "$*") replied $reply"
    printf '%s\n' "$reply"
}
