#!/usr/bin/env python3
"""net_csum_check.py — checks, in a scenario's capture of the wire, the TCP and
UDP checksums of every IPv4 frame one MAC address sent: the proof that a
backend filled in the checksums a frontend left blank (NETTXF_csum_blank).

Usage: net_csum_check.py --file build/scenarios/NAME.pcap --mac 00:16:3e:00:00:01
                         [--min N]
Prints one line a scenario can match:
  "csum: <n> frames from <mac>, <k> TCP/UDP with correct checksums, <b> bad, <z> without"
(<z>: UDP datagrams sent with checksum 0, "none", which a filled-in checksum
never is) and exits 0 when b == 0, z == 0 and k >= N (default 1), else 1.
Reads the classic pcap format with tools/net_peer.py's reader; Python 3
standard library only.  Runs on the host side of the scenario's private
network (host_steps), after the traffic.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import net_peer  # noqa: E402  (the pcap reader)

ETH_HDR = 14
ETHERTYPE_IPV4 = 0x0800
IP_PROTO_TCP = 6
IP_PROTO_UDP = 17
TCP_CSUM_OFF = 16
UDP_CSUM_OFF = 6


def ones_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def check(frame: bytes) -> str | None:
    """'ok', 'bad', 'none' for an IPv4 TCP/UDP frame; None for anything else."""
    if len(frame) < ETH_HDR + 20 or struct.unpack("!H", frame[12:14])[0] != ETHERTYPE_IPV4:
        return None
    ip = frame[ETH_HDR:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    if ip[0] >> 4 != 4 or ihl < 20 or total > len(ip) or total < ihl:
        return None
    if struct.unpack("!H", ip[6:8])[0] & 0x3FFF:      # a fragment
        return None
    proto = ip[9]
    seg = ip[ihl:total]
    if proto == IP_PROTO_UDP:
        if len(seg) < 8:
            return "bad"
        if struct.unpack("!H", seg[UDP_CSUM_OFF:UDP_CSUM_OFF + 2])[0] == 0:
            return "none"
    elif proto == IP_PROTO_TCP:
        if len(seg) < 20:
            return "bad"
    else:
        return None
    pseudo = ip[12:20] + struct.pack("!BBH", 0, proto, len(seg))
    return "ok" if ones_sum(pseudo + seg) == 0xFFFF else "bad"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", required=True)
    p.add_argument("--mac", required=True)
    p.add_argument("--min", type=int, default=1)
    a = p.parse_args(argv)
    try:
        mac = net_peer.parse_mac(a.mac)
    except ValueError:
        print(f"csum: bad --mac {a.mac}", flush=True)
        return 1
    try:
        with open(a.file, "rb") as f:
            frames = list(net_peer.pcap_frames(f.read()))
    except (OSError, ValueError) as err:
        print(f"csum: {a.file}: {err}", flush=True)
        return 1
    ours = [fr for fr in frames if fr[6:12] == mac]
    counts = {"ok": 0, "bad": 0, "none": 0}
    for fr in ours:
        verdict = check(fr)
        if verdict:
            counts[verdict] += 1
    print(f"csum: {len(ours)} frames from {a.mac}, {counts['ok']} TCP/UDP with correct "
          f"checksums, {counts['bad']} bad, {counts['none']} without", flush=True)
    return 0 if counts["bad"] == 0 and counts["none"] == 0 and counts["ok"] >= a.min else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
