#!/usr/bin/env python3
"""Test of tools/debug (make debug): the README's gdb session, in batch mode.

Runs the seed-000 regression scenario under gdb-multiarch with the session of
README.md "Debugging with gdb": break where the SMMU event is decoded, print
it, print the IOMMU policy, then step into the policy rule the next grant
mapping consults.  Checks that the breakpoint was hit, that the printed event
names F_TRANSLATION at the machine address granite's console says dom0 was
given, and that the rule was stepped into and answered "no mapping".

Nothing here waits on the clock: gdb runs until its script ends; the one
bound (HUNG_S) only means "hung".  Skipped, with the reason, when gdb-multiarch
is missing or the scenario itself would be skipped here (QEMU < 9.2, no tap).
Prints TAP; takes a few seconds."""
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import scenarios  # noqa: E402  (tools/scenarios.py)

SCENARIO = "seed-000-regression"
GDB = "gdb-multiarch"
HUNG_S = 120

# The README's session, command for command.
SESSION = """\
break smmu_event_decode
continue
finish
print e
print policy
clear smmu_event_decode
tbreak iommu_gnttab_need_mapping
continue
step
step
step
step
step
finish
finish
"""

GRANT_LINE = re.compile(r"gnttab: d0 maps d1 ref \d+ .* read-only: machine address (0x[0-9a-f]+)")


def skip_reason() -> str | None:
    if shutil.which(GDB) is None:
        return f"{GDB} not installed (tools/setup)"
    sc = next(s for s in scenarios.load_scenarios_from(ROOT / "tests/scenarios" / f"{SCENARIO}.toml"))
    cfg = scenarios.Config(qemu=scenarios.DEFAULT_QEMU, image=scenarios.DEFAULT_IMAGE,
                           uboot=scenarios.DEFAULT_UBOOT, scenario_dir=ROOT / "tests/scenarios",
                           out_dir=ROOT / "build/scenarios", jobs=1, live=False)
    cfg.qemu_version = scenarios.probe_qemu_version(cfg.qemu)
    why = scenarios.skip_reason(sc, cfg)
    return f"{SCENARIO} is skipped here: {why}" if why else None


def run_session() -> tuple[subprocess.CompletedProcess, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".gdb") as script:
        script.write(SESSION)
        script.flush()
        proc = subprocess.run([sys.executable, str(ROOT / "tools/debug"), SCENARIO,
                               "--batch", script.name, "--timeout", str(HUNG_S)],
                              cwd=ROOT, capture_output=True, text=True, timeout=HUNG_S + 30)
    console = (ROOT / "build/debug" / f"{SCENARIO}.console").read_text(errors="replace")
    return proc, console


def main() -> int:
    why = skip_reason()
    names = ["the session ends by itself (not hung, gdb exit 0)",
             "the breakpoint in smmu_event_decode is hit",
             "print e names F_TRANSLATION at the machine address dom0 was handed",
             "the policy rule is stepped into (iommu_need_sync) and answers false"]
    print(f"1..{len(names)}")
    if why:
        for i, name in enumerate(names, 1):
            print(f"ok {i} - {name} # SKIP {why}")
        return 0
    proc, console = run_session()
    out = proc.stdout
    grant = GRANT_LINE.search(console)
    event = re.search(r"^\$1 = F_TRANSLATION = \{type = 16, .*iova = (0x[0-9a-f]+)", out, re.M)
    cases = [
        proc.returncode == 0,
        re.search(r"hit Breakpoint 2, smmu_event_decode \(", out) is not None,
        bool(event and grant and event.group(1) == grant.group(1)),
        re.search(r"^iommu_need_sync \(", out, re.M) is not None
        and re.search(r"^Value returned is \$\d+ = false$", out, re.M) is not None,
    ]
    for i, (name, passed) in enumerate(zip(names, cases), 1):
        print(f"{'ok' if passed else 'not ok'} {i} - {name}")
    if not all(cases):
        print(f"# tools/debug exit status {proc.returncode}; its output:")
        for line in (out + proc.stderr).splitlines()[-40:]:
            print(f"#   {line}")
    return 0 if all(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
