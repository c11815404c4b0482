#!/usr/bin/env python3
"""Tests of where make bench's time figures come from (issue 13): granite's
"stats: timing:" dump line (core/vcpu_stats.c, arch/arm64/exit_timing.c) is
read by tools/scenario_net.py into the "host: dump:" line of each step, and
tools/bench turns two such dumps around a step into EL2 time per exit and per
round trip, kicks per round trip and their latency.  The C format string is
read from the source, so a change of wording on either side fails here.
Prints TAP."""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tap_checks import ROOT, load_tool, print_tap  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
import scenario_net  # noqa: E402


def load_bench():
    return load_tool("bench", ROOT / "tools" / "bench")


def c_timing_line(values):
    """The printk of core/vcpu_stats.c with its %lu filled in, as granite prints it."""
    src = (ROOT / "core" / "vcpu_stats.c").read_text()
    m = re.search(r'printk\(("stats: timing:.*?\\n")', src, re.S)
    fmt = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))).removesuffix("\\n") if m else ""
    it = iter(values)
    return re.sub(r"%lu", lambda _: str(next(it)), fmt), fmt


def main():
    results = []
    line, fmt = c_timing_line([9000, 3, 3000, 120, 2, 60])
    results.append(("the timing printk is found in core/vcpu_stats.c", bool(fmt)))
    t = scenario_net.TIMING_RX.search(line)
    results.append(("scenario_net reads the line granite prints", bool(t) and
                    dict(zip(scenario_net.TIMING_KEYS, map(int, t.groups()))) ==
                    {"el2_ns": 9000, "exits_timed": 3, "kick_ns": 120, "kicks": 2}))
    bench = load_bench()
    before = {"el2": 100, "tlbi": 0, "el2_ns": 1_000_000, "exits_timed": 100, "kick_ns": 50_000,
              "kicks": 10}
    after = {"el2": 600, "tlbi": 0, "el2_ns": 4_000_000, "exits_timed": 600, "kick_ns": 6_050_000,
             "kicks": 210}
    st = bench.step_timing(before, after, 100)
    results.append(("EL2 time per exit: 3 ms over 500 exits = 6 us", st.get("el2_us_exit") == 6.0))
    results.append(("EL2 time per round trip: 3 ms over 100 round trips = 30 us",
                    st.get("el2_us_rt") == 30.0))
    results.append(("kicks per round trip and their latency: 200 kicks, 6 ms: 2 x 30 us",
                    st.get("kicks_rt") == 2.0 and st.get("kick_us") == 30.0))
    results.append(("no timing line (an older granite): no figures, no crash",
                    bench.step_timing({"el2": 1}, {"el2": 2}, 1) == {}))
    log = "\n".join([
        "host: dump: el2 100, exits 100, idle_irqs 0, idle_waits 0, maps 0, unmaps 0, tlbi 0, "
        "syncs 0, el2_ns 1000000, exits_timed 100, kick_ns 50000, kicks 10, rx 1, tx 1",
        "host: udp-bench: W1 64 B: 2000 packets/s, 1.02 Mbit/s, 100 echoed, 0 lost, 0 corrupted, "
        "0 duplicates, 0 late, rtt avg 500 us, 3 s",
        "host: dump: el2 600, exits 600, idle_irqs 0, idle_waits 0, maps 0, unmaps 0, tlbi 0, "
        "syncs 0, el2_ns 4000000, exits_timed 600, kick_ns 6050000, kicks 210, rx 2, tx 2",
    ])
    e = bench.parse_steps(log)["udp"].get((1, 64), {})
    results.append(("parse_steps gives the step its EL2 entries and timing",
                    e.get("el2") == 5.0 and e.get("el2_us_rt") == 30.0 and e.get("kick_us") == 30.0))
    return print_tap(results)


if __name__ == "__main__":
    sys.exit(main())
