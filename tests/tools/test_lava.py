#!/usr/bin/env python3
"""Tests of tools/lava/: the two LAVA job definitions, the device tree the
ZCU102 job boots, and granite-results, the console-to-test-case parser.

  * both jobs pass lava-common's own job schema (the device dictionary its
    device schema) (Debian's lava-common,
    installed by tools/setup; it lives in Debian's Python, /usr/bin/python3,
    so the check runs there);
  * the ZCU102 job's U-Boot load addresses are the module addresses of the
    DTB tools/lava/zcu102-dtb makes from Debian's ZCU102 device tree;
  * granite-results turns real scenario logs (tools/lava/testdata/, copied
    from `tools/scenarios.py` runs) and made-up consoles into the expected
    cases;
  * the QEMU job runs with lava-run (lava-dispatcher) against the device
    dictionary in tools/lava/devices/, offline, in about a second, and the
    cases LAVA's monitor records are the ones granite-results finds.
Prints TAP."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LAVA = ROOT / "tools" / "lava"
RESULTS = LAVA / "granite-results"
DEBIAN_PYTHON = "/usr/bin/python3"
JOBS = ("qemu-two-domains.yaml", "zcu102-uboot.yaml")
GRANITE = ROOT / "build" / "granite.bin"

VALIDATE = """
import sys, yaml
from lava_common.schemas import validate
validate(yaml.safe_load(open(sys.argv[1])), strict=True)
"""

VALIDATE_DEVICE = """
import sys, yaml
from lava_common.schemas.device import validate
validate(yaml.safe_load(open(sys.argv[1])))
"""


def results(*args, stdin=None):
    return subprocess.run([sys.executable, str(RESULTS), *args], input=stdin,
                          capture_output=True, text=True)


def cases_of(text: str) -> dict:
    """name -> result from granite-results' yaml output (one flat list)."""
    out, name = {}, None
    for line in text.splitlines():
        if m := re.match(r"^(?:- suite: \S+|\s+name: (\S+)|\s+result: (\S+)|\s+.*)$", line):
            if m.group(1):
                name = m.group(1)
            elif m.group(2):
                out[name] = m.group(2)
    return out


def parse(console: str, *extra) -> tuple:
    p = results("-", "--format", "yaml", *extra, stdin=console)
    return p.returncode, cases_of(p.stdout)


def test_schemas():
    for job in JOBS:
        p = subprocess.run([DEBIAN_PYTHON, "-c", VALIDATE, str(LAVA / job)],
                           capture_output=True, text=True)
        yield (f"{job} passes lava-common's job schema", p.returncode == 0, p.stderr[-600:])
    p = subprocess.run([DEBIAN_PYTHON, "-c", VALIDATE_DEVICE,
                        str(LAVA / "devices" / "qemu-local.yaml")], capture_output=True, text=True)
    yield ("devices/qemu-local.yaml passes lava-common's device schema", p.returncode == 0,
           p.stderr[-600:])


