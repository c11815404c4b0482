"""scenario_net.py — the network side of a scenario: a private namespace with a
tap device for QEMU's e1000, and steps run on the host side of that tap.

A scenario with `network = "tap"` gets its own network namespace, created for
it and gone when QEMU exits: nothing in it can reach any other network, and
no other process sees its tap.  As root, `unshare --net`; as an ordinary user,
`unshare --user --map-root-user --net` (a user namespace gives the
capabilities a tap needs inside it).  QEMU is started inside it; a shell sets
the tap up first and then execs QEMU, so the PID the runner holds is QEMU's:

    tap0: 10.0.2.1/24 (the host side, HOST_IP)    domU: GUEST_IP, from its
                                                    command line
QEMU's end: -netdev tap (no scripts) + -device e1000 + filter-dump, which
writes every frame in both directions to <out-dir>/<name>.pcap (by default
build/scenarios/) for tshark or Wireshark.  With `nic = "MODEL@N"` the tap
goes instead to the board's own NIC: a machine such as xlnx-zcu102 creates
its NICs itself (gem0..gem3) and gives them QEMU's NIC definitions in
command-line order, so NICs 0..N-1 of MODEL each get a hub port alone on its
own hub (a backend that carries nothing anywhere: never user-mode
networking) and NIC N gets the tap.

`host_steps` are [regex, shell command] pairs: once the regex has appeared on
the console, the command runs inside the namespace (nsenter into QEMU's),
one step at a time in order, with HOST_IP, GUEST_IP, REPO (the repository)
and PCAP (this run's pcap of the wire, wherever --out-dir put it) in its
environment.  Its output comes back as console lines
"host: ..." (so `expect` can judge it), then "host: step N exit status S";
after the last one, "host: all steps done".  A step whose command is "@dump"
types Ctrl-A e (granite prints its counters, ending "stats: dump done") and
reports the totals and the tap's packet counters as one line "host: dump:
EL2 entries N, vcpu exits X, irqs while idle Y, TLBI T, CMD_SYNC S, tap rx R
tx T" (tools/bench diffs them around its traffic steps).

Exits per packet (issue 13): the steps are bracketed by such a dump before the
first step and after the last, and the runner ends the log with
"exits per packet: X (N EL2 entries over M packets, ...)": the difference of
granite's counters over the steps divided by the frames the tap carried both
ways.  A scenario with no steps (or stopped before its last one) is measured
over the whole run instead, from a dump typed when stop_on matches, and says
so; one that ends by itself before any closing dump uses the totals granite
prints when its last domain has ended, over the frames in the pcap of the wire.
Information only: it never decides a verdict.  Commands use the real Linux
stack (`ping`, tools/net_peer.py's UDP sockets): never QEMU's user-mode
networking, never an address outside the namespace.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import struct
import subprocess
import threading
import time

HOST_IP = "10.0.2.1"
GUEST_IP = "10.0.2.15"
PREFIX = 24
TAP = "tap0"
NIC_MAC = "52:54:00:12:34:56"
HOLD_MID_LINE_S = 1.0
DUMP_KEYS = "\x01e"             # Ctrl-A e: granite's counters (core/console_input.c)
DUMP_DONE = "stats: dump done"
DUMP_WAIT_S = 3.0               # a dump takes well under this; no granite: no dump
DUMP_STEP = "@dump"
TOTALS_RX = re.compile(r"stats: total: EL2 entries (\d+) \(vcpu exits (\d+), irqs while idle "
                       r"(\d+); idle waits (\d+)\); iommu maps (\d+), unmaps (\d+), TLBI (\d+), "
                       r"CMD_SYNC (\d+)")
TOTAL_KEYS = ("el2", "exits", "idle_irqs", "idle_waits", "maps", "unmaps", "tlbi", "syncs")
# Where the time goes (arch/arm64/exit_timing.c), printed just before the totals.
TIMING_RX = re.compile(r"stats: timing: EL2 residency (\d+) ns over (\d+) vcpu exits .*?; "
                       r"kick latency (\d+) ns over (\d+) kicks")
TIMING_KEYS = ("el2_ns", "exits_timed", "kick_ns", "kicks")


def netns_capability() -> str | None:
    """None when this machine can give a scenario a private network with a tap."""
    for tool in ("unshare", "nsenter", "ip"):
        if not shutil.which(tool):
            return f"{tool} not found (util-linux / iproute2)"
    if not os.path.exists("/dev/net/tun"):
        return "/dev/net/tun missing"
    if os.geteuid() != 0 and not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        return "/dev/net/tun is not usable by this user"
    return None


def _unshare_prefix() -> list[str]:
    if os.geteuid() == 0:
        return ["unshare", "--net", "--"]
    return ["unshare", "--user", "--map-root-user", "--net", "--"]


def wrap_qemu(argv: list[str]) -> list[str]:
    """Run argv inside a fresh network namespace whose tap is ready."""
    setup = "; ".join([
        "set -e",
        "ip link set lo up",
        f"ip tuntap add dev {TAP} mode tap",
        f"ip addr add {HOST_IP}/{PREFIX} dev {TAP}",
        f"ip link set {TAP} up",
        'exec "$@"',
    ])
    return _unshare_prefix() + ["sh", "-c", setup, "granite-netns"] + argv


# A scenario's `nic`: a machine's own NIC model and which of them gets the tap.
NIC_SLOT = re.compile(r"^([a-z][a-z0-9_]*)@([0-9])$")
UNUSED_HUB_BASE = 100           # hub ids of the dummy backends (any unused id)


def qemu_nic_args(pcap_path: str, nic: str = "") -> list[str]:
    tap = ["-netdev", f"tap,id=net0,ifname={TAP},script=no,downscript=no"]
    dump = ["-object", f"filter-dump,id=dump0,netdev=net0,file={pcap_path}"]
    m = NIC_SLOT.match(nic)
    if not m:
        # romfile= (none): the e1000's PXE option ROM is for firmware, which
        # these boots do not run, and QEMU refuses to start when
        # efi-e1000.rom is not installed (Debian ships it in ipxe-qemu).
        return tap + ["-device", f"e1000,netdev=net0,mac={NIC_MAC},romfile="] + dump
    model, slot = m.group(1), int(m.group(2))
    # `-net nic` definitions, all of them (QEMU hands out `-nic` ones first):
    # the machine's NICs take them in this order.
    args = []
    for i in range(slot):
        args += ["-netdev", f"hubport,id=unused{i},hubid={UNUSED_HUB_BASE + i}",
                 "-net", f"nic,netdev=unused{i},model={model}"]
    return args + tap + ["-net", f"nic,netdev=net0,model={model},macaddr={NIC_MAC}"] + dump


def _nsenter_prefix(pid: int) -> list[str]:
    if os.geteuid() == 0:
        return ["nsenter", f"--target={pid}", "--net", "--"]
    return ["nsenter", f"--target={pid}", "--user", "--net", "--preserve-credentials", "--"]


class HostSteps:
    """Runs the steps in a thread; their output is handed back as bytes to be
    shown as console lines (the runner polls `pending()`)."""

    def __init__(self, steps: list, repo_root: str, pcap_path: str = ""):
        self.steps = [(re.compile(p, re.M), cmd) for p, cmd in steps]
        self.repo_root = repo_root
        self.pcap_path = pcap_path
        self.out: queue.Queue[bytes] = queue.Queue()
        self.console = ""
        self.console_at = 0.0           # time.monotonic() of the last console text
        self.pos = 0
        self.next = 0
        self.busy = False
        self.pid: int | None = None
        self.procs: list[subprocess.Popen] = []
        self.type_keys = None           # callable(str): types on granite's console
        self.dump_lock = threading.Lock()
        self.last_lock = threading.Lock()
        self.first: dict | None = None  # counters before the first step
        self.last: dict | None = None   # counters after the last step (or at stop_on)
        self.last_label = ""

    def attach(self, pid: int, type_keys=None) -> None:
        self.pid = pid
        self.type_keys = type_keys

    # --- counters: Ctrl-A e dump + the tap's packet counters ---------------

    def tap_packets(self) -> tuple[int, int] | None:
        """(rx, tx) frames of the host side of the tap, from /proc/net/dev in
        QEMU's namespace (per-namespace, unlike /sys under a user namespace)."""
        if self.pid is None:
            return None
        try:
            text = subprocess.run(_nsenter_prefix(self.pid) + ["cat", "/proc/net/dev"],
                                  capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        for line in text.splitlines():
            name, _, rest = line.partition(":")
            if name.strip() == TAP:
                f = rest.split()
                return int(f[1]), int(f[9])
        return None

    def snapshot(self) -> dict | None:
        """Type Ctrl-A e, wait for the dump's end, return its totals and the
        tap's counters (None when granite did not answer: e.g. no granite)."""
        if not self.type_keys:
            return None
        with self.dump_lock:
            start = len(self.console)
            self.type_keys(DUMP_KEYS)
            deadline = time.monotonic() + DUMP_WAIT_S
            while time.monotonic() < deadline:
                tail = self.console[start:]
                m = TOTALS_RX.search(tail)
                if m and DUMP_DONE in tail[m.end():]:
                    snap = dict(zip(TOTAL_KEYS, (int(x) for x in m.groups())))
                    t = TIMING_RX.search(tail)
                    if t:
                        snap.update(zip(TIMING_KEYS, (int(x) for x in t.groups())))
                    tap = self.tap_packets()
                    if tap:
                        snap["rx"], snap["tx"] = tap
                    return snap
                time.sleep(0.02)
        return None

    def take_last(self, label: str) -> None:
        """The closing dump, once (after the last step, or at stop_on)."""
        with self.last_lock:
            if self.last is None and self.last_label == "":
                self.last_label = label
                self.last = self.snapshot()

    def final_totals(self, pcap_path: str | None) -> dict | None:
        """Whole-run figures when no closing dump was typed (the run ended by
        itself): the totals granite prints once its last domain has ended
        (core/vcpu_stats.c), over the frames in the pcap of the wire (both
        ways, as the tap's counters)."""
        found = list(TOTALS_RX.finditer(self.console))
        frames = pcap_frames(pcap_path) if pcap_path else None
        if not found or frames is None:
            return None
        snap = dict(zip(TOTAL_KEYS, (int(x) for x in found[-1].groups())))
        snap["rx"], snap["tx"], snap["pcap"] = frames, 0, True
        return snap

    def exits_per_packet_line(self, pcap_path: str | None = None) -> str:
        """The scenario's closing line (information, never a verdict)."""
        b, e = self.first, self.last
        if e is None:
            e = self.final_totals(pcap_path)
            if e is not None:
                b = None    # the final totals count from power-on
        if e is None and not self.steps:
            return ("exits per packet: no figure (no host steps, and the run ended by itself "
                    "before a closing counter dump could be typed)")
        if e is None:
            return ("exits per packet: no figure (granite's closing counter dump did not come: "
                    "the run ended first, or no granite)")
        if b is None:
            b = {k: 0 for k in TOTAL_KEYS}
            b["rx"] = b["tx"] = 0
            what = ("whole run, boot included: granite's final totals / the frames in the pcap"
                    if self.last is None else
                    "whole run, boot included: the final dump's totals / the tap's counters")
        elif self.last_label == "stop_on":
            what = "from a dump before the first step to one at stop_on"
        else:
            what = "over the host steps: dumps before the first step and after the last"
        if "rx" not in e and "rx" in b and pcap_path:
            frames = pcap_frames(pcap_path)  # QEMU gone before the tap was read
            if frames is not None:
                e = dict(e, rx=frames, tx=0, pcap=True)
        if "rx" not in e or "rx" not in b:
            return f"exits per packet: no figure (tap counters unreadable; {what})"
        d = {k: e[k] - b[k] for k in e if k in b}
        pkts = d["rx"] + d["tx"]
        if pkts <= 0:
            return (f"exits per packet: no figure (0 packets on the tap; {d['el2']} EL2 entries; "
                    f"{what})")
        return (f"exits per packet: {d['el2'] / pkts:.2f} ({d['el2']} EL2 entries over {pkts} "
                f"packets, {what}; vcpu exits {d['exits']} + irqs while idle {d['idle_irqs']}; "
                f"IOTLB invalidations {d['tlbi']} = {d['tlbi'] / pkts:.2f} per packet, CMD_SYNC "
                f"{d['syncs']}; " + (f"{pkts} frames in the pcap since the first dump)"
                                     if "pcap" in e and self.first is not None else
                                     f"{pkts} frames in the pcap)" if "pcap" in e else
                                     f"tap rx {d['rx']} tx {d['tx']})"))

    def _dump_step(self) -> int:
        snap = self.snapshot()
        if not snap:
            self.out.put(b"host: dump: no answer from granite\n")
            return 1
        self.out.put(("host: dump: " + ", ".join(f"{k} {snap[k]}" for k in
                      TOTAL_KEYS + TIMING_KEYS + ("rx", "tx") if k in snap) + "\n").encode())
        return 0

    def feed_console(self, text: str) -> None:
        """Called with every piece of console text; starts the next step when due."""
        if text:
            self.console += text
            self.console_at = time.monotonic()
        if self.busy or self.next >= len(self.steps) or self.pid is None:
            return
        rx, cmd = self.steps[self.next]
        m = rx.search(self.console, self.pos)
        if not m:
            return
        self.pos = m.end()
        self.busy = True
        threading.Thread(target=self._run, args=(self.next, cmd), daemon=True).start()

    def _run(self, index: int, cmd: str) -> None:
        if index == 0:
            self.first = self.snapshot()
        self.out.put(f"host: step {index + 1}: {cmd}\n".encode())
        if cmd.strip() == DUMP_STEP:
            self._finish(index, self._dump_step())
            return
        env = dict(os.environ, HOST_IP=HOST_IP, GUEST_IP=GUEST_IP, REPO=self.repo_root,
                   PCAP=self.pcap_path)
        argv = _nsenter_prefix(self.pid) + ["sh", "-c", cmd]
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    cwd=self.repo_root, env=env)
            self.procs.append(proc)
            for line in proc.stdout:
                self.out.put(b"host: " + line.rstrip(b"\n") + b"\n")
            status = proc.wait()
        except OSError as err:
            self.out.put(f"host: step {index + 1} could not start: {err}\n".encode())
            status = 127
        self._finish(index, status)

    def _finish(self, index: int, status: int) -> None:
        self.out.put(f"host: step {index + 1} exit status {status}\n".encode())
        self.next = index + 1
        if self.next == len(self.steps):
            self.take_last("host steps")
            self.out.put(b"host: all steps done\n")
        self.busy = False
        # A step that finished may make the next one due on text already seen.
        self.feed_console("")

    def pending(self) -> bytes:
        """The steps' output, as whole lines — but only at a console line
        boundary: a guest line that is still arriving (the UART is slow) is not
        cut in two by host lines, which would break `expect` patterns on it.
        Held back at most HOLD_MID_LINE_S after the console's last text, so a
        guest that never ends its line cannot hold the steps' output forever."""
        if (self.console and not self.console.endswith("\n")
                and time.monotonic() - self.console_at < HOLD_MID_LINE_S):
            return b""
        chunks = []
        while True:
            try:
                chunks.append(self.out.get_nowait())
            except queue.Empty:
                return b"".join(chunks)

    def stop(self) -> None:
        """Stop the steps' own processes (by PID) if QEMU ended first."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def pcap_frames(pcap_path: str) -> int | None:
    """Frames in a pcap file (classic format: a 24-byte header, then per frame
    a 16-byte record header whose third word is the captured length)."""
    try:
        with open(pcap_path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if len(data) < 24:
        return None
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    n, off = 0, 24
    while off + 16 <= len(data):
        (incl,) = struct.unpack_from(order + "I", data, off + 8)
        off += 16 + incl
        n += 1
    return n


def describe(pcap_path: str) -> str:
    return f"pcap of the wire: {pcap_path} (tshark -r {shlex.quote(pcap_path)})"
