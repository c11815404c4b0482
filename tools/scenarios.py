#!/usr/bin/env python3
"""granite scenario harness: boot the hypervisor in QEMU, judge the console, report.

A scenario is one TOML file, tests/scenarios/<name>.toml (see the README there
for the fields). For each selected scenario the runner starts one QEMU, reads
its serial console (QEMU's stdout) as it arrives, optionally types U-Boot
commands, stops QEMU on `stop_on` or on timeout, and then judges the output:
the `expect` regexes must match in order, no `forbid` regex may match, and
QEMU's exit status must equal `exit_status`.

Assumptions:
  * The hypervisor is already built (build/granite.bin); this script never
    builds it. It is booted with "poweroff=semihosting" prepended to its
    arguments and ends QEMU with a semihosting exit code, so QEMU's exit
    status carries the hypervisor's verdict.
  * QEMU is qemu-system-aarch64 with semihosting; U-Boot is Debian's
    u-boot-qemu build (/usr/lib/u-boot/qemu_arm64/u-boot.bin).
  * Console text is matched with Python regexes in MULTILINE mode after
    "\\r\\n" is turned into "\\n". `stop_on`, `first_line` and the U-Boot
    prompt are watched while output arrives and must match within one line.
  * The runner only ever signals processes it started itself, by PID:
    SIGTERM, then SIGKILL after 2 s.
  * Python 3.11 standard library only; no network.

Outputs go to build/scenarios/: <name>.log per scenario (QEMU command line at
the top, prefixed by "# "), results.tap and junit.xml. Exit status: 0 when no
scenario failed, 1 when one did, 2 on a usage or scenario-file error, 130 when
interrupted.
"""

import argparse
import codecs
import concurrent.futures
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario_net  # noqa: E402  (tools/ is not a package)
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_IMAGE = "build/granite.bin"
DEFAULT_UBOOT = "/usr/lib/u-boot/qemu_arm64/u-boot.bin"
DEFAULT_QEMU = "qemu-system-aarch64"
DEFAULT_SCENARIO_DIR = "tests/scenarios"
DEFAULT_OUT_DIR = "build/scenarios"

IMAGE_LOAD_ADDR = "0x40200000"
# boot = "loader" with a `dtb`: the runner is the board's boot loader.  The DTB
# goes where QEMU's -kernel path puts virt's, and a four-instruction entry stub
# 1 MiB below granite sets x0 to it (the arm64 boot protocol) and jumps.
BOARD_DTB_ADDR = 0x48000000
ENTRY_STUB_ADDR = 0x40100000
ENTRY_STUB = (
    0x58000080,   # ldr x0, entry+16   (the DTB's address)
    0x580000A1,   # ldr x1, entry+24   (granite's)
    0xD61F0020,   # br  x1
    0xD503201F,   # nop                (keeps the literals 8-byte aligned)
)
# boot = "el3-firmware": a stand-in platform firmware (guests/firmware/el3.c)
# in the ZynqMP's on-chip memory starts at EL3 and drops to granite at EL2.
# Its two boot slots (the DTB's address, granite's entry) sit just below it.
EL3_FIRMWARE = "build/guests/el3fw.bin"
EL3_FIRMWARE_ADDR = 0xfffea000
EL3_FIRMWARE_SLOTS = 0xfffe9ff0
HV_ARGS_PREFIX = "poweroff=semihosting"
STOP_GRACE_S = 2.0
TIMEOUT_DUMP_S = 3.0    # at a timeout, how long granite's counter dump is waited for
TAIL_LINES = 15

UBOOT_AUTOBOOT = re.compile(r"Hit any key to stop autoboot")
UBOOT_PROMPT = re.compile(r"=> ")
# "(?<!de)" keeps U-Boot's "using default environment" from looking like a fault.
ERROR_LINE = re.compile(r"(?i)(error|panic|(?<!de)fault|abort|unexpected|exception)")
SCENARIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# --------------------------------------------------------------------------
# Scenario files: strict loading and validation
# --------------------------------------------------------------------------

class ScenarioError(Exception):
    """A scenario file is malformed; the message names the file and field."""


class UsageError(Exception):
    """The command line or the environment makes running impossible (exit 2)."""


REQUIRED = object()
BOOT_MODES = ("kernel", "uboot", "loader", "el3-firmware")
# The boot modes in which the runner is the boot loader and places the DTB.
LOADER_BOOTS = ("loader", "el3-firmware")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _regex_error(pattern: str) -> str | None:
    try:
        re.compile(pattern, re.MULTILINE)
    except re.error as err:
        return f"invalid regex {pattern!r}: {err}"
    return None


# Each checker returns None when the value is fine, else what it must be.
def check_string(v):
    return None if isinstance(v, str) else "a string"


def check_nonempty_string(v):
    return None if isinstance(v, str) and v.strip() else "a non-empty string"


def check_boot(v):
    return None if v in BOOT_MODES else "one of " + ", ".join(f'"{m}"' for m in BOOT_MODES)


def check_positive_int(v):
    return None if _is_int(v) and v >= 1 else "a positive integer"


def check_positive_number(v):
    return None if _is_number(v) and v > 0 else "a positive number (seconds)"


def check_memory(v):
    ok = isinstance(v, str) and re.fullmatch(r"\d+(\.\d+)?[KMGTkmgt]?", v)
    return None if ok else 'a QEMU memory size such as "512M"'


def check_string_list(v):
    ok = isinstance(v, list) and all(isinstance(x, str) for x in v)
    return None if ok else "a list of strings"


def check_regex(v):
    if not isinstance(v, str) or not v:
        return "a non-empty regex string"
    return _regex_error(v)


def check_regex_list(v):
    if check_string_list(v):
        return "a list of regex strings"
    for pattern in v:
        if err := _regex_error(pattern):
            return err
    return None


def check_expect(v):
    if isinstance(v, list) and not v:
        return "a non-empty list of regex strings"
    return check_regex_list(v)


def check_exit_status(v):
    ok = v == "stopped" or (_is_int(v) and 0 <= v <= 255)
    return None if ok else 'an integer 0..255 or the string "stopped"'


def check_version(v):
    ok = isinstance(v, str) and re.fullmatch(r"\d+(\.\d+)*", v)
    return None if ok else 'a version string such as "9.2"'


def check_type_on(v):
    ok = isinstance(v, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
        and _regex_error(p[0]) is None for p in v)
    return None if ok else 'a list of ["regex", "text to type"] pairs'


DOM0LESS_KEYS = ("name", "image", "initrd", "args", "memory_mib", "cpus", "hardware_domain",
                 "ram_above_4g", "direct_map", "passthrough")


def check_dom0less(v):
    if not isinstance(v, list):
        return "an array of tables"
    for d in v:
        if not isinstance(d, dict) or set(d) - set(DOM0LESS_KEYS):
            return "tables with " + ", ".join(DOM0LESS_KEYS)
        if not isinstance(d.get("name"), str) or not isinstance(d.get("image"), str):
            return "tables with at least a name and an image"
        if "initrd" in d and not isinstance(d["initrd"], str):
            return "tables whose initrd is a path (string)"
        if "passthrough" in d and (not isinstance(d["passthrough"], list) or
                                   not all(isinstance(x, str) and x for x in d["passthrough"])):
            return "tables whose passthrough is a list of host device-tree paths"
    return None


# Where QEMU's loader puts dom0less modules: above granite (0x40200000) and
# the DTB QEMU places at 0x48000000 (RAM base + 128 MiB when there is at least
# 256 MiB of RAM), one after another, each at a 2 MiB boundary.  A module's
# reg size is its file's size, so a kernel of any size fits.
VIRT_RAM_BASE = 0x40000000
DOM0LESS_LOAD_BASE = 0x4C000000
DOM0LESS_ALIGN = 2 << 20
MIB = 1 << 20
# Room QEMU's RAM keeps beyond the modules and the domains' own memory
# (granite's image, its heap, page tables).
DOM0LESS_RAM_SLACK = 64 * MIB


