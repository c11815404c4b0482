"""debug_gdb.py — gdb-side helpers for tools/debug: guests' symbols and the console.

Loaded by the init file tools/debug writes (`source tools/debug_gdb.py`),
inside gdb-multiarch's embedded Python; it is not a program of its own.

What it knows, and assumes:
  * granite.elf and the toy guests' ELFs are position-independent and linked
    at 0 (linker/granite.ld, guests/lib/guest.ld), so each symbol file is
    added with an offset: where the image was placed.
  * granite maps VA == PA at EL2 (arch/arm64/mmu.c), so its offset is its
    load address.  A toy guest maps VA == IPA at EL1 (guests/lib/start.c) and
    runs where the domain builder copied it: its IPA, which is its PA too for
    a direct-mapped dom0.  granite prints that address on its console
    ("build: dN: kernel 0xSTART-0xEND ..."), and the domain's name and where
    it came from ("build: dN (NAME, from NODE): ..."), so the guests'
    symbols are added from the console once the domains are built.
  * The console is the file QEMU's serial port writes (tools/debug passes its
    path with the images in the GRANITE_DEBUG dictionary below).  QEMU writes
    it as the guest prints, so it is complete whenever gdb has the CPUs stopped.

Commands it adds:
  granite-guests        add the symbols of every toy guest built so far
  granite-console [N]   the console's last N lines (default 20)
Pretty-printers: pa_t, ipa_t, va_t and iova_t print as one hex address, and
a struct smmu_event (include/granite/smmuv3_hw.h) starts with its event's
name, read from granite's own table (smmu_event_name's `names`), as the log
line says it.
A breakpoint on domains_started() (core/domain.c; called after the last
domain is built, before any guest runs) runs granite-guests by itself and does
not stop.
"""
import os
import re
import struct

import gdb

GUEST_KERNEL = re.compile(r"^build: d(\d+): kernel (0x[0-9a-f]+)-", re.M)
GUEST_ORIGIN = re.compile(r"^build: d(\d+) \(([^,]+), from ([^)]+)\):", re.M)
HV_IMAGE = re.compile(r"^granite: hypervisor at EL2, image at (0x[0-9a-f]+) \((\d+) KiB in memory\)",
                      re.M)
BUILTIN_NODE = "built-in"
BUILTIN_ELF = "build/guests/selftest.elf"   # the only built-in guest (core/builtin_guests.S)
AUTO_LOAD_AT = "domains_started"

# Filled in by the init file: {"console": path, "domains": {name: image path}}
GRANITE_DEBUG = globals().get("GRANITE_DEBUG", {"console": "", "domains": {}})
_loaded = {}   # domain id -> (elf, address) whose symbols gdb has


def read_console() -> str:
    try:
        with open(GRANITE_DEBUG["console"], encoding="utf-8", errors="replace") as f:
            return f.read().replace("\r\n", "\n")
    except OSError as err:
        raise gdb.GdbError(f"granite: cannot read the console {GRANITE_DEBUG['console']!r}: "
                           f"{err.strerror}") from None


def elf_of(name: str, node: str) -> str | None:
    """The ELF with the symbols of the image a domain booted, if it has one.
    A Linux kernel (build/linux/Image) has none: Debian ships no vmlinux."""
    if node == BUILTIN_NODE:
        image = BUILTIN_ELF
    else:
        image = GRANITE_DEBUG["domains"].get(name, "")
    elf = re.sub(r"\.bin$", ".elf", image)
    return elf if elf.endswith(".elf") and os.path.isfile(elf) else None


SHF_ALLOC = 0x2
SHT_NOBITS = 8


