#!/usr/bin/env python3
"""Tests of tools/udp_soak.c, the peer of `make soak`: that it can fail.  It is
built into a temporary directory and run against a UDP echo server
(faulty_echo.py) that misbehaves on purpose (drops, corrupts, duplicates, reorders one
datagram); each fault must show in the summary, and all but reordering must
make the exit status 1.

Everything runs in a private network namespace with only its loopback (the
same unshare tools/scenario_net.py uses for scenarios): nothing leaves it.
Prints TAP."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import scenario_net  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))
from faulty_echo import faulty_echo  # noqa: E402

COUNT = 300
VICTIM = 100        # the datagram each fault hits (0-based arrival order)
PORT = 7007

CASES = [
    # name, fault, exit status, summary fragment that must appear
    ("clean", None, 0, f"{COUNT} sent, {COUNT} received intact, 0 lost, 0 corrupted, 0 duplicates, 0 reordered"),
    ("drop", "drop", 1, f"{COUNT} sent, {COUNT - 1} received intact, 1 lost, 0 corrupted, 0 duplicates"),
    ("corrupt", "corrupt", 1, f"{COUNT - 1} received intact, 1 lost, 1 corrupted, 0 duplicates"),
    ("duplicate", "duplicate", 1, f"{COUNT} received intact, 0 lost, 0 corrupted, 1 duplicates"),
    ("reorder", "reorder", 0, f"{COUNT} received intact, 0 lost, 0 corrupted, 0 duplicates, 1 reordered"),
]


def run_case(binary: str, fault: str | None) -> tuple[int, str]:
    with faulty_echo(PORT, fault, VICTIM, corrupt_at=0):
        # The window of 1 makes arrival order = send order, so VICTIM is one datagram;
        # for reordering a window of 2 lets the next one overtake it.
        window = "2" if fault == "reorder" else "1"
        p = subprocess.run([binary, "--target", "127.0.0.1", "--port", str(PORT), "--count", str(COUNT),
                            "--seed", "3", "--window", window, "--stall-ms", "200", "--grace-s", "1",
                            "--progress", "0"], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def inside(binary: str) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    print(f"1..{len(CASES)}")
    failed = 0
    for n, (name, fault, want_rc, want_text) in enumerate(CASES, 1):
        rc, out = run_case(binary, fault)
        ok = rc == want_rc and want_text in out
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {n} - udp_soak {name}: exit {rc} (want {want_rc})")
        if not ok:
            for line in out.splitlines():
                print(f"#   {line}")
    return 1 if failed else 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        return inside(sys.argv[2])
    why = scenario_net.netns_capability()
    if why or not scenario_net.shutil.which("gcc"):
        print(f"1..0 # SKIP {why or 'gcc not found'}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "udp_soak")
        cc = subprocess.run(["gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                             str(ROOT / "tools" / "udp_soak.c"), "-o", binary],
                            capture_output=True, text=True)
        if cc.returncode:
            print("1..1\nnot ok 1 - udp_soak.c builds\n# " + cc.stderr.replace("\n", "\n# "))
            return 1
        return subprocess.run(scenario_net._unshare_prefix() +
                              [sys.executable, __file__, "--inside", binary]).returncode


if __name__ == "__main__":
    sys.exit(main())
