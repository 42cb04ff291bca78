"""The ports the stack's servers are started on (bookiji.cluster.free_port): free, and outside
the kernel's ephemeral range, where an outgoing connection could take the port between the
check and the server's bind."""

from __future__ import annotations

import socket
from pathlib import Path

from bookiji import cluster, procs


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_bound() -> None:
    low, _ = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    ports = {cluster.free_port() for _ in range(50)}
    assert all(1024 <= p < low for p in ports), sorted(ports)
    assert len(ports) > 40  # random, not one port handed out again and again
    for port in list(ports)[:5]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
    assert procs.free_port is cluster.free_port


def test_a_port_something_listens_on_is_never_handed_out() -> None:
    taken = []
    try:
        for _ in range(30):
            s = socket.socket()
            s.bind(("127.0.0.1", cluster.free_port()))
            s.listen()
            taken.append(s)
        busy = {s.getsockname()[1] for s in taken}
        assert not busy & {cluster.free_port() for _ in range(200)}
    finally:
        for s in taken:
            s.close()
