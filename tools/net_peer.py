#!/usr/bin/env python3
"""net_peer.py — the host side of a scenario's wire: UDP traffic to and from a
guest, and a look at the capture afterwards.

Runs inside the scenario's private network namespace (tools/scenario_net.py
starts host_steps there), with the Linux stack's own UDP sockets; it talks
only to the guest address it is given (udp-listen only receives).  Python 3
standard library only.

Each subcommand prints one summary line a scenario can match (details, when
any, come after it in parentheses or on later lines) and exits 0 on success,
1 otherwise (2: bad command line, from argparse):

  udp-echo   --target IP [--port 7] [--count 1000] [--seed N] [--min 1] [--max 1472]
             [--timeout-ms 2000] [--retries 3]
      datagrams of random sizes and contents, one at a time; each echo must
      come back byte for byte.  A late echo of an earlier datagram (after a
      retry) is recognised and skipped, not counted as corruption.
      -> "udp-echo: 1000 sent, 1000 echoed intact, 0 lost, 0 corrupted"
  udp-listen --port 9000 --count N [--timeout-s 10] [--expect-prefix TEXT] [--from IP]
      receives datagrams (a guest's UDP sender); each must start with TEXT.
      -> "udp-listen: N received, N intact, M corrupted"
  bench      --target IP [--port 7] [--seconds 5] [--size 1024] [--window 16]
             [--timeout-ms 200]
      echo throughput with `window` datagrams outstanding; each carries its
      sequence number and a pattern derived from it, checked on return.
      -> "bench: <pps> packets/s, <mbit> Mbit/s echoed (<size>-byte payloads, <n> lost)"
  pcap       --file F --mac 52:54:00:12:34:56 [--payload-prefix TEXT] [--longer-than N]
      reads a classic pcap file (our own reader) of Ethernet frames.
      -> "pcap: <n> frames, <m> from <mac>, <k> carrying <TEXT>, <j> of them longer than N
          bytes, <z> of those all zeros after byte N"
      where k counts the frames from <mac> that are IPv4/UDP datagrams whose
      payload starts with TEXT.
  stats      --target IP [--port 9001] [--timeout-ms 1000]
      asks dom0's baseline (guests/dom0/baseline.c) for its statistics line.
"""

from __future__ import annotations

import argparse
import subprocess
import re
import os
import random
import select
import socket
import struct
import sys
import time

UDP_MAX_PAYLOAD = 1472          # 1500-byte MTU - 20 (IPv4) - 8 (UDP)
RECV_BUF = 65536
SEQ_BYTES = 8                   # bench: the sequence number in front of each payload
BENCH_REPORT_MIN_S = 0.001

# classic pcap (https://wiki.wireshark.org/Development/LibpcapFileFormat)
PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
PCAP_GLOBAL_HDR = 24
PCAP_RECORD_HDR = 16
LINKTYPE_ETHERNET = 1
ETH_HDR = 14
ETHERTYPE_IPV4 = 0x0800
IP_PROTO_UDP = 17
UDP_HDR = 8


def die(msg: str) -> int:
    print(msg, flush=True)
    return 1


