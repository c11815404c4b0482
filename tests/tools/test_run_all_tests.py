#!/usr/bin/env python3
"""Tests of make test's closing lines (tools/run-all-tests): every failure is
named on a 'failed: ...' line just above the count, with the scenario's
reason taken from the TAP file tools/scenarios.py writes (its write_tap), so
a log cut to its tail still says what failed.  Prints TAP."""
import contextlib
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tap_checks import ROOT, load_tool as load, print_tap  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))


def main():
    rat = load("run_all_tests", ROOT / "tools" / "run-all-tests")
    scen = load("scenarios", ROOT / "tools" / "scenarios.py")
    results = []

    # The TAP block scenarios.py writes for a failure, read back for its message.
    class Named:            # write_tap reads only the scenario's name
        name = "net-x"
    failed = scen.Result(Named(), "FAIL", ["timeout after 150s"])
    tap_path = ROOT / "build" / "test_run_all_tests.tap"
    tap_path.parent.mkdir(parents=True, exist_ok=True)
    scen.write_tap([failed], tap_path)
    lines = tap_path.read_text().splitlines()
    tap_path.unlink()
    at = next(i for i, l in enumerate(lines) if l.startswith("not ok"))
    results.append(("the message of scenarios.py's TAP block is found",
                    rat.tap_message(lines[at + 1:]) == '"timeout after 150s"'))
    results.append(("a passing line after a failure's block is not read as its message",
                    rat.tap_message(["ok 2 - other", "  message: \"no\""]) == ""))

    # A TAP program's failures are returned by name (unit and tool tests).
    prog = [sys.executable, "-c", "print('1..2'); print('ok 1 - a'); print('not ok 2 - b broke')"]
    # (run_tap_program echoes a failing program's output: kept out of this TAP)
    with contextlib.redirect_stdout(io.StringIO()):
        p, f, s, names = rat.run_tap_program(prog, label="fake")
    results.append(("run_tap_program counts and names the failure",
                    (p, f, s) == (1, 1, 0) and names == ["b broke"]))
    crash = [sys.executable, "-c", "import sys; print('1..1'); sys.exit(3)"]
    with contextlib.redirect_stdout(io.StringIO()):
        p, f, s, names = rat.run_tap_program(crash, label="fake")
    results.append(("a program that dies before reporting is one named failure",
                    f == 1 and names and "exited with status 3" in names[0]))

    out = rat.failure_lines(["scenario net-x: \"timeout\"", "unit test_a: b" + "x" * 400])
    results.append(("one 'failed:' line per failure, each cut at 300 characters",
                    out[0] == "failed: scenario net-x: \"timeout\"" and len(out) == 2
                    and len(out[1]) == 300))

    return print_tap(results)


if __name__ == "__main__":
    sys.exit(main())