def memory_bytes(text: str) -> int:
    """A QEMU -m size ("512M", "1G", "1.5G"; a bare number is MiB) in bytes."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGTkmgt]?)", text)
    scale = {"": MIB, "k": 1 << 10, "m": MIB, "g": 1 << 30, "t": 1 << 40}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


@dataclass
class Dom0lessLayout:
    edits: list          # fdtput argument strings
    qemu: list           # -device loader,... arguments
    modules_end: int     # first byte after the last module
    domains_mib: int     # the domains' memory, summed


def dom0less_expansion(domains: list, root: Path = REPO_ROOT) -> Dom0lessLayout:
    """The dtb_edits and QEMU loader arguments that describe these domains in
    Xen's dom0less binding (/chosen/<name> { compatible = "xen,domain"; ...;
    module { reg; bootargs } }), each module placed by QEMU's loader.

    Every file is sized when the scenario runs (not when it is loaded, so that
    --list works before a build): reg = <address, exact file size>.  An
    `initrd` becomes a second module, compatible "multiboot,ramdisk"."""
    edits, qemu = [], []
    addr = DOM0LESS_LOAD_BASE
    total_mib = 0

    def place(node: str, path: str, compatible: str) -> str:
        nonlocal addr
        full = Path(path) if os.path.isabs(path) else root / path
        try:
            size = full.stat().st_size
        except OSError as err:
            raise ScenarioError(f"dom0less {node}: cannot read {path}: {err.strerror}") from None
        if size == 0:
            raise ScenarioError(f"dom0less {node}: {path} is empty")
        mod = f"{node}/module@{addr:x}"
        edits.extend([f"-c {mod}", f"-t s {mod} compatible {compatible} multiboot,module",
                      f"-t x {mod} reg {addr:x} {size:x}"])
        qemu.extend(["-device", f"loader,file={path},addr={addr:#x},force-raw=on"])
        addr = (addr + size + DOM0LESS_ALIGN - 1) & ~(DOM0LESS_ALIGN - 1)
        return mod

    for d in domains:
        node = f"/chosen/{d['name']}"
        memory_mib = d.get("memory_mib", 32)
        total_mib += memory_mib
        edits += [f"-c {node}", f"-t s {node} compatible xen,domain",
                  f"-t i {node} #address-cells 1", f"-t i {node} #size-cells 1",
                  f"-t i {node} cpus {d.get('cpus', 1)}",
                  f"-t x {node} memory 0 {memory_mib * 1024:x}",
                  f"-t s {node} vpl011 ''"]
        if d.get("hardware_domain"):
            edits.append(f"-t s {node} granite,hardware-domain ''")
        if d.get("ram_above_4g"):
            edits.append(f"-t s {node} granite,ram-above-4g ''")
        if d.get("direct_map"):
            edits.append(f"-t s {node} direct-map ''")
        if d.get("passthrough"):
            # a string list: the host device-tree paths of the devices it owns
            edits.append(f"-t s {node} granite,passthrough " +
                         " ".join(shlex.quote(x) for x in d["passthrough"]))
        mod = place(node, d["image"], "multiboot,kernel")
        edits.append(f"-t s {mod} bootargs {shlex.quote(d.get('args', ''))}")
        if "initrd" in d:
            place(node, d["initrd"], "multiboot,ramdisk")
    return Dom0lessLayout(edits, qemu, addr, total_mib)


def check_bool(v):
    return None if isinstance(v, bool) else "true or false"


def check_network(v):
    return None if v in ("", "tap") else 'either "" or "tap"'


def check_nic(v):
    return None if v == "" or scenario_net.NIC_SLOT.match(v) else (
        '"" (an e1000) or "MODEL@N": the board\'s own NIC model, Nth in QEMU\'s order, '
        'e.g. "cadence_gem@3"')


# field name -> (default, checker)
FIELDS = {
    "description": ("", check_string),
    "boot": ("kernel", check_boot),
    "machine": ("virt,virtualization=on,gic-version=3", check_nonempty_string),
    "cpu": ("max", check_nonempty_string),
    "smp": (2, check_positive_int),
    "memory": ("512M", check_memory),
    "qemu_args": ([], check_string_list),
    "hv_args": ("", check_string),
    "uboot_commands": ([], check_string_list),
    "expect": (REQUIRED, check_expect),
    "expect_unordered": ([], check_regex_list),
    "max_host_cpu_percent": (None, check_positive_number),
    "forbid": ([], check_regex_list),
    "exit_status": (0, check_exit_status),
    "stop_on": (None, check_regex),
    "timeout": (10, check_positive_number),
    "first_line": (None, check_regex),
    "max_first_line_s": (None, check_positive_number),
    "requires_qemu": (None, check_version),
    "requires": ([], check_string_list),
    "dtb_edits": ([], check_string_list),
    "dtb": (None, check_nonempty_string),
    "type_on": ([], check_type_on),
    "network": ("", check_network),
    "nic": ("", check_nic),
    "skip": (None, check_nonempty_string),
    "dom0less": ([], check_dom0less),
    "host_steps": ([], check_type_on),
    "exit_counters": (True, check_bool),
    "needs_gicv3": (None, check_nonempty_string),
}

# The GICv2 axis of the matrix: every scenario on a GICv3 virt machine (with
# or without the SMMUv3) runs again on the same machine with a GICv2 host, as
# virt-gicv2-<name>, unless it says needs_gicv3 (skipped with that reason).
GICV3_VIRT = re.compile(r"^virt,(?:.*,)?gic-version=3(?:,|$)")
GICV2_PREFIX = "virt-gicv2-"


@dataclass
class Scenario:
    name: str
    path: Path
    description: str
    boot: str
    machine: str
    cpu: str
    smp: int
    memory: str
    qemu_args: list
    hv_args: str
    uboot_commands: list
    expect: list
    expect_unordered: list
    max_host_cpu_percent: float | None
    forbid: list
    exit_status: object  # int or "stopped"
    stop_on: str | None
    timeout: float
    first_line: str | None
    max_first_line_s: float | None
    requires_qemu: str | None
    requires: list
    dtb_edits: list
    dtb: str | None
    type_on: list
    network: str
    nic: str
    skip: str | None
    host_steps: list
    exit_counters: bool
    dom0less: list
    needs_gicv3: str | None
    gicv2_of: str | None = None   # the GICv2 twin of this scenario (GICV2_PREFIX)

    def full_hv_args(self) -> str:
        return f"{HV_ARGS_PREFIX} {self.hv_args}".strip()

    def layout(self) -> Dom0lessLayout | None:
        """The dom0less modules, sized from their files now (at run time)."""
        return dom0less_expansion(self.dom0less) if self.dom0less else None

    def all_dtb_edits(self, layout: Dom0lessLayout | None) -> list:
        return (layout.edits if layout else []) + list(self.dtb_edits)

    def all_qemu_args(self, layout: Dom0lessLayout | None) -> list:
        return list(self.qemu_args) + (layout.qemu if layout else [])

    def qemu_memory(self, layout: Dom0lessLayout | None) -> str:
        """-m: the scenario's memory, raised when it would not hold the
        modules QEMU's loader places plus the domains' RAM and some room for
        granite (a loader write outside RAM is silently lost)."""
        if not layout:
            return self.memory
        need = (layout.modules_end - VIRT_RAM_BASE + layout.domains_mib * MIB
                + DOM0LESS_RAM_SLACK)
        if memory_bytes(self.memory) >= need:
            return self.memory
        return f"{(need + 64 * MIB - 1) // (64 * MIB) * 64}M"


QEMU_BOOL_ON = ("on", "yes", "true", "y")


def machine_secure_on(machine: str) -> bool:
    """Whether a -machine value (\"TYPE,opt=val,...\") turns EL3 on: secure=on."""
    opts = dict(o.split("=", 1) for o in machine.split(",")[1:] if "=" in o)
    return opts.get("secure", "off").lower() in QEMU_BOOL_ON


def check_cross_field_rules(values: dict, where: str) -> None:
    """Rules that involve more than one field."""
    if values["exit_status"] == "stopped" and values["stop_on"] is None:
        raise ScenarioError(f"{where}: field 'exit_status': \"stopped\" needs 'stop_on'")
    if values["stop_on"] is not None and values["exit_status"] != "stopped":
        raise ScenarioError(f"{where}: field 'stop_on': needs exit_status = \"stopped\"")
    if values["max_first_line_s"] is not None and values["first_line"] is None:
        raise ScenarioError(f"{where}: field 'max_first_line_s': needs 'first_line'")
    if values["uboot_commands"] and values["boot"] != "uboot":
        raise ScenarioError(f"{where}: field 'uboot_commands': only valid with boot = \"uboot\"")
    if (values["hv_args"] and values["boot"] == "uboot"
            and not any("{hv_args}" in c for c in values["uboot_commands"])):
        raise ScenarioError(f"{where}: field 'hv_args': unused, no uboot_commands line "
                            "contains {hv_args}")
    with_dtb = values["boot"] == "kernel" or values["dtb"] is not None
    if values["dtb_edits"] and not with_dtb:
        raise ScenarioError(f"{where}: field 'dtb_edits': only valid with boot = \"kernel\" "
                            "or a 'dtb'")
    if values["dom0less"] and not with_dtb:
        raise ScenarioError(f"{where}: field 'dom0less': only valid with boot = \"kernel\" "
                            "or a 'dtb'")
    if values["dtb"] is not None and values["boot"] == "uboot":
        raise ScenarioError(f"{where}: field 'dtb': U-Boot brings its own device tree")
    if values["host_steps"] and values["network"] != "tap":
        raise ScenarioError(f"{where}: field 'host_steps': needs network = \"tap\"")
    if values["nic"] and values["network"] != "tap":
        raise ScenarioError(f"{where}: field 'nic': needs network = \"tap\"")
    if values["boot"] == "el3-firmware" and values["dtb"] is None:
        raise ScenarioError(f"{where}: field 'boot': \"el3-firmware\" needs a 'dtb'")
    if values["boot"] == "el3-firmware" and not machine_secure_on(values["machine"]):
        # Without EL3, QEMU starts the firmware at EL2, where its first
        # `msr vbar_el3` is UNDEFINED: it hangs before printing anything.
        raise ScenarioError(f"{where}: field 'boot': \"el3-firmware\" needs secure=on in "
                            "'machine' (the firmware runs at EL3)")
    if values["hv_args"] and values["boot"] == "loader" and values["dtb"] is None:
        raise ScenarioError(f"{where}: field 'hv_args': boot = \"loader\" without a 'dtb' "
                            "passes no arguments (no DTB, no command line)")


VARIANT_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def validated_values(data: dict, where: str) -> dict:
    """Every field checked and defaulted, then the cross-field rules."""
    for key in data:
        if key not in FIELDS:
            raise ScenarioError(f"{where}: unknown field '{key}' (known fields: {', '.join(FIELDS)})")
    values = {}
    for key, (default, checker) in FIELDS.items():
        if key not in data:
            if default is REQUIRED:
                raise ScenarioError(f"{where}: field '{key}' is required")
            values[key] = list(default) if isinstance(default, list) else default
            continue
        value = data[key]
        problem = checker(value)
        if problem:
            if problem.startswith("invalid regex"):
                raise ScenarioError(f"{where}: field '{key}': {problem}")
            raise ScenarioError(f"{where}: field '{key}': must be {problem} (got {value!r})")
        values[key] = value
    check_cross_field_rules(values, where)
    values["timeout"] = float(values["timeout"])
    return values


def load_scenarios_from(path: Path) -> list[Scenario]:
    """Parse and strictly validate one scenario file.

    A file may hold one scenario, or a family: `[[variants]]` tables, each with
    a `name` and the fields it changes; variant V of file F is the scenario
    F@V (the file's own fields are what every variant starts from)."""
    where = display_path(path)
    name = path.stem
    if not SCENARIO_NAME.match(name):
        raise ScenarioError(f"{where}: bad scenario name {name!r} (use letters, digits, . _ -)")
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{where}: invalid TOML: {err}") from None
    except OSError as err:
        raise ScenarioError(f"{where}: cannot read: {err.strerror}") from None

    variants = data.pop("variants", None)
    if variants is None:
        return [Scenario(name=name, path=path, **validated_values(data, where))]
    if not isinstance(variants, list) or not variants or not all(isinstance(v, dict) for v in variants):
        raise ScenarioError(f"{where}: field 'variants': must be a non-empty array of tables")
    out, seen = [], set()
    for i, v in enumerate(variants):
        v = dict(v)
        vname = v.pop("name", None)
        if not isinstance(vname, str) or not VARIANT_NAME.match(vname) or vname in seen:
            raise ScenarioError(f"{where}: variants[{i}]: needs a unique 'name' (letters, digits, . _ -)")
        seen.add(vname)
        merged = {**data, **v}
        out.append(Scenario(name=f"{name}@{vname}", path=path,
                            **validated_values(merged, f"{where} variant {vname}")))
    return out


def gicv2_machine(machine: str) -> str:
    """The same virt machine with a GICv2 (its SMMUv3 and the rest kept)."""
    return machine.replace("gic-version=3", "gic-version=2")


def gicv2_twins(scenarios: list[Scenario]) -> list[Scenario]:
    """The GICv2 axis: each scenario on a GICv3 virt machine, on a GICv2 host."""
    return [replace(sc, name=GICV2_PREFIX + sc.name, machine=gicv2_machine(sc.machine),
                    gicv2_of=sc.name)
            for sc in scenarios if GICV3_VIRT.match(sc.machine)]


def load_all_scenarios(directory: Path) -> tuple[list[Scenario], list[str]]:
    """Load every *.toml in the directory, plus their GICv2 twins; return
    scenarios and error messages."""
    scenarios, errors = [], []
    for path in sorted(directory.glob("*.toml")):
        try:
            scenarios.extend(load_scenarios_from(path))
        except ScenarioError as err:
            errors.append(str(err))
    return scenarios + gicv2_twins(scenarios), errors


def select_scenarios(scenarios: list[Scenario], names: list[str],
                     pattern: str | None) -> list[Scenario]:
    by_name = {s.name: s for s in scenarios}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise UsageError(f"unknown scenario(s): {', '.join(unknown)} (see --list)")
    chosen = [by_name[n] for n in names] if names else list(scenarios)
    if pattern:
        rx = re.compile(pattern)
        chosen = [s for s in chosen if rx.search(s.name)]
    return chosen


# --------------------------------------------------------------------------
# Environment: QEMU version, capabilities, paths
# --------------------------------------------------------------------------

@dataclass
class Config:
    qemu: str
    image: str
    uboot: str
    scenario_dir: Path
    out_dir: Path
    jobs: int
    live: bool
    qemu_version: tuple | None = None


def probe_qemu_version(qemu: str) -> tuple | None:
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True, text=True,
                             timeout=10, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(x) for x in m.groups() if x is not None) if m else None


