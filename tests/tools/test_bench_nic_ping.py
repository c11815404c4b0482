#!/usr/bin/env python3
"""Tests of make bench's "ping at the NIC" (tools/bench nic_ping): from each
ICMP echo request's arrival to its reply's departure in a scenario's pcap
(QEMU's filter-dump of the e1000's traffic), read with tools/net_peer.py's
pcap_records.  The captures here are written by the test: microsecond and
nanosecond pcaps, with frames that are not echoes around the pairs.
Prints TAP."""
import struct
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tap_checks import load_tool, print_tap, ROOT  # noqa: E402

PCAP_MAGIC_US, PCAP_MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D
LINKTYPE_ETHERNET = 1


def ipv4(proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                      bytes([10, 0, 2, 1]), bytes([10, 0, 2, 15]))
    return b"\x52\x54\x00\x12\x34\x56" * 2 + b"\x08\x00" + hdr + payload


def echo(kind, ident, seq):
    return ipv4(1, struct.pack("!BBHHH", kind, 0, 0, ident, seq) + b"x" * 56)


def arp():
    return b"\xff" * 6 + b"\x52\x54\x00\x12\x34\x56" + b"\x08\x06" + b"\x00" * 28


def udp():
    return ipv4(17, struct.pack("!HHHH", 7, 7, 12, 0) + b"abcd")


def pcap(records, magic):
    per_s = 1_000_000 if magic == PCAP_MAGIC_US else 1_000_000_000
    out = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET)
    for t, frame in records:
        sec = int(t)
        out += struct.pack("<IIII", sec, round((t - sec) * per_s), len(frame), len(frame)) + frame
    return out


def main():
    bench = load_tool("bench", ROOT / "tools" / "bench")
    records = [
        (9.5, arp()),
        (10.0, echo(8, 7, 1)), (10.0001, udp()), (10.0003, echo(0, 7, 1)),
        (10.2, echo(8, 7, 2)), (10.2005, echo(0, 7, 2)),
        (10.4, echo(0, 7, 9)),          # a reply to nothing asked: not counted
        (10.6, echo(8, 7, 3)),          # a request never answered: not counted
    ]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        bench.LOGS = Path(tmp)
        for magic, name in ((PCAP_MAGIC_US, "microsecond"), (PCAP_MAGIC_NS, "nanosecond")):
            (Path(tmp) / "cap.pcap").write_bytes(pcap(records, magic))
            n = bench.nic_ping("cap")
            results.append((f"{name} pcap: two echo pairs, 0.3 and 0.5 ms: avg 0.4, max 0.5",
                            abs(n.get("avg", 0) - 0.4) < 1e-6 and abs(n.get("max", 0) - 0.5) < 1e-6))
        (Path(tmp) / "none.pcap").write_bytes(pcap([(1.0, arp()), (1.1, udp())], PCAP_MAGIC_US))
        results.append(("a capture with no echo pair: no figure", bench.nic_ping("none") == {}))
        results.append(("no capture at all: no figure", bench.nic_ping("absent") == {}))
        (Path(tmp) / "bad.pcap").write_bytes(b"not a pcap at all, just bytes")
        results.append(("a file that is not a pcap: no figure, no crash", bench.nic_ping("bad") == {}))
        torn = pcap(records[:4], PCAP_MAGIC_US)
        (Path(tmp) / "torn.pcap").write_bytes(torn + struct.pack("<IIII", 11, 0, 100, 100) + b"x")
        results.append(("a torn last record (capture still being written) is left out",
                        abs(bench.nic_ping("torn").get("avg", 0) - 0.3) < 1e-6))
    return print_tap(results)


if __name__ == "__main__":
    sys.exit(main())
