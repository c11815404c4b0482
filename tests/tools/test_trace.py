#!/usr/bin/env python3
"""Tests of tools/trace, the reader of granite's packet trace, on two console
logs captured from the scenarios trace-packet@fixed and
trace-packet@seed-000-regression (tests/tools/data/): the table has every hop
of each traced packet in hop order, granite's '?' lines are given the right
packet, the ASCII diagram draws the hops in their lanes, --mermaid is a
sequenceDiagram, and malformed input is refused with a clear message.
Prints TAP."""
import re
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TRACE = ROOT / "tools" / "trace"
DATA = Path(__file__).resolve().parent / "data"
FIXED = DATA / "trace-fixed.log"
SEED = DATA / "trace-seed-000-regression.log"
TX_HOPS = [1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 12, 13]
TX_HOPS_FAULT = [1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 12, 13]
RX_HOPS = [1, 2, 3, 4]


def run(*args, stdin=None):
    return subprocess.run([sys.executable, str(TRACE), *args], capture_output=True, text=True,
                          input=stdin)


def table_rows(out):
    """(packet, hop, domain, function, facts) of each table row."""
    rows = []
    for line in out.splitlines():
        m = re.match(r"^((?:tx|rx)\d+\*?)\s+(\d+)\s+(d\d+|hv)\s+(\S+)\s+(.*)$", line)
        if m:
            rows.append((m.group(1), int(m.group(2)), m.group(3), m.group(4), m.group(5)))
    return rows


def hops_of(rows, pkt):
    return [r[1] for r in rows if r[0].rstrip("*") == pkt]


