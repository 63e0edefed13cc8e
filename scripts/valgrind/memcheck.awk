# Reads a memcheck XML report (valgrind --xml=yes) for scripts/valgrind.sh. Prints, for the first
# ten failing reports, "MODULE <kind>: <what>" and their first 12 frames; then one line
# "KIND <kind> <all> <in the module>" per kind, "FAILING <n>" and "LOST <bytes>".
# A report is in the module when a frame's object contains the -v module name; it fails unless
# it is a possibly lost or still reachable block (the server keeps sds strings by interior
# pointers). LOST adds up the definitely and indirectly lost bytes in the module.
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