def udp_socket(target: str, port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((target, port))   # only the target's datagrams are received
    return s


# --- udp-echo ----------------------------------------------------------------

def cmd_udp_echo(a) -> int:
    if not 1 <= a.min <= a.max <= UDP_MAX_PAYLOAD:
        return die(f"udp-echo: need 1 <= --min <= --max <= {UDP_MAX_PAYLOAD}")
    rng = random.Random(a.seed)
    sock = udp_socket(a.target, a.port)
    timeout = a.timeout_ms / 1000.0
    sent = intact = lost = corrupted = retries = late = 0
    earlier: set[bytes] = set()
    rtts: list[float] = []
    for _ in range(a.count):
        payload = rng.randbytes(rng.randint(a.min, a.max))
        sent += 1
        outcome = "lost"
        for attempt in range(1 + a.retries):
            if attempt:
                retries += 1
            t0 = time.monotonic()
            try:
                sock.send(payload)
            except OSError as err:      # e.g. ICMP unreachable reported on a connected socket
                print(f"udp-echo: send: {err}", flush=True)
                time.sleep(timeout)
                continue
            deadline = t0 + timeout
            while outcome == "lost":
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                sock.settimeout(left)
                try:
                    reply = sock.recv(RECV_BUF)
                except socket.timeout:
                    break
                except OSError as err:
                    print(f"udp-echo: recv: {err}", flush=True)
                    break
                if reply == payload:
                    outcome = "intact"
                    rtts.append(time.monotonic() - t0)
                elif reply in earlier:
                    late += 1           # a retried datagram's echo, arriving late
                else:
                    outcome = "corrupted"
            if outcome != "lost":
                break
        earlier.add(payload)
        if outcome == "intact":
            intact += 1
        elif outcome == "corrupted":
            corrupted += 1
        else:
            lost += 1
    detail = f"{retries} retries, {late} late duplicates"
    if rtts:
        detail += (f", rtt min/avg/max {min(rtts) * 1e3:.3f}/{sum(rtts) / len(rtts) * 1e3:.3f}/"
                   f"{max(rtts) * 1e3:.3f} ms")
    print(f"udp-echo: {sent} sent, {intact} echoed intact, {lost} lost, {corrupted} corrupted "
          f"({detail}), from {a.target}", flush=True)
    return 0 if intact == sent else 1


# --- udp-listen --------------------------------------------------------------

def cmd_udp_listen(a) -> int:
    prefix = a.expect_prefix.encode() if a.expect_prefix else b""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", a.port))
    if a.poke:
        # Tell the guest's sender we are listening now (it waits for this).
        host, _, port = a.poke.partition(":")
        sock.sendto(b"go", (host, int(port or a.port)))
    received = intact = corrupted = 0
    deadline = time.monotonic() + a.timeout_s
    while received < a.count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data, (src, _) = sock.recvfrom(RECV_BUF)
        except socket.timeout:
            break
        if a.from_ip and src != a.from_ip:
            continue
        received += 1
        if data.startswith(prefix):
            intact += 1
        else:
            corrupted += 1
    print(f"udp-listen: {received} received, {intact} intact, {corrupted} corrupted", flush=True)
    return 0 if received == a.count and corrupted == 0 else 1


# --- bench -------------------------------------------------------------------

def bench_payload(seq: int, size: int) -> bytes:
    head = seq.to_bytes(SEQ_BYTES, "big")
    body = bytes((seq + i) & 0xFF for i in range(size - SEQ_BYTES))
    return head + body


def cmd_bench(a) -> int:
    if not SEQ_BYTES <= a.size <= UDP_MAX_PAYLOAD:
        return die(f"bench: need {SEQ_BYTES} <= --size <= {UDP_MAX_PAYLOAD}")
    if a.window < 1:
        return die("bench: need --window >= 1")
    sock = udp_socket(a.target, a.port)
    sock.setblocking(False)
    timeout = a.timeout_ms / 1000.0
    outstanding: dict[int, float] = {}          # seq -> time sent
    next_seq = echoed = lost = corrupted = 0
    start = time.monotonic()
    end = start + a.seconds

    def send_one() -> None:
        nonlocal next_seq
        try:
            sock.send(bench_payload(next_seq, a.size))
        except (BlockingIOError, OSError):
            pass                                # counted lost when it times out
        outstanding[next_seq] = time.monotonic()
        next_seq += 1

    while True:
        now = time.monotonic()
        if now >= end:
            break
        for seq in [s for s, t in outstanding.items() if now - t > timeout]:
            del outstanding[seq]
            lost += 1
        while len(outstanding) < a.window:
            send_one()
        ready, _, _ = select.select([sock], [], [], min(timeout, max(end - now, 0)))
        if not ready:
            continue
        while True:
            try:
                data = sock.recv(RECV_BUF)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if len(data) < SEQ_BYTES:
                corrupted += 1
                continue
            seq = int.from_bytes(data[:SEQ_BYTES], "big")
            if seq not in outstanding:
                continue                        # late (already counted lost) or duplicate
            if data != bench_payload(seq, a.size):
                corrupted += 1
            else:
                echoed += 1
            del outstanding[seq]
    elapsed = max(time.monotonic() - start, BENCH_REPORT_MIN_S)
    pps = echoed / elapsed
    mbit = echoed * a.size * 8 / elapsed / 1e6
    print(f"bench: {pps:.0f} packets/s, {mbit:.2f} Mbit/s echoed ({a.size}-byte payloads, "
          f"{lost} lost) ({echoed} echoed in {elapsed:.2f} s, window {a.window}, "
          f"{corrupted} corrupted, {len(outstanding)} still out)", flush=True)
    return 0 if echoed > 0 and corrupted == 0 else 1


# --- pcap --------------------------------------------------------------------

def parse_mac(text: str) -> bytes:
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError(text)
    return bytes(int(p, 16) for p in parts)


def pcap_records(data: bytes):
    """Yields (time in seconds, frame bytes) for each captured frame; a torn
    last record (the capture still being written) is ignored."""
    if len(data) < PCAP_GLOBAL_HDR:
        raise ValueError("shorter than the pcap global header")
    for endian in ("<", ">"):
        magic, = struct.unpack(endian + "I", data[:4])
        if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
            break
    else:
        raise ValueError(f"not a classic pcap file (magic {data[:4].hex()})")
    frac_per_s = 1e6 if magic == PCAP_MAGIC_US else 1e9
    _, _, _, _, snaplen, linktype = struct.unpack(endian + "HHiIII", data[4:PCAP_GLOBAL_HDR])
    if linktype & 0xFFFF != LINKTYPE_ETHERNET:
        raise ValueError(f"link type {linktype}, not Ethernet")
    off = PCAP_GLOBAL_HDR
    while off + PCAP_RECORD_HDR <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + PCAP_RECORD_HDR])
        off += PCAP_RECORD_HDR
        if off + incl > len(data):
            return
        yield sec + frac / frac_per_s, data[off:off + incl]
        off += incl


