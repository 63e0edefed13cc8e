#!/usr/bin/env python3
"""`make soak`: tally under sustained load, as the design notes' quick start asks.

For each server of the test matrix: a primary (AOF, appendfsync everysec) and a replica, both
with the module; about 50,000 operations in flight across TOURNEY, LIMIT and AUDIT (one
redis-benchmark process per workload, deep pipelines) in rounds for --seconds. Then checks:
the replica's DEBUG DIGEST equals the primary's, a restart from the AOF gives the same digest,
INFO errorstats shows no error, and the dataset's memory stays flat once the working set is
reached. Prints p50/p99 per workload; --report rewrites the generated block of a page.
"""

import argparse
import csv
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ["redis-server", str(ROOT / ".tools/redis8/redis-server"), str(ROOT / ".tools/valkey/valkey-server")]

# (workload, family, clients, pipeline, keyspace, command). Windows and periods are an hour
# long and no SEASON is used, so nothing expires while the primary and the replica are
# compared; every key is bounded (a log holds at most `max`, a stream its cap), so the
# working set stops growing. 5 x 100 clients x 100 pipelined = 50,000 in flight.
WORKLOADS = [
    ("TOURNEY.INCR", "tourney", 100, 100, 10000, ["TOURNEY.INCR", "soak:{t}:board", "m:__rand_int__", "1"]),
    ("TOURNEY.RANK", "tourney", 100, 100, 10000, ["TOURNEY.RANK", "soak:{t}:board", "m:__rand_int__"]),
    ("LIMIT.SLIDE", "limit", 100, 100, 1000, ["LIMIT.SLIDE", "soak:{l}:__rand_int__", "3600000", "100"]),
    ("LIMIT.GCRA", "limit", 100, 100, 1000, ["LIMIT.GCRA", "soak:{g}:__rand_int__", "50", "100", "3600000"]),
    ("AUDIT.APPEND", "audit", 100, 100, 100, ["AUDIT.APPEND", "soak:{a}:__rand_int__", "event", "payment"]),
]
REQUESTS_PER_ROUND = 100_000
AUDIT_CAP = "1000"
# The dataset may not grow by more than this once the working set is reached.
FLAT_TOLERANCE = 0.10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(port, *args, check=True):
    out = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=120)
    if check and (out.returncode != 0 or out.stdout.startswith("ERR")):
        raise RuntimeError(f"redis-cli {' '.join(args)}: {out.stdout}{out.stderr}")
    return out.stdout


def info(port, section):
    fields = {}
    for line in cli(port, "INFO", section).splitlines():
        name, sep, value = line.strip().partition(":")
        if sep:
            fields[name] = value
    return fields


