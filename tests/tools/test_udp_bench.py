#!/usr/bin/env python3
"""Tests of make bench's tools: that they count what they claim.

1. tools/udp_bench.c, built into a temporary directory and run for 200
   datagrams (--count: the same work however loaded the host) against a UDP
   echo server (faulty_echo.py) that misbehaves on purpose (drops,
   corrupts or duplicates one datagram): each fault must show in the summary
   line, and a corrupted echo must make the exit status 1; at window 1 and at
   window 32 (where echoes are taken and replies sent in batches), and once
   against udp_bench's own batching echo server (--serve).  Runs in a private
   network namespace with only its loopback (as test_udp_soak.py).
2. tools/scenario_net.py's reading of granite's dump: its regex matches the
   "stats: total:" line exactly as core/vcpu_stats.c prints it (the format
   string is read from the C file), and the "exits per packet" line divides
   the counters' differences by the tap's frames.
Prints TAP."""
import contextlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import scenario_net  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))
from faulty_echo import faulty_echo  # noqa: E402

VICTIM = 50         # the datagram each fault hits (0-based arrival order)
COUNT = 200         # datagrams each case sends
PORT = 7008

# name, fault ("serve": udp_bench --serve echoes), window, exit status, wanted:
# lost - late (datagrams that never came back: a slow echo declared lost and
# then seen is "late", so host load cannot change this difference), corrupted,
# duplicates
CASES = [
    ("clean", None, 1, 0, (0, 0, 0)),
    ("drop", "drop", 1, 0, (1, 0, 0)),
    ("corrupt", "corrupt", 1, 1, (1, 1, 0)),
    ("duplicate", "duplicate", 1, 0, (0, 0, 1)),
    ("clean W32", None, 32, 0, (0, 0, 0)),
    ("drop W32", "drop", 32, 0, (1, 0, 0)),
    ("corrupt W32", "corrupt", 32, 1, (1, 1, 0)),
    ("duplicate W32", "duplicate", 32, 0, (0, 0, 1)),
    ("W32 against --serve", "serve", 32, 0, (0, 0, 0)),
]
SUMMARY = re.compile(r"(\d+) echoed, (\d+) lost, (\d+) corrupted, (\d+) duplicates, (\d+) late")


@contextlib.contextmanager
def own_echo(binary, port):
    """udp_bench --serve on `port` while the body runs."""
    server = subprocess.Popen([binary, "--serve", "--port", str(port)], stdout=subprocess.PIPE,
                              text=True)
    try:
        server.stdout.readline()        # "echo server on port ...": it is bound
        yield
    finally:
        server.kill()
        server.wait()


def run_case(binary, fault, window):
    echo = own_echo(binary, PORT) if fault == "serve" else \
        faulty_echo(PORT, fault, VICTIM, corrupt_at=-1)
    with echo:
        # A fixed amount of work (--count), not a time: however loaded the host,
        # every case sends the same datagrams; --seconds is only a cap far beyond
        # need, and a datagram counts as lost only after 5 s without its echo
        # (on loopback an echo that slow means a broken test machine).
        p = subprocess.run([binary, "--target", "127.0.0.1", "--port", str(PORT), "--count",
                            str(COUNT), "--seconds", "120", "--size", "200", "--window",
                            str(window), "--stall-ms", "5000"],
                           capture_output=True, text=True, timeout=240)
    return p.returncode, p.stdout + p.stderr


def inside(binary):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    print(f"1..{len(CASES)}")
    failed = 0
    for n, (name, fault, window, want_rc, want) in enumerate(CASES, 1):
        rc, out = run_case(binary, fault, window)
        m = SUMMARY.search(out)
        got = None
        if m:
            echoed, lost, bad, dup, late = (int(x) for x in m.groups())
            got = (lost - late, bad, dup) if echoed + lost == COUNT else None
        ok = rc == want_rc and got == want
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {n} - udp_bench {name}: exit {rc} (want {want_rc})")
        if not ok:
            for line in out.splitlines():
                print(f"#   {line}")
    return 1 if failed else 0


def dump_format_checks(first):
    """TAP lines numbered from `first`: the C format and the harness agree."""
    src = (ROOT / "core" / "vcpu_stats.c").read_text()
    m = re.search(r'printk\("(stats: total: [^"]*)"\s*"([^"]*)"', src)
    fmt = (m.group(1) + m.group(2)) if m else ""
    sample = fmt.replace("%lu", "{}").replace("\\n", "").format(*range(101, 109)) if fmt else ""
    got = scenario_net.TOTALS_RX.search(sample)
    ok1 = bool(got) and [int(x) for x in got.groups()] == list(range(101, 109))
    steps = scenario_net.HostSteps([], str(ROOT))
    keys = scenario_net.TOTAL_KEYS
    steps.first = dict(zip(keys, [100, 60, 40, 40, 0, 0, 10, 10]), rx=5, tx=5)
    steps.last = dict(zip(keys, [400, 300, 100, 100, 0, 0, 30, 30]), rx=55, tx=55)
    steps.last_label = "host steps"
    line = steps.exits_per_packet_line()
    ok2 = line.startswith("exits per packet: 3.00 (300 EL2 entries over 100 packets,") \
        and "IOTLB invalidations 20 = 0.20 per packet" in line
    print(f"{'ok' if ok1 else 'not ok'} {first} - TOTALS_RX reads vcpu_stats.c's total line"
          + ("" if ok1 else f"\n#   format {fmt!r}"))
    print(f"{'ok' if ok2 else 'not ok'} {first + 1} - exits per packet line"
          + ("" if ok2 else f"\n#   {line}"))
    return 0 if ok1 and ok2 else 1


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        return inside(sys.argv[2])
    why = scenario_net.netns_capability()
    if why or not scenario_net.shutil.which("gcc"):
        print(f"1..2\n# udp_bench cases not run: {why or 'gcc not found'}")
        return dump_format_checks(1)
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "udp_bench")
        cc = subprocess.run(["gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                             str(ROOT / "tools" / "udp_bench.c"), "-o", binary],
                            capture_output=True, text=True)
        if cc.returncode:
            print("1..1\nnot ok 1 - udp_bench.c builds\n# " + cc.stderr.replace("\n", "\n# "))
            return 1
        out = subprocess.run(scenario_net._unshare_prefix() +
                             [sys.executable, __file__, "--inside", binary],
                             capture_output=True, text=True)
        lines = out.stdout.splitlines()
        # One plan for both parts: the udp cases' "1..N" becomes "1..N+2".
        n = len(CASES)
        print(f"1..{n + 2}")
        for line in lines:
            if not line.startswith("1.."):
                print(line)
        return max(out.returncode, dump_format_checks(n + 1))


if __name__ == "__main__":
    sys.exit(main())