def pcap_frames(data: bytes):
    """Yields each captured frame's bytes (pcap_records without the times)."""
    for _, frame in pcap_records(data):
        yield frame


def udp_payload(frame: bytes) -> bytes | None:
    if len(frame) < ETH_HDR + 20 or struct.unpack("!H", frame[12:14])[0] != ETHERTYPE_IPV4:
        return None
    ip = frame[ETH_HDR:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[0] >> 4 != 4 or ihl < 20 or ip[9] != IP_PROTO_UDP or len(ip) < ihl + UDP_HDR:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    ulen = struct.unpack("!H", ip[ihl + 4:ihl + 6])[0]
    end = min(len(ip), total, ihl + ulen)
    return ip[ihl + UDP_HDR:end]


def host_macs() -> set:
    """MAC addresses of this network namespace's interfaces (the host side of
    the wire).  Asked of `ip`, which answers for the current namespace; /sys
    would show the namespace that mounted it."""
    macs = set()
    try:
        out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                             timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return macs
    for m in re.finditer(r"link/ether ([0-9a-f:]{17})", out):
        macs.add(bytes.fromhex(m.group(1).replace(":", "")))
    return macs


def cmd_pcap(a) -> int:
    try:
        mac = parse_mac(a.mac)
    except ValueError:
        return die(f"pcap: bad --mac {a.mac}")
    try:
        with open(a.file, "rb") as f:
            data = f.read()
        frames = list(pcap_frames(data))
    except (OSError, ValueError) as err:
        return die(f"pcap: {a.file}: {err}")
    prefix = a.payload_prefix.encode() if a.payload_prefix is not None else None
    ours = [fr for fr in frames if fr[6:12] == mac]
    host = host_macs()
    # Frames from neither end: what a device sent from the wrong memory.
    stray = [fr for fr in frames if fr[6:12] != mac and fr[6:12] not in host]
    line = f"pcap: {len(frames)} frames, {len(ours)} from {a.mac}, {len(stray)} from neither it nor the host"
    if prefix is not None:
        carrying = 0
        for fr in ours:
            p = udp_payload(fr)
            if p is not None and p.startswith(prefix):
                carrying += 1
        line += f", {carrying} carrying {a.payload_prefix}"
    if a.longer_than is not None:
        # Linux's netback copies the first 128 bytes of a guest's frame and
        # grant-maps the rest: only longer frames put a foreign page in a DMA.
        longer = [fr for fr in ours if len(fr) > a.longer_than]
        # What a NIC sends when the IOMMU blocked the read of the mapped part:
        # the copied head, then zeros.
        zeros = sum(1 for fr in longer if not any(fr[a.longer_than:]))
        line += (f", {len(longer)} of them longer than {a.longer_than} bytes, {zeros} of those"
                 f" all zeros after byte {a.longer_than}")
    print(line, flush=True)
    return 0


# --- stats -------------------------------------------------------------------

def cmd_stats(a) -> int:
    sock = udp_socket(a.target, a.port)
    sock.settimeout(a.timeout_ms / 1000.0)
    try:
        sock.send(b"stats")
        reply = sock.recv(RECV_BUF)
    except OSError as err:      # socket.timeout is an OSError
        return die(f"stats: no answer from {a.target}:{a.port} ({err or 'timeout'})")
    print(f"stats: {reply.decode(errors='replace')}", flush=True)
    return 0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    e = sub.add_parser("udp-echo", help="random datagrams, each echo checked")
    e.add_argument("--target", required=True)
    e.add_argument("--port", type=int, default=7)
    e.add_argument("--count", type=int, default=1000)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--min", type=int, default=1)
    e.add_argument("--max", type=int, default=UDP_MAX_PAYLOAD)
    # 2 s per attempt: a reply is late only on a host far busier than a test
    # machine gets (a verdict must not depend on host load); a lost one still
    # fails, just later.
    e.add_argument("--timeout-ms", type=int, default=2000)
    e.add_argument("--retries", type=int, default=3)
    e.set_defaults(fn=cmd_udp_echo)

    l = sub.add_parser("udp-listen", help="receive a guest's datagrams")
    l.add_argument("--port", type=int, required=True)
    l.add_argument("--count", type=int, required=True)
    l.add_argument("--timeout-s", type=float, default=10.0)
    l.add_argument("--expect-prefix", default="")
    l.add_argument("--from", dest="from_ip", default=None)
    l.add_argument("--poke", default=None,
                   help="IP[:PORT]: once bound, send one datagram there (a guest sender's start signal)")
    l.set_defaults(fn=cmd_udp_listen)

    b = sub.add_parser("bench", help="UDP echo throughput")
    b.add_argument("--target", required=True)
    b.add_argument("--port", type=int, default=7)
    b.add_argument("--seconds", type=float, default=5.0)
    b.add_argument("--size", type=int, default=1024)
    b.add_argument("--window", type=int, default=16)
    b.add_argument("--timeout-ms", type=int, default=200)
    b.set_defaults(fn=cmd_bench)

    c = sub.add_parser("pcap", help="count frames in a capture")
    c.add_argument("--file", required=True)
    c.add_argument("--mac", required=True)
    c.add_argument("--payload-prefix", default=None)
    c.add_argument("--longer-than", type=int, default=None)
    c.set_defaults(fn=cmd_pcap)

    s = sub.add_parser("stats", help="ask dom0's baseline for its statistics")
    s.add_argument("--target", required=True)
    s.add_argument("--port", type=int, default=9001)
    s.add_argument("--timeout-ms", type=int, default=1000)
    s.set_defaults(fn=cmd_stats)

    a = p.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