def test_zcu102_addresses():
    job = (LAVA / "zcu102-uboot.yaml").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        dtb = Path(tmp) / "z.dtb"
        p = subprocess.run([sys.executable, str(LAVA / "zcu102-dtb"), str(dtb)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            yield ("zcu102-dtb makes the ZCU102 DTB", False, p.stderr)
            return
        get = lambda *a: subprocess.run(["fdtget", str(dtb), *a], capture_output=True,
                                        text=True).stdout.strip()
        mods = {n: get("-l", f"/chosen/{n}") for n in ("dom0", "domU1")}
        addrs = [int(m.split("@")[1], 16) for m in mods.values() if "@" in m]
        loads = [int(a, 16) for a in re.findall(r"tftp (0x[0-9a-f]+) \{RAMDISK\}", job)]
        yield ("the ZCU102 DTB is Debian's, with granite's /chosen domains",
               get("-t", "s", "/", "model").startswith("ZynqMP ZCU102")
               and get("/chosen/dom0", "compatible") == "xen,domain"
               and get("/chosen", "stdout-path").startswith("serial0"), str(mods))
        yield ("the ZCU102 job loads the guest at each module address of the DTB",
               sorted(addrs) == sorted(loads) and len(addrs) == 2, f"dtb {addrs} job {loads}")
        boot = re.search(r"booti (0x[0-9a-f]+) - (0x[0-9a-f]+)", job)
        kernel = re.search(r"tftp (0x[0-9a-f]+) \{KERNEL\}", job)
        dtb_at = re.search(r"tftp (0x[0-9a-f]+) \{DTB\}", job)
        yield ("booti starts the granite and DTB the job loaded",
               bool(boot and kernel and dtb_at) and boot.groups() == (kernel[1], dtb_at[1]), "")


def test_parser_on_real_logs():
    rc, c = parse((LAVA / "testdata" / "two-domains.log").read_text(), "--scenario",
                  "two-domains")
    want = {"d0_selftest_hello": "pass", "d1_selftest_hello": "pass", "d0_dom0_ended": "pass",
            "d1_domu1_ended": "pass", "d0_vcpu0_exits": "pass", "el2_entries": "pass",
            "smmu_context_faults": "pass", "domains_ended": "pass", "exit_status": "pass",
            "scenario_two_domains": "pass"}
    yield ("two-domains.log: both selftests, both ends, the exits, the clean end",
           rc == 0 and all(c.get(k) == v for k, v in want.items()), str(c))
    rc, c = parse((LAVA / "testdata" / "seed-000-dma-regression.log").read_text(),
                  "--scenario", "seed-000-dma@regression")
    yield ("seed-000-dma@regression.log: the SMMU fault fails its case, the scenario "
           "(which expects it) passes",
           rc == 0 and c.get("smmu_context_faults") == "fail"
           and c.get("scenario_seed_000_dma_regression") == "pass"
           and c.get("d0_dma_back_wanted_blocked") == "pass", str(c))


def test_parser_made_up():
    rc, c = parse("(d1) selftest: initrd: 4096 bytes, FNV-1a 0x1 as the file's: PASS\n"
                  "[linux] linux-init: done: PASS\n(d0) domU: netfront: FAIL\n")
    yield ("a count ends a case name; [label] guests; FAIL fails; no end line fails",
           rc == 1 and c == {"d1_selftest_initrd": "pass", "linux_linux_init_done": "pass",
                             "d0_domu_netfront": "fail", "domains_ended": "fail"}, str(c))
    rc, c = parse("domain: d2 (toy) ended: crashed: data abort\n"
                  "*** granite: unexpected exception at EL2 on cpu0: EL2h sync ***\n"
                  "granite: all 1 domain(s) ended, 1 destroyed\n"
                  "granite: powering off, exit status 3\n")
    yield ("a crash, an EL2 exception, a destroyed domain and a non-zero exit all fail",
           rc == 1 and c == {"d2_toy_ended": "fail", "hypervisor_exception": "fail",
                             "smmu_context_faults": "pass", "domains_ended": "fail",
                             "exit_status": "fail"}, str(c))
    p = results("-", stdin="(d1) selftest: hello: PASS\n(d1) selftest: hello: PASS\n")
    yield ("signals: LAVA's test-case lines, a repeated name made unique",
           "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=d1_selftest_hello RESULT=pass>" in p.stdout
           and "TEST_CASE_ID=d1_selftest_hello_2 RESULT=pass" in p.stdout, p.stdout)
    p = results("-", "--format", "shell", stdin="stats: total: EL2 entries 44 (x)\n")
    yield ("shell: lava-test-case with a measurement",
           "lava-test-case el2_entries --result pass --measurement 44 --units entries"
           in p.stdout, p.stdout)
    p = results("-", "--scenario", "no-such-scenario", stdin="")
    yield ("an unknown scenario is a usage error", p.returncode == 2, p.stderr)


def lava_results(log: Path) -> tuple:
    """(the target's console, {case: result} of the monitor) from lava-run's log."""
    console, cases = [], {}
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("lvl") == "target":
            console.append(str(entry["msg"]))
        elif entry.get("lvl") == "results" and entry["msg"].get("definition") != "lava":
            cases[entry["msg"]["case"]] = entry["msg"]["result"]
    return "\n".join(console) + "\n", cases


def test_lava_run():
    if not GRANITE.exists():
        yield ("lava-qemu-job: lava-run runs the QEMU job", False, f"{GRANITE} is missing (run make)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.yaml"
        job.write_text(re.sub(r"file://\S*/build/granite\.bin", f"file://{GRANITE}",
                              (LAVA / "qemu-two-domains.yaml").read_text()))
        job_id = f"granite-test-{os.getpid()}"
        argv = ["lava-run", "--job-id", job_id, "--output-dir", f"{tmp}/out",
                "--device", str(LAVA / "devices" / "qemu-local.yaml"), str(job)]
        log = Path(tmp) / "lava-run.log"
        with log.open("w") as out:
            p = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=120, cwd=tmp)
        # lava-run keeps its downloads under /var/lib/lava/dispatcher/tmp/<job id>
        # and removes them itself at the end; the job id is ours alone.
        shutil.rmtree(f"/var/lib/lava/dispatcher/tmp/{job_id}", ignore_errors=True)
        console, cases = lava_results(log)
        job_passed = '"case": "job", "definition": "lava", "result": "pass"' in log.read_text()
        yield ("lava-qemu-job: lava-run runs the QEMU job offline and the job passes", p.returncode == 0
               and job_passed, log.read_text()[-1500:])
        yield ("lava-qemu-job: LAVA's monitor records both selftests as passed",
               cases == {"d0_selftest_hello": "pass", "d1_selftest_hello": "pass"}, str(cases))
        rc, mine = parse(console, "--scenario", "two-domains")
        yield ("lava-qemu-job: granite-results on LAVA's console: the same cases, and the scenario passes",
               rc == 0 and all(mine.get(k) == v for k, v in cases.items())
               and mine.get("scenario_two_domains") == "pass", str(mine))


def main():
    checks = []
    for group in (test_schemas, test_zcu102_addresses, test_parser_on_real_logs,
                  test_parser_made_up, test_lava_run):
        try:
            checks.extend(group())
        except Exception as exc:  # a crash in a group is that group's failure
            checks.append((f"{group.__name__} ran", False, repr(exc)))
    print(f"1..{len(checks)}")
    failed = 0
    for number, (name, ok, detail) in enumerate(checks, 1):
        print(f"{'ok' if ok else 'not ok'} {number} - {name}")
        if not ok:
            failed += 1
            for line in str(detail).splitlines()[-20:]:
                print(f"#   {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
