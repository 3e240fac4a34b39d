"""A DNS server of our own on loopback (UDP) that answers differently on each query: the rebinding attacker.

    with RebindingDNS(["127.0.0.2", "127.0.0.1"]) as dns:   # 1st query -> 127.0.0.2, later ones -> 127.0.0.1
        settings = loopback_settings(tmp_path, dns_servers=(dns.address,))
    dns.queries  # the names asked, in order

A-record questions get one answer each (TTL 0: no cache may keep it); an empty answer list is NXDOMAIN.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Sequence


def _question(packet: bytes) -> tuple[str, int]:
    """The name asked and where the question section ends."""
    labels, at = [], 12
    while packet[at]:
        length = packet[at]
        labels.append(packet[at + 1:at + 1 + length].decode("ascii"))
        at += 1 + length
    return ".".join(labels), at + 5  # the zero byte, QTYPE and QCLASS


def answer(packet: bytes, address: str | None) -> bytes:
    """The reply to ``packet``: one A record for ``address``, or NXDOMAIN when it is None."""
    query_id, flags = struct.unpack("!HH", packet[:4])
    _name, end = _question(packet)
    qtype = struct.unpack("!H", packet[end - 4:end - 2])[0]
    records = 1 if address is not None and qtype == 1 else 0
    rcode = 3 if address is None else 0
    header = struct.pack("!HHHHHH", query_id, 0x8180 | (flags & 0x0100) | rcode, 1, records, 0, 0)
    body = packet[12:end]
    if records:
        body += struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + socket.inet_aton(address or "")
    return header + body


class RebindingDNS:
    """Answers the n-th A query with ``answers[min(n, len - 1)]`` (None: NXDOMAIN)."""

    def __init__(self, answers: Sequence[str | None]) -> None:
        self.answers = list(answers)
        self.queries: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="rebinding-dns", daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                packet, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            name, end = _question(packet)
            if struct.unpack("!H", packet[end - 4:end - 2])[0] != 1:
                self.sock.sendto(answer(packet, None), peer)
                continue
            self.queries.append(name)
            self.sock.sendto(answer(packet, self.answers[min(len(self.queries), len(self.answers)) - 1]), peer)

    def __enter__(self) -> RebindingDNS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()
        self.sock.close()
