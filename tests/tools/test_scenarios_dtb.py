#!/usr/bin/env python3
"""Tests of tools/scenarios.py's `dtb` field: boot = "loader" with a board's
own DTB, the runner acting as the board's boot loader (the ZCU102 scenarios).
Checks the field rules, that the entry stub the runner writes with QEMU's
loader is the code it claims (disassembled with the cross objdump), and that
the DTB it places is the board's with only /chosen/bootargs set; and the GEM
ping plumbing: the `nic` and `skip` fields, the tap on the Nth board NIC, and
the PHY-address variant of the ZCU102 tree differing in that one value.  And boot =
"el3-firmware": the firmware, its two boot slots and CPU 0's start are where
guests/firmware/el3.c and el3.ld say they are.  Prints TAP."""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import scenarios  # noqa: E402

BOARD_DTB = ROOT / "build" / "boards" / "zynqmp-zcu102-rev1.0.dtb"
PHY_DTB = ROOT / "build" / "boards" / "zynqmp-zcu102-rev1.0-qemu-phy.dtb"
TMP = tempfile.TemporaryDirectory()   # the runner's out dir for these tests


def rejected(data):
    try:
        scenarios.validated_values(dict(data), "test")
    except scenarios.ScenarioError as err:
        return str(err)
    return None


def stub_disassembly(args):
    """The four instructions the loader arguments write at ENTRY_STUB_ADDR."""
    words = {}
    for a in args:
        m = re.fullmatch(r"loader,addr=(0x[0-9a-f]+),data=(0x[0-9a-f]+),data-len=8", a)
        if m:
            words[int(m.group(1), 16)] = int(m.group(2), 16)
    code = b"".join(words[scenarios.ENTRY_STUB_ADDR + 8 * i].to_bytes(8, "little") for i in range(2))
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(code)
        f.flush()
        out = subprocess.run(["aarch64-linux-gnu-objdump", "-D", "-b", "binary", "-m", "aarch64",
                              f.name], capture_output=True, text=True, check=True).stdout
    return out, words


def nic_cases(base):
    """`nic = "MODEL@N"`: the tap on the machine's Nth NIC, the others on hubs."""
    import scenario_net
    cases = []
    cases.append(("nic without network = tap is refused",
                  "'nic'" in (rejected({**base, "nic": "cadence_gem@3"}) or "")))
    cases.append(("nic must be MODEL@N", "nic" in (rejected(
        {**base, "network": "tap", "nic": "cadence_gem"}) or "")))
    cases.append(("nic = cadence_gem@3 with a tap is accepted",
                  rejected({**base, "network": "tap", "nic": "cadence_gem@3"}) is None))
    args = scenario_net.qemu_nic_args("/tmp/x.pcap", "cadence_gem@3")
    nics = [args[i + 1] for i, a in enumerate(args) if a == "-net"]
    netdevs = [args[i + 1] for i, a in enumerate(args) if a == "-netdev"]
    cases.append(("gem0-2 get hub ports, gem3 the tap, in that order",
                  len(nics) == 4 and all("model=cadence_gem" in n for n in nics) and
                  nics[3].startswith("nic,netdev=net0,") and
                  [d.split(",")[0] for d in netdevs] == ["hubport"] * 3 + ["tap"]))
    cases.append(("no user-mode networking, no e1000",
                  not any(a.startswith("user") or "e1000" in a for a in args)))
    cases.append(("without nic the tap is still an e1000",
                  any(a.startswith("e1000,netdev=net0") for a in scenario_net.qemu_nic_args("/x"))))
    sc = scenarios.load_scenarios_from(ROOT / "tests" / "scenarios" / "zcu102-gem-ping.toml")[0]
    cfg = scenarios.Config(qemu="qemu-system-aarch64", image="build/granite.bin", uboot="",
                           scenario_dir=ROOT / "tests" / "scenarios",
                           out_dir=Path(TMP.name), jobs=1, live=False)
    cases.append(("zcu102-gem-ping runs (its firmware models exist): no skip",
                  not sc.skip and scenarios.skip_reason(sc, cfg) is None))
    sc.skip = "a reason of its own"
    cases.append(("a scenario's skip field is its skip reason",
                  scenarios.skip_reason(sc, cfg) == "a reason of its own"))
    if BOARD_DTB.exists() and PHY_DTB.exists():
        diff = subprocess.run(f"diff <(dtc -I dtb -O dts {BOARD_DTB} 2>/dev/null) "
                              f"<(dtc -I dtb -O dts {PHY_DTB} 2>/dev/null)", shell=True,
                              executable="/bin/bash", capture_output=True, text=True).stdout
        changed = [" ".join(line.split()) for line in diff.splitlines() if line[:1] in "<>"]
        cases.append(("the qemu-phy DTB differs only in gem3's PHY reg, 0xc -> 23",
                      changed == ["< reg = <0x0c>;", "> reg = <0x17>;"] and
                      subprocess.run(["fdtget", "-t", "u", str(PHY_DTB),
                                      "/axi/ethernet@ff0e0000/ethernet-phy@c", "reg"],
                                     capture_output=True, text=True).stdout.strip() == "23"))
    else:
        cases.append((f"# SKIP {PHY_DTB} not built", True))

    return cases