def parse_version(text: str) -> tuple:
    return tuple(int(x) for x in text.split("."))


def version_at_least(have: tuple, need: tuple) -> bool:
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))


def version_text(version: tuple | None) -> str:
    return ".".join(map(str, version)) if version else "unknown"


def needs_qemu(minimum: str):
    """Capability probe: QEMU is at least `minimum`."""
    def probe(cfg: Config) -> str | None:
        if cfg.qemu_version is None:
            return f"QEMU version unknown, need >= {minimum}"
        if not version_at_least(cfg.qemu_version, parse_version(minimum)):
            return f"QEMU {version_text(cfg.qemu_version)} < {minimum}"
        return None
    return probe


def uboot_present(cfg: Config) -> str | None:
    return None if os.path.isfile(cfg.uboot) else f"{cfg.uboot} missing (apt install u-boot-qemu)"


_stage1_only_verdict: dict = {}


def smmuv3_stage1_only(cfg: Config) -> str | None:
    """Whether `-global arm-smmuv3.stage=1` gives the virt machine an SMMU
    without stage 2.  Asked of QEMU itself, once: granite boots and prints the
    SMMU's IDR0 (QEMU 10.0's virt sets the stage itself and ignores it)."""
    if cfg.qemu not in _stage1_only_verdict:
        argv = [cfg.qemu, "-M", "virt,virtualization=on,gic-version=3,iommu=smmuv3", "-cpu", "max",
                "-m", "256M", "-nographic", "-monitor", "none", "-serial", "stdio", "-nic", "none",
                "-global", "arm-smmuv3.stage=1", "-semihosting-config", "enable=on,target=native",
                "-kernel", cfg.image, "-append", "poweroff=semihosting domU1=none"]
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.TimeoutExpired) as err:
            out = f"probe failed: {err}"
        if "stage 1 yes, stage 2 no" in out:
            _stage1_only_verdict[cfg.qemu] = None
        else:
            _stage1_only_verdict[cfg.qemu] = ("this QEMU's virt machine ignores "
                                              "arm-smmuv3.stage=1: its SMMU always has stage 2")
    return _stage1_only_verdict[cfg.qemu]