def poll(what, condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (RuntimeError, subprocess.SubprocessError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


class Node:
    def __init__(self, binary, module, folder, extra):
        self.binary, self.module, self.folder, self.extra = binary, module, folder, extra
        self.port = free_port()
        self.process = None

    def start(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [self.binary, "--port", str(self.port), "--dir", str(self.folder), "--save", "",
                "--enable-debug-command", "local", "--logfile", "server.log", *self.extra,
                "--loadmodule", self.module, "audit-max-len", AUDIT_CAP]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        poll(f"{self.binary} on {self.port}", lambda: info(self.port, "persistence").get("loading") == "0")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def benchmark(port, workload):
    name, _, clients, pipeline, keyspace, command = workload
    args = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-P", str(pipeline),
            "-n", str(REQUESTS_PER_ROUND), "-r", str(keyspace), "--csv", *command]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def latencies(output):
    rows = list(csv.DictReader(io.StringIO(output)))
    if not rows:
        raise RuntimeError(f"redis-benchmark printed no result: {output!r}")
    return float(rows[-1]["p50_latency_ms"]), float(rows[-1]["p99_latency_ms"]), float(rows[-1]["rps"])


def digest(port):
    return cli(port, "DEBUG", "DIGEST").strip()


def soak(binary, module, seconds, folder):
    primary = Node(binary, module, folder / "primary", ["--appendonly", "yes", "--appendfsync", "everysec"])
    primary.start()
    replica = Node(binary, module, folder / "replica", ["--replicaof", "127.0.0.1", str(primary.port)])
    try:
        replica.start()
        poll("the replica's link", lambda: info(replica.port, "replication").get("master_link_status") == "up")

        results = {w[0]: [] for w in WORKLOADS}
        memory = []
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            running = [(w, benchmark(primary.port, w)) for w in WORKLOADS]
            for workload, process in running:
                output, _ = process.communicate(timeout=600)
                results[workload[0]].append(latencies(output))
            memory.append(int(info(primary.port, "memory")["used_memory_dataset"]))

        offsets_match = lambda: info(primary.port, "replication")["master_repl_offset"] == \
            info(replica.port, "replication").get("slave_repl_offset")
        poll("the replica to catch up", offsets_match, timeout=120)
        primary_digest, replica_digest = digest(primary.port), digest(replica.port)
        errors = {k: v for k, v in info(primary.port, "errorstats").items() if k.startswith("errorstat_")}

        replica.stop()
        cli(primary.port, "SHUTDOWN")
        primary.process.wait(timeout=120)
        primary.start()
        reloaded_digest = digest(primary.port)
    finally:
        replica.stop()
        primary.stop()

    # The working set is reached within the first rounds; from the second third on, the
    # dataset may not grow beyond the tolerance.
    settled = memory[len(memory) // 3:] or memory
    growth = (max(settled) - settled[0]) / settled[0] if settled[0] else 0.0
    checks = {
        "replica digest equals the primary's": primary_digest == replica_digest,
        "AOF restart gives the same digest": reloaded_digest == primary_digest,
        "no error in INFO errorstats": not errors,
        f"dataset memory flat (growth {growth:.1%} <= {FLAT_TOLERANCE:.0%})": growth <= FLAT_TOLERANCE,
    }
    return results, memory, checks, errors


def report(binary, seconds, results, memory, checks):
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split()
    name = " ".join(version[:3]) if version else binary
    lines = [f"**{name}**, {seconds} s, {len(memory)} rounds of {REQUESTS_PER_ROUND:,} requests per workload:", "",
             "| workload | family | median p50 (ms) | median p99 (ms) | median req/s |", "|---|---|---|---|---|"]
    for workload in WORKLOADS:
        rounds = results[workload[0]]
        p50, p99, rps = (statistics.median(r[i] for r in rounds) for i in range(3))
        lines.append(f"| `{' '.join(workload[5])}` | {workload[1]} | {p50:.3f} | {p99:.3f} | {rps:,.0f} |")
    lines.append("")
    lines.append(f"Dataset memory per round (MB): {', '.join(f'{m / 1e6:.1f}' for m in memory)}.")
    lines.append("")
    lines += [f"- {'ok' if ok else 'FAILED'}: {check}" for check, ok in checks.items()]
    return "\n".join(lines) + "\n"


def rewrite_block(page, name, text):
    start, end = f"<!-- generated: {name} -->", "<!-- end -->"
    content = page.read_text()
    head, found, rest = content.partition(start)
    if not found:
        raise RuntimeError(f"{page} has no '{start}' block")
    _, found, tail = rest.partition(end)
    if not found:
        raise RuntimeError(f"{page}: '{start}' is not closed by '{end}'")
    page.write_text(f"{head}{start}\n{text}{end}{tail}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_SECONDS", "60")))
    parser.add_argument("--servers", default=os.environ.get("SOAK_SERVERS", ",".join(SERVERS)))
    parser.add_argument("--module", default=str(ROOT / "target/release/libtally.so"))
    parser.add_argument("--report", type=Path, help="rewrite the page's `generated: soak` block")
    args = parser.parse_args()

    sections, failed = [], False
    for binary in args.servers.split(","):
        folder = Path(tempfile.mkdtemp(prefix="tally-soak-"))
        try:
            print(f"soak: {binary} for {args.seconds} s", file=sys.stderr)
            results, memory, checks, errors = soak(binary, args.module, args.seconds, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        section = report(binary, args.seconds, results, memory, checks)
        if errors:
            section += f"\nerrorstats: {errors}\n"
        print(section)
        sections.append(section)
        failed |= not all(checks.values())
    if args.report:
        command = f"make soak SOAK_SECONDS={args.seconds}"
        rewrite_block(args.report, "soak", f"`{command}`, on one 2-core machine:\n\n" + "\n".join(sections))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
