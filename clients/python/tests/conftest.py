"""Real servers with the tally module, on free loopback ports in temporary folders.

Every wait is a poll; every server is killed when its fixture ends, also when a test fails.
TALLY_SERVER picks the server binary (default redis-server), TALLY_MODULE the module (default
target/release/libtally.so of this repository), TALLY_CLI the redis-cli that forms clusters.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, TypeVar

import pytest
import redis

REPO = Path(__file__).resolve().parents[3]
SERVER = os.environ.get("TALLY_SERVER", "redis-server")
MODULE = os.environ.get("TALLY_MODULE", str(REPO / "target" / "release" / "libtally.so"))
CLI = os.environ.get("TALLY_CLI", "redis-cli")

T = TypeVar("T")


def poll(what: str, timeout: float, probe: Callable[[], Optional[T]]) -> T:
    deadline = time.monotonic() + timeout
    last: Optional[Exception] = None
    while True:
        try:
            value = probe()
            if value is not None:
                return value
        except Exception as error:  # noqa: BLE001 - the last failure is reported on timeout
            last = error
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}: {last!r}")
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


class Server:
    def __init__(self, extra: List[str]) -> None:
        self.dir = tempfile.mkdtemp(prefix="tally-py-")
        self.process: Optional[subprocess.Popen[bytes]] = None
        # A port found free can be taken before the server binds it: try another.
        for _ in range(5):
            self.port = free_port()
            self.process = subprocess.Popen(
                [SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir, "--save", "",
                 "--appendonly", "no", "--logfile", "server.log", *extra, "--loadmodule", MODULE],
                cwd=self.dir,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if poll(f"{SERVER} on port {self.port}", 20, self._ready):
                return
        self.stop()
        raise RuntimeError(f"{SERVER} did not start with {MODULE}")

    def _ready(self) -> Optional[bool]:
        assert self.process is not None
        if self.process.poll() is not None:
            return False
        with redis.Redis(port=self.port, socket_timeout=1) as client:
            return True if client.ping() else None

    def client(self, **options: Any) -> redis.Redis:
        return redis.Redis(port=self.port, **options)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    started = Server([])
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def cluster() -> Iterator[List[Server]]:
    """Three primaries with the module, formed with `redis-cli --cluster create`."""
    nodes: List[Server] = []
    try:
        for _ in range(3):
            nodes.append(Server(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]))
        subprocess.run(
            [CLI, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in nodes), "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )

        def formed() -> Optional[bool]:
            for node in nodes:
                with node.client() as client:
                    if client.execute_command("CLUSTER", "INFO").find(b"cluster_state:ok") < 0:
                        return None
            return True

        poll("the cluster to form", 30, formed)
        yield nodes
    finally:
        for node in nodes:
            node.stop()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def protocol(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture(params=[True, False], ids=["str", "bytes"])
def decode(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def r(server: Server, protocol: int, decode: bool) -> Iterator[redis.Redis]:
    """A client on a flushed database, for each protocol and decoding."""
    client = server.client(protocol=protocol, decode_responses=decode)
    client.flushall()
    try:
        yield client
    finally:
        client.close()