# Capability name -> probe(cfg) returning None when available, else why not.
CAPABILITIES = {
    "smmuv3-stage2": needs_qemu("9.2"),   # arm-smmuv3 with stage=nested
    "smmuv3-stage1-only": smmuv3_stage1_only,
    "netns": lambda cfg: scenario_net.netns_capability(),
    "uboot": uboot_present,
}


def skip_reason(sc: Scenario, cfg: Config) -> str | None:
    """Why this scenario cannot run here, or None if it can."""
    if sc.skip:
        return sc.skip
    if sc.gicv2_of and sc.needs_gicv3:
        return f"needs a GICv3 host: {sc.needs_gicv3}"
    if sc.requires_qemu:
        missing = needs_qemu(sc.requires_qemu)(cfg)
        if missing:
            return f"needs QEMU >= {sc.requires_qemu} ({missing})"
    needed = list(sc.requires)
    if sc.network and "netns" not in needed:
        needed.append("netns")
    if sc.boot == "uboot" and "uboot" not in needed:
        needed.append("uboot")
    for cap in needed:
        probe = CAPABILITIES.get(cap)
        if probe is None:
            return f"needs {cap}"
        missing = probe(cfg)
        if missing:
            return f"needs {cap} ({missing})"
    return None


def display_path(path) -> str:
    """A path relative to the repository root when it lies inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def resolve_from_cwd(path: str, cwd: Path) -> str:
    """Make a user-given path independent of the chdir to the repo root."""
    return display_path(cwd / path) if not os.path.isabs(path) else path


# --------------------------------------------------------------------------
# The QEMU command line
# --------------------------------------------------------------------------

def boot_arguments(sc: Scenario, cfg: Config) -> list[str]:
    """How the hypervisor image gets into the guest for each boot mode."""
    if sc.boot == "kernel":
        return ["-kernel", cfg.image, "-append", sc.full_hv_args()]
    if sc.boot == "uboot":
        return ["-bios", cfg.uboot,
                "-device", f"loader,file={cfg.image},addr={IMAGE_LOAD_ADDR},force-raw=on"]
    if sc.boot == "el3-firmware":
        # CPU 0 starts at EL3 in the firmware, which reads the DTB's address
        # and granite's entry from its slots and drops to EL2 there.
        return ["-device", f"loader,file={cfg.image},addr={IMAGE_LOAD_ADDR},force-raw=on",
                "-device", f"loader,file={EL3_FIRMWARE},addr={EL3_FIRMWARE_ADDR:#x},force-raw=on",
                "-device", f"loader,addr={EL3_FIRMWARE_SLOTS:#x},data={BOARD_DTB_ADDR:#x},data-len=8",
                "-device", f"loader,addr={EL3_FIRMWARE_SLOTS + 8:#x},data={IMAGE_LOAD_ADDR},data-len=8",
                "-device", f"loader,addr={EL3_FIRMWARE_ADDR:#x},cpu-num=0"]
    if sc.dtb is not None:
        # "loader" with a dtb: CPU 0 starts in the entry stub, which hands
        # granite the DTB (placed by edited_dtb) in x0.
        words = [f"{ENTRY_STUB[i + 1]:08x}{ENTRY_STUB[i]:08x}" for i in range(0, 4, 2)]
        stub = [f"loader,addr={ENTRY_STUB_ADDR + 8 * i:#x},data=0x{w},data-len=8"
                for i, w in enumerate(words)]
        stub += [f"loader,addr={ENTRY_STUB_ADDR + 16:#x},data={BOARD_DTB_ADDR:#x},data-len=8",
                 f"loader,addr={ENTRY_STUB_ADDR + 24:#x},data={IMAGE_LOAD_ADDR},data-len=8",
                 f"loader,addr={ENTRY_STUB_ADDR:#x},cpu-num=0"]
        return ["-device", f"loader,file={cfg.image},addr={IMAGE_LOAD_ADDR},force-raw=on",
                *[arg for d in stub for arg in ("-device", d)]]
    # "loader": QEMU sets CPU 0's PC to the image; x0 = 0 and there is no DTB.
    return ["-device", f"loader,file={cfg.image},addr={IMAGE_LOAD_ADDR},force-raw=on,cpu-num=0"]


def machine_args(sc: Scenario, layout: Dom0lessLayout | None) -> list[str]:
    return ["-cpu", sc.cpu, "-smp", str(sc.smp), "-m", sc.qemu_memory(layout)]


def edited_dtb(sc: Scenario, cfg: Config, layout: Dom0lessLayout | None) -> list[str]:
    """For dtb_edits (and dom0less): QEMU's own DTB for this machine (dumpdtb),
    or the scenario's `dtb` file, changed by each edit — the arguments of one
    `fdtput` call (device-tree-compiler).  With boot = "kernel" it is given
    to QEMU with -dtb (QEMU still fills /chosen and /memory); with boot =
    "loader" QEMU's loader places it untouched at BOARD_DTB_ADDR, with
    /chosen/bootargs set to the hypervisor arguments first."""
    edits = sc.all_dtb_edits(layout)
    if sc.boot in LOADER_BOOTS and sc.dtb is not None:
        edits = [f"-t s /chosen bootargs {shlex.quote(sc.full_hv_args())}"] + edits
    if not edits and sc.dtb is None:
        return []
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    dtb = cfg.out_dir / f"{sc.name}.dtb"
    if sc.dtb is not None:
        try:
            shutil.copyfile(REPO_ROOT / sc.dtb, dtb)
        except OSError as err:
            raise ScenarioError(f"{sc.name}: dtb {sc.dtb}: {err.strerror} "
                                "(run make: tools/linux-assets extracts it)") from None
    else:
        subprocess.run([cfg.qemu, "-M", f"{sc.machine},dumpdtb={dtb}", *machine_args(sc, layout),
                        "-nographic", "-nic", "none", *sc.all_qemu_args(layout)],
                       check=True, capture_output=True)
    for edit in edits:
        subprocess.run(["fdtput", str(dtb), *shlex.split(edit)], check=True, capture_output=True)
    if sc.boot in LOADER_BOOTS:
        return ["-device", f"loader,file={dtb},addr={BOARD_DTB_ADDR:#x},force-raw=on"]
    return ["-dtb", str(dtb)]


def qemu_command(sc: Scenario, cfg: Config) -> list[str]:
    layout = sc.layout()
    return [
        cfg.qemu,
        "-M", sc.machine,
        *machine_args(sc, layout),
        "-nographic",
        "-monitor", "none",
        "-serial", "stdio",
        "-nic", "none",                      # never user-mode networking
        "-semihosting-config", "enable=on,target=native",
        *boot_arguments(sc, cfg),
        *edited_dtb(sc, cfg, layout),
        *sc.all_qemu_args(layout),
    ]


# --------------------------------------------------------------------------
# Watching the console while QEMU runs
# --------------------------------------------------------------------------

class UBootTyper:
    """Stops U-Boot's autoboot, then types one command per "=> " prompt."""

    def __init__(self, commands: list[str], hv_args: str):
        self.pending = [c.replace("{hv_args}", hv_args) for c in commands]
        self.pos = 0                    # absolute console offset searched so far
        self.at_prompt_stage = False

    def keystrokes_due(self, window: str, base: int) -> list[str]:
        start = max(0, self.pos - base)
        out = []
        if not self.at_prompt_stage:
            autoboot = UBOOT_AUTOBOOT.search(window, start)
            prompt = UBOOT_PROMPT.search(window, start)
            if autoboot and (not prompt or autoboot.start() < prompt.start()):
                out.append("\n")
                self.pos = base + autoboot.end()
                self.at_prompt_stage = True
            elif prompt:                # no countdown (bootdelay off): prompt directly
                self.at_prompt_stage = True
        while self.at_prompt_stage and self.pending:
            prompt = UBOOT_PROMPT.search(window, max(0, self.pos - base))
            if not prompt:
                break
            out.append(self.pending.pop(0) + "\n")
            self.pos = base + prompt.end()
        return out