def el3_firmware_cases(cfg):
    """boot = "el3-firmware": the runner's addresses against the firmware's own."""
    cases = []
    base = {"expect": ["x"], "boot": "el3-firmware", "machine": "xlnx-zcu102,secure=on",
            "dtb": "build/boards/zynqmp-zcu102-rev1.0.dtb"}
    cases.append(("el3-firmware with a dtb takes hv_args", rejected({**base, "hv_args": "a"}) is None))
    cases.append(("el3-firmware without a dtb is refused", "'boot'" in (rejected(
        {"expect": ["x"], "boot": "el3-firmware"}) or "")))
    cases.append(("el3-firmware without secure=on is refused", "secure=on" in (rejected(
        {**base, "machine": "xlnx-zcu102,virtualization=on"}) or "")))
    cases.append(("el3-firmware with secure=off is refused", "secure=on" in (rejected(
        {**base, "machine": "xlnx-zcu102,secure=off,virtualization=on"}) or "")))
    src = (ROOT / "guests" / "firmware" / "el3.c").read_text()
    lds = (ROOT / "guests" / "firmware" / "el3.ld").read_text()
    slot = {m.group(1): int(m.group(2), 16)
            for m in re.finditer(r"#define (FW_BOOT_DTB|FW_BOOT_ENTRY) (0x[0-9a-f]+)UL", src)}
    link = re.search(r"\. = (0x[0-9a-f]+);", lds)
    cases.append(("the runner loads the firmware where el3.ld links it",
                  link is not None and int(link.group(1), 16) == scenarios.EL3_FIRMWARE_ADDR))
    sc = scenarios.load_scenarios_from(ROOT / "tests" / "scenarios" / "zcu102-eemi-forward.toml")[0]
    args = scenarios.boot_arguments(sc, cfg)
    fw = f"loader,file={scenarios.EL3_FIRMWARE},addr={scenarios.EL3_FIRMWARE_ADDR:#x},force-raw=on"
    cases.append(("the firmware and granite are placed", fw in args and
                  f"loader,file={cfg.image},addr={scenarios.IMAGE_LOAD_ADDR},force-raw=on" in args))
    cases.append(("its slots get the DTB's and granite's addresses, where el3.c reads them",
                  f"loader,addr={slot.get('FW_BOOT_DTB', -1):#x},data={scenarios.BOARD_DTB_ADDR:#x},"
                  "data-len=8" in args and
                  f"loader,addr={slot.get('FW_BOOT_ENTRY', -1):#x},data={scenarios.IMAGE_LOAD_ADDR},"
                  "data-len=8" in args))
    cases.append(("CPU 0 starts in the firmware",
                  f"loader,addr={scenarios.EL3_FIRMWARE_ADDR:#x},cpu-num=0" in args))
    if BOARD_DTB.exists():
        placed = scenarios.edited_dtb(sc, cfg, sc.layout())
        cases.append(("the DTB goes to BOARD_DTB_ADDR as with boot = \"loader\"",
                      len(placed) == 2 and f"addr={scenarios.BOARD_DTB_ADDR:#x}" in placed[1]))
    return cases