def alloc_sections(elf: str) -> list[tuple[str, int, int]]:
    """(name, link address, size) of the sections of an ELF64 little-endian
    file that take memory (SHF_ALLOC), from its section headers (ELF spec)."""
    with open(elf, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = headers[shstrndx][4]

    def name(offset):
        end = data.index(b"\0", strtab_off + offset)
        return data[strtab_off + offset:end].decode()

    return [(name(h[0]), h[3], h[5]) for h in headers if h[2] & SHF_ALLOC and h[5]]


def granite_range(console: str) -> tuple[int, int]:
    """[start, end) of granite's image in memory, as its first line says."""
    m = HV_IMAGE.search(console)
    return (int(m.group(1), 16), int(m.group(1), 16) + int(m.group(2)) * 1024) if m else (0, 0)


def placement(elf: str, addr: int, hv: tuple[int, int]) -> tuple[list, list]:
    """Where each section of a guest goes (link address + addr), and which
    sections stay at their link address because that VA is granite's image
    too: a domU's IPA 0x40000000 on QEMU virt lies right below granite's
    0x40200000, and gdb can give one address one symbol only, so granite's
    code keeps its names (a guest's .bss there is read with an explicit
    address: the link address + the guest's load address)."""
    placed, kept = [], []
    for name, link, size in alloc_sections(elf):
        start = link + addr
        (kept if start < hv[1] and start + size > hv[0] else placed).append((name, start))
    return placed, kept


def built_guests(console: str) -> list[tuple[int, str, str, int]]:
    """(domain id, name, node, kernel address) of each domain built so far.
    A domain id may be reused after a domain is destroyed: the latest wins."""
    address = {int(m.group(1)): int(m.group(2), 16) for m in GUEST_KERNEL.finditer(console)}
    origin = {int(m.group(1)): (m.group(2), m.group(3)) for m in GUEST_ORIGIN.finditer(console)}
    return [(i, *origin[i], address[i]) for i in sorted(origin) if i in address]


def load_guest_symbols(quiet: bool = False) -> None:
    console = read_console()
    hv = granite_range(console)
    for dom, name, node, addr in built_guests(console):
        elf = elf_of(name, node)
        if elf is None:
            if not quiet:
                gdb.write(f"granite: d{dom} ({name}): no symbol file for its image\n")
            continue
        if _loaded.get(dom) == (elf, addr):
            continue
        if dom in _loaded:
            gdb.execute(f"remove-symbol-file -a {_loaded[dom][1]:#x}", to_string=True)
        placed, kept = placement(elf, addr, hv)
        text = dict(placed).get(".text", addr)
        others = " ".join(f"-s {sec} {start:#x}" for sec, start in placed if sec != ".text")
        gdb.execute(f"add-symbol-file {elf} {text:#x} {others}", to_string=True)
        _loaded[dom] = (elf, text)
        gdb.write(f"granite: d{dom} ({name}): symbols of {elf} at {addr:#x} (VA == IPA)"
                  + (f"; {', '.join(s for s, _ in kept)} left at the link address: granite's "
                     "image is at that VA" if kept else "") + "\n")


class GuestsCommand(gdb.Command):
    """Add the symbols of every toy guest built so far (read from granite's console)."""

    def __init__(self):
        super().__init__("granite-guests", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        load_guest_symbols()


class ConsoleCommand(gdb.Command):
    """granite-console [N]: the last N lines (default 20) of the console."""

    def __init__(self):
        super().__init__("granite-console", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        count = int(arg) if arg.strip() else 20
        for line in read_console().splitlines()[-count:]:
            gdb.write(line + "\n")


class AutoLoadGuests(gdb.Breakpoint):
    """Stops nowhere: when the domains are built, adds their symbols and goes on."""

    def __init__(self):
        super().__init__(AUTO_LOAD_AT, internal=True)
        self.silent = True

    def stop(self):
        load_guest_symbols(quiet=True)
        return False


ADDRESS_TYPES = ("pa_t", "ipa_t", "va_t", "iova_t")
_event_names = {}


def event_name(number: int) -> str:
    """The name granite gives an event number, from its table in target memory."""
    if not _event_names:
        table = gdb.parse_and_eval("smmu_event_name::names")
        low, high = table.type.range()
        for i in range(low, high + 1):
            _event_names[int(table[i]["value"])] = table[i]["name"].string()
    return _event_names.get(number, "?")


class AddressPrinter:
    def __init__(self, value):
        self.value = value

    def to_string(self):
        return f"{int(self.value['v']):#x}"


class SmmuEventPrinter:
    """One decoded event record, named first, then every field."""

    def __init__(self, value):
        self.value = value

    def to_string(self):
        return f"{event_name(int(self.value['type']))}"

    def children(self):
        for f in self.value.type.strip_typedefs().fields():
            yield f.name, self.value[f.name]


def granite_printer(value):
    t = value.type.strip_typedefs()
    if t.code != gdb.TYPE_CODE_STRUCT:
        return None
    if str(value.type.unqualified()) in ADDRESS_TYPES:
        return AddressPrinter(value)
    if t.tag == "smmu_event":
        return SmmuEventPrinter(value)
    return None


GuestsCommand()
ConsoleCommand()
AutoLoadGuests()
gdb.pretty_printers.append(granite_printer)