FORBID_GRACE_S = 3.0


class ConsoleWatch:
    """Collects console text and spots first_line, stop_on and U-Boot prompts.

    Incoming text is searched in a window that starts at the beginning of the
    last incomplete line, so the watched patterns must match within a line.
    """

    def __init__(self, sc: Scenario):
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.held_cr = False
        self.chunks: list[str] = []
        self.window = ""
        self.base = 0                   # absolute offset of window[0]
        self.first_line_rx = re.compile(sc.first_line, re.M) if sc.first_line else None
        self.stop_on_rx = re.compile(sc.stop_on, re.M) if sc.stop_on else None
        self.first_line_s: float | None = None
        self.stop_on_seen = False
        # A forbidden line fails the scenario whatever follows: the run is
        # stopped FORBID_GRACE_S later (the lines after it, a panic's trace,
        # still reach the log) instead of waiting for the timeout.
        self.forbid_rx = [re.compile(p, re.M) for p in sc.forbid]
        self.forbid_seen_s: float | None = None
        self.typer = UBootTyper(sc.uboot_commands, sc.full_hv_args()) if sc.boot == "uboot" else None
        # type_on: each text is typed once its pattern has appeared (anywhere
        # after the previous one's match), in order
        self.type_on = [(re.compile(p, re.M), t) for p, t in sc.type_on]
        self.type_pos = 0

    def normalise(self, data: bytes) -> str:
        text = self.decoder.decode(data)
        if self.held_cr:
            text = "\r" + text
        self.held_cr = text.endswith("\r")
        if self.held_cr:
            text = text[:-1]
        return text.replace("\r\n", "\n")

    def feed(self, data: bytes, elapsed: float) -> tuple[str, list[str]]:
        """Add console bytes; return (new text, keystrokes to send to QEMU)."""
        text = self.normalise(data)
        self.chunks.append(text)
        self.window += text
        if self.first_line_rx and self.first_line_s is None and self.first_line_rx.search(self.window):
            self.first_line_s = elapsed
        keys = self.typer.keystrokes_due(self.window, self.base) if self.typer else []
        if self.type_on:
            full = "".join(self.chunks)
            while self.type_on and (m := self.type_on[0][0].search(full, self.type_pos)):
                self.type_pos = m.end()
                keys.append(self.type_on.pop(0)[1])
        cut = self.window.rfind("\n") + 1
        # stop_on is matched on whole lines only: a match inside a line still
        # arriving would stop QEMU before the rest of it reaches the log, and
        # an expectation on that line would then fail (seen: "ended: sw").
        if self.stop_on_rx and not self.stop_on_seen and self.stop_on_rx.search(self.window, 0, cut):
            self.stop_on_seen = True
        if self.forbid_seen_s is None and any(rx.search(self.window, 0, cut) for rx in self.forbid_rx):
            self.forbid_seen_s = elapsed
        self.window = self.window[cut:]
        self.base += cut
        return text, keys

    def text(self) -> str:
        return "".join(self.chunks) + ("\r" if self.held_cr else "")


@dataclass
class RunOutcome:
    console: str
    stderr: str
    exit: object          # int return code, or "stopped"
    stopped_because: str | None   # "stop_on", "timeout", "interrupt", "forbid" or None
    wall_s: float
    first_line_s: float | None
    untyped: list         # U-Boot commands whose prompt never came
    cpu_percent: float | None = None  # QEMU's CPU time / wall time, from /proc/<pid>/stat
    exits_per_packet: str | None = None  # network scenarios: scenario_net.py's closing line