def main():
    cases = []

    fixed = run("--no-diagram", str(FIXED))
    rows = table_rows(fixed.stdout)
    cases.append(("fixed: exit 0", fixed.returncode == 0))
    cases.append(("fixed: tx1 and tx2 have every hop but the fault, in hop order",
                  hops_of(rows, "tx1") == TX_HOPS and hops_of(rows, "tx2") == TX_HOPS))
    cases.append(("fixed: rx1 and rx2 have their four hops",
                  hops_of(rows, "rx1") == RX_HOPS and hops_of(rows, "rx2") == RX_HOPS))
    cases.append(("fixed: no packet 3 and no unresolved '?'",
                  not hops_of(rows, "tx3") and not hops_of(rows, "rx3") and
                  not re.search(r"^(tx|rx)\?", fixed.stdout, re.M)))
    grant = [r for r in rows if r[0] == "tx1*" and r[1] == 5]
    cases.append(("fixed: granite's grant map is tx1's, marked as worked out, and names "
                  "grant_table.c:add_mapping",
                  len(grant) == 1 and grant[0][2] == "hv" and
                  grant[0][3] == "grant_table.c:add_mapping"))
    mapped = [r for r in rows if r[0] == "tx1" and r[1] == 8]
    m = re.search(r"machine (0x[0-9a-f]+)", mapped[0][4]) if mapped else None
    entry = [r for r in rows if r[0] == "tx1*" and r[1] == 6]
    cases.append(("fixed: the 1:1 IOMMU entry is at tx1's machine address",
                  bool(m) and len(entry) == 1 and f"1:1 entry at {m.group(1)}:" in
                  entry[0][4]))

    seed = run(str(SEED))
    rows = table_rows(seed.stdout)
    cases.append(("seed 000: exit 0", seed.returncode == 0))
    cases.append(("seed 000: tx1 and tx2 each have the SMMU fault (hop 11) among their hops",
                  hops_of(rows, "tx1") == TX_HOPS_FAULT and hops_of(rows, "tx2") == TX_HOPS_FAULT))
    ok = True
    for pkt in ("tx1", "tx2"):
        mapped = [r for r in rows if r[0] == pkt and r[1] == 8]
        fault = [r for r in rows if r[0] == pkt + "*" and r[1] == 11]
        mm = re.search(r"machine (0x[0-9a-f]+)", mapped[0][4]) if mapped else None
        ok = ok and bool(mm) and len(fault) == 1 and f"iova {mm.group(1)} = machine of d1 gref" in \
            fault[0][4] and fault[0][3] == "smmuv3.c:report_event"
    cases.append(("seed 000: each fault is at its own packet's machine address", ok))
    walk = [r for r in rows if r[0] == "tx1*" and r[1] == 7]
    cases.append(("seed 000: the SMMU's view says nothing answers at the machine address",
                  any("-> none: DMA faults" in r[4] for r in walk)))

    lines = seed.stdout.splitlines()
    head = next((l for l in lines if "domU" in l and "granite" in l and "NIC/SMMU" in l), "")
    lane = {name: head.index(name) + len(name) // 2 for name in ("domU", "granite", "dom0")} \
        if head else {}
    lane_nic = head.index("NIC/SMMU") + len("NIC/SMMU") // 2 if head else 0

    def marker(label):
        row = next((l for l in lines if l.startswith(label) and "o" in l[7:]), "")
        return row.index("o", 7) if row else -1

    cases.append(("seed 000: diagram has the four lanes in order domU | granite | dom0 | NIC/SMMU",
                  bool(head) and lane["domU"] < lane["granite"] < lane["dom0"] < lane_nic))
    cases.append(("seed 000: diagram puts each hop in its lane (h1 domU, h5 granite, h8 dom0, "
                  "h11 NIC/SMMU)",
                  bool(head) and abs(marker("tx1 h1 ") - lane["domU"]) <= 1 and
                  abs(marker("tx1 h5 ") - lane["granite"]) <= 1 and
                  abs(marker("tx1 h8 ") - lane["dom0"]) <= 1 and
                  abs(marker("tx1 h11") - lane_nic) <= 1))
    h10 = next((l for l in lines if l.startswith("tx1 h10")), "")
    cases.append(("seed 000: the descriptor hop is an arrow from dom0 to the NIC",
                  "-->o" in h10 and h10.rstrip().endswith("e1000.c:e1000_tx_bus")))

    mer = run("--mermaid", "--no-table", "--no-diagram", "--packet", "tx1", str(SEED))
    mlines = mer.stdout.splitlines()
    cases.append(("--mermaid: a sequenceDiagram with the four participants",
                  mer.returncode == 0 and mlines[:1] == ["sequenceDiagram"] and
                  sum(l.strip().startswith("participant ") for l in mlines) == 4))
    cases.append(("--mermaid --packet tx1: the fault is a note over the NIC/SMMU, "
                  "the descriptor an arrow dom0 ->> NIC",
                  any(l.strip().startswith("Note over N: tx1 h11 smmuv3.c:report_event")
                      for l in mlines) and
                  any(l.strip().startswith("D->>N: tx1 h10 e1000.c:e1000_tx_bus") for l in mlines)
                  and not any("tx2" in l for l in mlines)))

    stdin = run(stdin=SEED.read_text())
    cases.append(("reads stdin as well as a file", stdin.returncode == 0 and
                  stdin.stdout == run(str(SEED)).stdout))

    bad = run(stdin="console: hello\n(d0) trace: tx 1 hop x d0 netback.c:tx_process: ?\n")
    cases.append(("malformed hop line: exit 2, names the line",
                  bad.returncode == 2 and "line 2: malformed trace line" in bad.stderr and
                  not bad.stdout))
    lie = run(stdin="(d1) trace: tx 1 hop 3 d0 netback.c:tx_process: port 3\n")
    cases.append(("a line whose console prefix and domain disagree: exit 2",
                  lie.returncode == 2 and "printed by d1 but names d0" in lie.stderr))
    empty = run(stdin="granite: boot done\n")
    cases.append(("a log without trace lines: exit 2, says trace=packet",
                  empty.returncode == 2 and "trace=packet" in empty.stderr))
    # stdin strict, as under a UTF-8 locale (the C locale would escape instead).
    garbage = subprocess.run([sys.executable, str(TRACE)], capture_output=True,
                             input=b"\xff\xfe\x80 console noise\n" + SEED.read_bytes(),
                             env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"})
    cases.append(("binary garbage on stdin is read as a file is (replaced), no traceback",
                  garbage.returncode == 0 and b"Traceback" not in garbage.stderr and
                  garbage.stdout == run(str(SEED)).stdout.encode()))
    missing = run(str(DATA / "no-such.log"))
    cases.append(("a missing file: exit 2 with a message",
                  missing.returncode == 2 and "trace: error:" in missing.stderr))

    print(f"1..{len(cases)}")
    for i, (name, passed) in enumerate(cases, 1):
        print(f"{'ok' if passed else 'not ok'} {i} - {name}")
    return 0 if all(p for _, p in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