def main():
    cases = []
    base = {"expect": ["x"], "boot": "loader", "dtb": "build/boards/zynqmp-zcu102-rev1.0.dtb"}
    cases.append(("loader with a dtb takes hv_args and dom0less", rejected(
        {**base, "hv_args": "a=b", "dom0less": [{"name": "d", "image": "x"}]}) is None))
    cases.append(("loader without a dtb still refuses hv_args",
                  "hv_args" in (rejected({"expect": ["x"], "boot": "loader", "hv_args": "a"}) or "")))
    cases.append(("a dtb with U-Boot is refused",
                  "'dtb'" in (rejected({**base, "boot": "uboot"}) or "")))

    sc = scenarios.load_scenarios_from(ROOT / "tests" / "scenarios" / "zcu102-boot.toml")[0]
    cfg = scenarios.Config(qemu="qemu-system-aarch64", image="build/granite.bin", uboot="",
                           scenario_dir=ROOT / "tests" / "scenarios",
                           out_dir=Path(TMP.name), jobs=1, live=False)
    args = scenarios.boot_arguments(sc, cfg)
    dis, words = stub_disassembly(args)
    cases.append(("the entry stub is ldr x0 / ldr x1 / br x1 / nop",
                  re.search(r"ldr\s+x0, 0x10.*\n.*ldr\s+x1, 0x18.*\n.*br\s+x1.*\n.*nop", dis)
                  is not None))
    cases.append(("its literals are the DTB's and granite's addresses",
                  words.get(scenarios.ENTRY_STUB_ADDR + 16) == scenarios.BOARD_DTB_ADDR and
                  words.get(scenarios.ENTRY_STUB_ADDR + 24) == int(scenarios.IMAGE_LOAD_ADDR, 16)))
    cases.append(("CPU 0 starts in the stub",
                  f"loader,addr={scenarios.ENTRY_STUB_ADDR:#x},cpu-num=0" in args))

    if BOARD_DTB.exists():
        placed = scenarios.edited_dtb(sc, cfg, sc.layout())
        dtb = Path(re.search(r"file=([^,]+)", placed[1]).group(1))
        bootargs = subprocess.run(["fdtget", "-t", "s", str(dtb), "/chosen", "bootargs"],
                                  capture_output=True, text=True).stdout.strip()
        cases.append(("the DTB goes to BOARD_DTB_ADDR with the hypervisor arguments in bootargs",
                      f"addr={scenarios.BOARD_DTB_ADDR:#x}" in placed[1] and
                      bootargs == sc.full_hv_args()))
        diff = subprocess.run(f"diff <(dtc -I dtb -O dts {BOARD_DTB} 2>/dev/null) "
                              f"<(dtc -I dtb -O dts {dtb} 2>/dev/null)", shell=True,
                              executable="/bin/bash", capture_output=True, text=True).stdout
        changed = [line for line in diff.splitlines() if line[:1] in "<>"]
        cases.append(("nothing but /chosen/bootargs differs from the board's DTB",
                      len(changed) == 2 and all("bootargs" in line for line in changed)))
    else:
        cases.append((f"# SKIP {BOARD_DTB} not built", True))

    cases += nic_cases(base)
    cases.extend(el3_firmware_cases(cfg))

    print(f"1..{len(cases)}")
    for i, (name, passed) in enumerate(cases, 1):
        print(f"{'ok' if passed else 'not ok'} {i} - {name}")
    return 0 if all(p for _, p in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