class StartedQemu:
    """One QEMU process this runner started; stopped only via its own PID."""

    def __init__(self, argv: list[str], with_stdin: bool):
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE if with_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
        self.term_sent_at: float | None = None
        self.killed = False

    def request_stop(self) -> None:
        if self.term_sent_at is None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)      # by PID
            self.term_sent_at = time.monotonic()

    def escalate_if_stuck(self) -> None:
        if (self.term_sent_at is not None and not self.killed and self.proc.poll() is None
                and time.monotonic() - self.term_sent_at >= STOP_GRACE_S):
            self.proc.kill()                           # SIGKILL, by PID
            self.killed = True

    def type(self, keys: str) -> None:
        try:
            os.write(self.proc.stdin.fileno(), keys.encode())
        except OSError:
            pass                                       # QEMU already gone

    def stop_and_reap(self) -> int:
        self.request_stop()
        try:
            return self.proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (fields 14 and 15 of /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


def pump_output(qemu: StartedQemu, sc: Scenario, watch: ConsoleWatch, log, live: bool,
                interrupted: threading.Event, steps=None) -> tuple[str | None, bytes]:
    """Read QEMU's output until it exits; stop it on stop_on, timeout or interrupt.
    Samples QEMU's CPU time while it runs (qemu.cpu_sample: (cpu_s, wall_s))."""
    start = time.monotonic()
    deadline = start + sc.timeout
    streams = {qemu.proc.stdout.fileno(): "console", qemu.proc.stderr.fileno(): "stderr"}
    stderr = bytearray()
    stopped_because = None
    exited_at = None
    # At a timeout, granite is asked for its counter dump (Ctrl-A e: event
    # channels, vGIC, IOMMU, per-vCPU counters) before QEMU stops, so the log
    # of a stall shows where it stands; waited for up to TIMEOUT_DUMP_S.
    can_dump = sc.exit_counters and qemu.proc.stdin is not None
    timeout_dump_until = None
    after_timeout = ""      # console text since the dump was asked for

    def console_in(data: bytes) -> None:
        """Console bytes (QEMU's, or the host steps' lines): judged, logged,
        shown, typed at, and checked for stop_on."""
        nonlocal stopped_because, after_timeout
        text, keys = watch.feed(data, time.monotonic() - start)
        if timeout_dump_until is not None:
            after_timeout += text
        if steps:
            steps.feed_console(text)
        log.write(text)
        log.flush()
        if live:
            sys.stdout.write(text)
            sys.stdout.flush()
        for k in keys:
            qemu.type(k)
        if watch.stop_on_seen and stopped_because is None:
            stopped_because = "stop_on"
            closing_dump_then_stop()

    closing = None          # the thread taking granite's closing counter dump

    def closing_dump_then_stop() -> None:
        """At stop_on, a network scenario whose closing dump is not taken yet
        takes it first (exits per packet; scenario_net.py), then QEMU stops."""
        nonlocal closing
        # take_last returns at once when the dump is taken, and waits when the
        # steps' thread is taking it right now.
        if steps and steps.type_keys and steps.last is None and qemu.proc.poll() is None:
            closing = threading.Thread(target=steps.take_last, args=("stop_on",), daemon=True)
            closing.start()
        else:
            qemu.request_stop()

    while streams:
        now = time.monotonic()
        if closing is not None and not closing.is_alive():
            closing = None
            qemu.request_stop()
        if timeout_dump_until is not None and (now >= timeout_dump_until or
                                               scenario_net.DUMP_DONE in after_timeout):
            timeout_dump_until = None
            qemu.request_stop()
        if stopped_because is None:
            if now >= deadline and can_dump and qemu.proc.poll() is None:
                stopped_because = "timeout"
                log.write("# timeout: asking granite for its counter dump (Ctrl-A e) before "
                          "stopping QEMU\n")
                timeout_dump_until = now + TIMEOUT_DUMP_S
                qemu.type(scenario_net.DUMP_KEYS)
            elif now >= deadline:
                stopped_because = "timeout"
            elif interrupted.is_set():
                stopped_because = "interrupt"
            elif watch.forbid_seen_s is not None and now - start - watch.forbid_seen_s >= FORBID_GRACE_S:
                stopped_because = "forbid"
            if stopped_because and timeout_dump_until is None:
                qemu.request_stop()
        qemu.escalate_if_stuck()
        if qemu.proc.poll() is None:
            used = cpu_seconds(qemu.proc.pid)
            if used is not None:
                qemu.cpu_sample = (used, now - start)
        if qemu.proc.poll() is not None:
            exited_at = exited_at or now
            if now - exited_at > 1.0:        # exited, but something holds the pipes
                break
        ready, _, _ = select.select(list(streams), [], [], 0.1)
        # Host-side steps report as console lines, judged like the guests' own.
        host_lines = steps.pending() if steps else b""
        if host_lines:
            console_in(host_lines)
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                del streams[fd]
            elif streams[fd] == "stderr":
                stderr += data
                if live:
                    sys.stderr.buffer.write(data)
                    sys.stderr.flush()
            else:
                console_in(data)
    return stopped_because, bytes(stderr)


def full_qemu_argv(sc: Scenario, cfg: Config) -> list[str]:
    """The whole command that starts this scenario's QEMU: inside its network
    namespace, with the e1000 on the tap, when the scenario has a network."""
    argv = qemu_command(sc, cfg)
    if sc.network:
        pcap = cfg.out_dir / f"{sc.name}.pcap"
        argv = scenario_net.wrap_qemu(argv + scenario_net.qemu_nic_args(str(pcap), sc.nic))
    return argv


def debug_description(sc: Scenario, cfg: Config) -> dict:
    """What tools/debug needs to start this scenario under gdb (--print-qemu):
    the exact QEMU command, where granite's image goes, and which image file
    each dom0less domain boots (its ELF, when it has one, holds the symbols)."""
    return {"name": sc.name, "argv": full_qemu_argv(sc, cfg), "hv_image": cfg.image,
            "hv_load_addr": IMAGE_LOAD_ADDR,
            "domains": [{"name": d["name"], "image": d["image"]} for d in sc.dom0less]}


def run_qemu(sc: Scenario, cfg: Config, interrupted: threading.Event) -> RunOutcome:
    argv = full_qemu_argv(sc, cfg)
    steps = None
    if sc.network:
        steps = scenario_net.HostSteps(sc.host_steps, str(REPO_ROOT),
                                       str(cfg.out_dir / f"{sc.name}.pcap"))
    log_path = cfg.out_dir / f"{sc.name}.log"
    watch = ConsoleWatch(sc)
    with open(log_path, "w", encoding="utf-8", errors="replace") as log:
        log.write("# " + shlex.join(argv) + "\n")
        if cfg.live:
            print("# " + shlex.join(argv), flush=True)
        start = time.monotonic()
        counters = bool(steps) and sc.exit_counters
        qemu = StartedQemu(argv, with_stdin=sc.boot == "uboot" or bool(sc.type_on) or counters)
        if steps:
            steps.attach(qemu.proc.pid, qemu.type if counters else None)
        try:
            stopped_because, stderr = pump_output(qemu, sc, watch, log, cfg.live, interrupted,
                                                  steps)
        finally:
            returncode = qemu.stop_and_reap()
            qemu.close_pipes()
            if steps:
                steps.stop()
                log.write(f"# {scenario_net.describe(str(cfg.out_dir / f'{sc.name}.pcap'))}\n")
        wall = time.monotonic() - start
        exit_value = "stopped" if stopped_because else returncode
        stderr_text = stderr.decode("utf-8", errors="replace")
        console = watch.text()
        write_log_footer(log, console, stderr_text, exit_value, returncode, wall)
        sample = getattr(qemu, "cpu_sample", None)
        cpu_pct = 100.0 * sample[0] / sample[1] if sample and sample[1] > 0 else None
        if cpu_pct is not None:
            log.write(f"# qemu cpu: {sample[0]:.2f}s of CPU in {sample[1]:.2f}s "
                      f"({cpu_pct:.1f}% of one core)\n")
        # The log's last line (issue 13): information, never part of the verdict.
        exits_line = (steps.exits_per_packet_line(str(cfg.out_dir / f"{sc.name}.pcap"))
                      if counters else None)
        if exits_line:
            log.write(exits_line + "\n")
    untyped = watch.typer.pending if watch.typer else []
    return RunOutcome(console, stderr_text, exit_value, stopped_because, wall, watch.first_line_s,
                      untyped, cpu_pct, exits_line)


def write_log_footer(log, console: str, stderr_text: str, exit_value, returncode: int,
                     wall: float) -> None:
    if console and not console.endswith("\n"):
        log.write("\n")
    for line in stderr_text.splitlines():
        log.write(f"# qemu stderr: {line}\n")
    shown = exit_value if exit_value != "stopped" else f"stopped by the runner (rc {returncode})"
    log.write(f"# exit: {shown}; wall: {wall:.2f}s\n")


# --------------------------------------------------------------------------
# Judging
# --------------------------------------------------------------------------

def line_number(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def line_at(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start:end if end >= 0 else len(text)]


CAPTURE_REF = re.compile(r"<<([A-Za-z_][A-Za-z0-9_]*)>>")


def with_captures(pattern: str, captured: dict) -> str:
    """`<<name>>` in an expect pattern stands for the text an earlier expect
    pattern matched with the named group (?P<name>...), taken literally: one
    line's number can be required to reappear in a later one."""
    def sub(m):
        if m.group(1) not in captured:
            raise ScenarioError(f"<<{m.group(1)}>> used before any expect captured it")
        return re.escape(captured[m.group(1)])
    return CAPTURE_REF.sub(sub, pattern)


def first_unmet_expectation(sc: Scenario, console: str) -> str | None:
    pos = 0
    captured: dict = {}
    for i, pattern in enumerate(sc.expect):
        try:
            concrete = with_captures(pattern, captured)
        except ScenarioError as err:
            return f"expect[{i}] /{pattern}/: {err}"
        m = re.compile(concrete, re.M).search(console, pos)
        if not m:
            after = f" after line {line_number(console, pos)}" if pos else ""
            shown = pattern if concrete == pattern else f"{pattern}/ as /{concrete}"
            return f"expect[{i}] /{shown}/ not found{after}"
        captured.update({k: v for k, v in m.groupdict().items() if v is not None})
        pos = m.end()
    for i, pattern in enumerate(sc.expect_unordered):
        if not re.compile(pattern, re.M).search(console):
            return f"expect_unordered[{i}] /{pattern}/ not found anywhere"
    return None


def forbidden_matches(sc: Scenario, console: str) -> list[str]:
    found = []
    for pattern in sc.forbid:
        m = re.compile(pattern, re.M).search(console)
        if m:
            n = line_number(console, m.start())
            found.append(f"forbid /{pattern}/ matched line {n}: {line_at(console, m.start()).strip()}")
    return found


def describe_exit(value) -> str:
    if value == "stopped":
        return "stopped"
    if isinstance(value, int) and value < 0:
        return f"killed by signal {-value}"
    return f"exit status {value}"


def judge(sc: Scenario, run: RunOutcome) -> list[str]:
    """All reasons the scenario failed; empty when it passed."""
    reasons = []
    if run.stopped_because == "timeout":
        pending = first_unmet_expectation(sc, run.console)
        reasons.append(f"timeout after {sc.timeout:g}s" + (f" ({pending})" if pending else ""))
    elif run.stopped_because == "interrupt":
        reasons.append("interrupted")
    elif run.stopped_because == "forbid":
        reasons.append(f"stopped {FORBID_GRACE_S:g}s after a forbidden line")
    else:
        if unmet := first_unmet_expectation(sc, run.console):
            reasons.append(unmet)
    if run.untyped:
        reasons.append(f"U-Boot prompt never came for {len(run.untyped)} command(s), "
                       f"first: {run.untyped[0]!r}")
    reasons += forbidden_matches(sc, run.console)
    if run.stopped_because not in ("timeout", "interrupt", "forbid") and run.exit != sc.exit_status:
        wanted = "stopped (stop_on)" if sc.exit_status == "stopped" else str(sc.exit_status)
        reasons.append(f"{describe_exit(run.exit)}, expected {wanted}")
    if sc.max_host_cpu_percent is not None:
        if run.cpu_percent is None:
            reasons.append("QEMU's CPU use could not be measured")
        elif run.cpu_percent > sc.max_host_cpu_percent:
            reasons.append(f"QEMU used {run.cpu_percent:.1f}% of a core, over "
                           f"{sc.max_host_cpu_percent:g}%")
    if sc.first_line and run.first_line_s is None:
        reasons.append(f"first_line /{sc.first_line}/ never appeared")
    elif sc.max_first_line_s is not None and run.first_line_s > sc.max_first_line_s:
        reasons.append(f"first line took {run.first_line_s:.2f}s > {sc.max_first_line_s:g}s")
    return reasons


# --------------------------------------------------------------------------
# Running one scenario, and many in parallel
# --------------------------------------------------------------------------

@dataclass
class Result:
    scenario: Scenario
    status: str                   # PASS, FAIL, SKIP
    reasons: list = field(default_factory=list)
    wall_s: float | None = None
    first_line_s: float | None = None
    console: str = ""
    stderr: str = ""
    log_path: Path | None = None
    exits_per_packet: str | None = None   # information only (network scenarios)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""


def run_one(sc: Scenario, cfg: Config, interrupted: threading.Event) -> Result:
    if interrupted.is_set():
        return Result(sc, "FAIL", ["interrupted (not started)"])
    log_path = cfg.out_dir / f"{sc.name}.log"
    try:
        run = run_qemu(sc, cfg, interrupted)
    except OSError as err:
        return Result(sc, "FAIL", [f"cannot start QEMU: {err}"], log_path=log_path)
    except ScenarioError as err:
        return Result(sc, "FAIL", [str(err)], log_path=log_path)
    except Exception as err:        # a runner bug must not take the other scenarios down
        return Result(sc, "FAIL", [f"runner error: {type(err).__name__}: {err}"],
                      log_path=log_path)
    reasons = judge(sc, run)
    return Result(sc, "FAIL" if reasons else "PASS", reasons, run.wall_s, run.first_line_s,
                  run.console, run.stderr, log_path, run.exits_per_packet)


def expected_seconds(to_run: list[Scenario], out_dir: Path) -> dict[str, float]:
    """How long each scenario is expected to take: its time in the previous
    run's junit.xml when there is one, else its timeout (an upper bound)."""
    known: dict[str, float] = {}
    try:
        for case in ET.parse(out_dir / "junit.xml").getroot().iter("testcase"):
            known[case.get("name", "")] = float(case.get("time") or 0)
    except (OSError, ET.ParseError, ValueError):
        pass
    return {sc.name: known.get(sc.name, sc.timeout) for sc in to_run}


def run_all(to_run: list[Scenario], cfg: Config) -> list[Result]:
    """Run scenarios in a thread pool (one QEMU per worker); Ctrl-C stops them all.
    The longest are started first, so that with N workers the run does not end
    on one long scenario while the others idle; results keep the given order."""
    interrupted = threading.Event()
    results = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=cfg.jobs)
    expected = expected_seconds(to_run, cfg.out_dir)
    longest_first = sorted(to_run, key=lambda sc: -expected[sc.name])
    try:
        futures = {pool.submit(run_one, sc, cfg, interrupted): sc for sc in longest_first}
        for fut in concurrent.futures.as_completed(futures):
            results[futures[fut].name] = fut.result()
    except KeyboardInterrupt:
        interrupted.set()
        print("\ninterrupted: stopping the QEMU processes this runner started", file=sys.stderr)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [results[sc.name] for sc in to_run]


# --------------------------------------------------------------------------
# Reporting: terminal, TAP, JUnit
# --------------------------------------------------------------------------

def fmt_seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def shorten(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def print_failure_details(result: Result) -> None:
    print(f"--- FAIL {result.name}: {result.reason}")
    for extra in result.reasons[1:]:
        print(f"    also: {extra}")
    lines = result.console.splitlines()
    error_line = next(((i, l) for i, l in enumerate(lines, 1) if ERROR_LINE.search(l)), None)
    if error_line:
        print(f"    first error-like line ({error_line[0]}): {error_line[1].strip()}")
    stderr_lines = [l for l in result.stderr.splitlines() if "terminating on signal" not in l]
    if stderr_lines:
        print("    qemu stderr:")
        for line in stderr_lines[-5:]:
            print(f"      {line}")
    print(f"    last {min(TAIL_LINES, len(lines))} console lines:")
    for line in lines[-TAIL_LINES:]:
        print(f"      | {line}")
    if result.log_path:
        print(f"    log: {display_path(result.log_path)}")
    print()


def print_table(results: list[Result]) -> None:
    width = max([len("scenario")] + [len(r.name) for r in results])
    print(f"{'scenario':<{width}}  result  {'wall':>7}  {'first':>7}  reason")
    for r in results:
        print(f"{r.name:<{width}}  {r.status:<6}  {fmt_seconds(r.wall_s):>7}  "
              f"{fmt_seconds(r.first_line_s):>7}  {shorten(r.reason)}".rstrip())


def summary_line(results: list[Result]) -> str:
    counts = {s: sum(r.status == s for r in results) for s in ("PASS", "FAIL", "SKIP")}
    line = f"{counts['PASS']} passed, {counts['FAIL']} failed"
    return line + (f", {counts['SKIP']} skipped" if counts["SKIP"] else "")


def print_report(results: list[Result], label: str = "") -> None:
    failures = [r for r in results if r.status == "FAIL"]
    if failures:
        print()
    for r in failures:
        print_failure_details(r)
    print_table(results)
    measured = [r for r in results if r.exits_per_packet]
    if measured:
        print()
        for r in measured:
            print(f"{r.name}: {r.exits_per_packet}")
    skipped = [r for r in results if r.status == "SKIP"]
    if skipped:
        print()
        for r in skipped:
            print(f"skipped {r.name}: {r.reason}")
    print((f"{label}: " if label else "") + summary_line(results))


def write_tap(results: list[Result], path: Path) -> None:
    lines = ["TAP version 13", f"1..{len(results)}"]
    for i, r in enumerate(results, 1):
        if r.status == "SKIP":
            lines.append(f"ok {i} - {r.name} # SKIP {r.reason}")
        elif r.status == "PASS":
            lines.append(f"ok {i} - {r.name}")
        else:
            lines.append(f"not ok {i} - {r.name}")
            lines.append("  ---")
            lines.append(f"  message: {json.dumps(r.reason)}")
            lines.append(f"  reasons: {json.dumps(r.reasons)}")
            if r.log_path:
                lines.append(f"  log: {json.dumps(display_path(r.log_path))}")
            lines.append("  ...")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Escape characters XML 1.0 cannot carry (e.g. ESC from terminal codes)."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def read_log(result: Result) -> str:
    try:
        return result.log_path.read_text(encoding="utf-8", errors="replace") if result.log_path else ""
    except OSError:
        return ""


def failure_text(result: Result) -> str:
    lines = list(result.reasons)
    lines.append(f"last {TAIL_LINES} console lines:")
    lines += result.console.splitlines()[-TAIL_LINES:]
    return "\n".join(lines)


def write_junit(results: list[Result], path: Path) -> None:
    suite = ET.Element("testsuite", {
        "name": "granite-scenarios",
        "tests": str(len(results)),
        "failures": str(sum(r.status == "FAIL" for r in results)),
        "errors": "0",
        "skipped": str(sum(r.status == "SKIP" for r in results)),
        "time": f"{sum(r.wall_s or 0 for r in results):.3f}",
    })
    for r in results:
        case = ET.SubElement(suite, "testcase", {
            "classname": "granite.scenarios", "name": r.name, "time": f"{r.wall_s or 0:.3f}"})
        if r.status == "FAIL":
            failure = ET.SubElement(case, "failure", {"message": xml_safe(r.reason)})
            failure.text = xml_safe(failure_text(r))
        elif r.status == "SKIP":
            ET.SubElement(case, "skipped", {"message": xml_safe(r.reason)})
        if r.status != "SKIP":
            ET.SubElement(case, "system-out").text = xml_safe(read_log(r))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def usage_error(message: str) -> str:
    return f"scenarios: error: {message}"


def default_jobs() -> int:
    """One more QEMU than there are CPUs: many scenarios spend much of their
    time waiting (on the host side of a network step, on a guest timer), so
    with one QEMU per CPU make test left about 40% of the CPUs idle.  Verdicts
    do not depend on it: they are judged in guest time and counts."""
    return (os.cpu_count() or 1) + 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tools/scenarios.py",
        description="Boot granite in QEMU for each scenario in tests/scenarios and judge the console.")
    p.add_argument("names", nargs="*", help="scenario names (file stems); default: all")
    p.add_argument("-j", "--jobs", type=int, default=default_jobs(),
                   help="scenarios run in parallel (default: number of CPUs + 1)")
    p.add_argument("-k", dest="filter", metavar="REGEX",
                   help="only scenarios whose name matches this regex")
    p.add_argument("--list", action="store_true", help="list scenarios with their descriptions")
    p.add_argument("--print-qemu", action="store_true",
                   help="print one scenario's QEMU command and modules as JSON, run nothing "
                        "(tools/debug)")
    p.add_argument("--label", default="",
                   help="one word put before the summary line (used by tools/run-all-tests)")
    p.add_argument("--live", action="store_true",
                   help="echo the console as it arrives (for one scenario, e.g. make run)")
    p.add_argument("--image", default=os.environ.get("GRANITE_IMAGE", DEFAULT_IMAGE),
                   help=f"hypervisor image (env GRANITE_IMAGE; default {DEFAULT_IMAGE})")
    p.add_argument("--qemu", default=os.environ.get("GRANITE_QEMU", DEFAULT_QEMU),
                   help=f"QEMU binary (env GRANITE_QEMU; default {DEFAULT_QEMU})")
    p.add_argument("--uboot", default=os.environ.get("GRANITE_UBOOT", DEFAULT_UBOOT),
                   help=f"U-Boot binary (env GRANITE_UBOOT; default {DEFAULT_UBOOT})")
    p.add_argument("--scenario-dir", default=DEFAULT_SCENARIO_DIR,
                   help=f"where the *.toml scenarios are (default {DEFAULT_SCENARIO_DIR})")
    p.add_argument("--out-dir", default=DEFAULT_OUT_DIR,
                   help=f"logs, results.tap, junit.xml (default {DEFAULT_OUT_DIR})")
    p.add_argument("--hv-args-extra", default="", metavar="ARGS",
                   help="hypervisor arguments appended to each selected scenario's hv_args "
                        "(e.g. dump=maps for make picture)")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("-j must be at least 1")
    if args.filter:
        try:
            re.compile(args.filter)
        except re.error as err:
            p.error(f"-k: invalid regex: {err}")
    return args


def make_config(args: argparse.Namespace, cwd: Path) -> Config:
    qemu = resolve_from_cwd(args.qemu, cwd) if os.sep in args.qemu else args.qemu
    return Config(
        qemu=qemu,
        image=resolve_from_cwd(args.image, cwd),
        uboot=resolve_from_cwd(args.uboot, cwd),
        scenario_dir=Path(resolve_from_cwd(args.scenario_dir, cwd)),
        out_dir=Path(resolve_from_cwd(args.out_dir, cwd)),
        jobs=1 if args.live else args.jobs,
        live=args.live,
    )


def list_scenarios(scenarios: list[Scenario]) -> None:
    width = max([0] + [len(s.name) for s in scenarios])
    for s in scenarios:
        print(f"{s.name:<{width}}  {s.description}".rstrip())


def check_prerequisites(cfg: Config) -> None:
    if shutil.which(cfg.qemu) is None:
        raise UsageError(f"QEMU not found: {cfg.qemu} (run tools/setup, or pass --qemu)")
    if not os.path.isfile(cfg.image):
        raise UsageError(f"hypervisor image {cfg.image} not found: build it first (make), "
                         "or pass --image / GRANITE_IMAGE")


def raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    try:
        return run_main(argv)
    except UsageError as err:
        print(usage_error(str(err)), file=sys.stderr)
        return 2


def load_selection(cfg: Config, args: argparse.Namespace) -> list[Scenario]:
    """Load and validate all scenario files, then apply names and -k."""
    if not cfg.scenario_dir.is_dir():
        raise UsageError(f"scenario directory {cfg.scenario_dir} not found")
    scenarios, errors = load_all_scenarios(cfg.scenario_dir)
    if errors:
        raise UsageError("malformed scenario file(s):\n  " + "\n  ".join(errors))
    if not scenarios:
        raise UsageError(f"no *.toml scenarios in {display_path(cfg.scenario_dir)}")
    return select_scenarios(scenarios, args.names, args.filter)


def run_selected(selected: list[Scenario], cfg: Config) -> list[Result]:
    """Decide skips, run the rest; results come back in the selection's order."""
    cfg.qemu_version = probe_qemu_version(cfg.qemu) if shutil.which(cfg.qemu) else None
    skips = {sc.name: skip_reason(sc, cfg) for sc in selected}
    to_run = [sc for sc in selected if skips[sc.name] is None]
    if to_run:
        check_prerequisites(cfg)
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    if not cfg.live:
        print(f"running {len(to_run)} scenario(s), {min(cfg.jobs, max(1, len(to_run)))} at a time; "
              f"QEMU {version_text(cfg.qemu_version)}; logs in {display_path(cfg.out_dir)}/",
              flush=True)
    ran = {r.name: r for r in run_all(to_run, cfg)}
    return [ran.get(sc.name) or Result(sc, "SKIP", [skips[sc.name]]) for sc in selected]


def run_main(argv: list[str]) -> int:
    args = parse_args(argv)
    cwd = Path.cwd()
    os.chdir(REPO_ROOT)
    cfg = make_config(args, cwd)
    selected = load_selection(cfg, args)
    if args.list:
        list_scenarios(selected)
        return 0
    if not selected:
        raise UsageError("no scenario selected")
    for sc in selected:
        if args.hv_args_extra and sc.boot != "loader":   # loader boots take no arguments
            sc.hv_args = f"{sc.hv_args} {args.hv_args_extra}".strip()
    if args.print_qemu:
        if len(selected) != 1:
            raise UsageError("--print-qemu needs exactly one scenario")
        cfg.out_dir.mkdir(parents=True, exist_ok=True)
        print(json.dumps(debug_description(selected[0], cfg), indent=1))
        return 0

    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    try:
        results = run_selected(selected, cfg)
    except KeyboardInterrupt:
        print(usage_error("interrupted"), file=sys.stderr)
        return 130
    write_tap(results, cfg.out_dir / "results.tap")
    write_junit(results, cfg.out_dir / "junit.xml")
    print_report(results, args.label)
    return 1 if any(r.status == "FAIL" for r in results) else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(1)
