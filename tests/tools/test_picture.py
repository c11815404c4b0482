#!/usr/bin/env python3
"""Tests of tools/picture on a captured dump=maps snapshot of seed 000's
regression (tests/tools/data/map-dump-seed-000-regression.log): the parser
finds the right runs, grants and fault; the compressed axis stays short and
monotone on a sparse 48-bit space; malformed logs give clear errors; the SVG
drawn from the fixture is well-formed XML carrying the expected labels.
Parsing runs under any python3; drawing runs tools/picture itself, under
/usr/bin/python3 with Debian's python3-matplotlib (skipped, saying so, when
that is missing).  Prints TAP."""
import importlib.machinery
import importlib.util
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PICTURE = ROOT / "tools" / "picture"
FIXTURE = ROOT / "tests" / "tools" / "data" / "map-dump-seed-000-regression.log"
DEBIAN_PYTHON = "/usr/bin/python3"


def load_picture():
    loader = importlib.machinery.SourceFileLoader("picture", str(PICTURE))
    spec = importlib.util.spec_from_loader("picture", loader)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["picture"] = mod      # its dataclasses look their module up there
    loader.exec_module(mod)
    return mod


def raises(pic, text, needle):
    try:
        pic.parse_log(text)
    except pic.DumpError as err:
        return needle in str(err)
    return False


def has_matplotlib():
    try:
        return subprocess.run([DEBIAN_PYTHON, "-c", "import matplotlib"],
                              capture_output=True).returncode == 0
    except OSError:
        return False


def parse_cases(pic):
    cases = []
    snaps = pic.parse_log(FIXTURE.read_text())
    cases.append(("the fixture holds one complete snapshot", len(snaps) == 1))
    s = snaps[0]
    d0, d1 = s.domains.get(0), s.domains.get(1)
    cases.append(("two domains: d0 direct-mapped, d1 not",
                  d0 is not None and d1 is not None and d0.direct_map and not d1.direct_map))
    tx = [r for r in d0.ipa if r.kind == "grant-ro"]
    cases.append(("d0's read-only grant run: d1 gref 10, IPA 0x40245000 -> PA 0x4218c000",
                  len(tx) == 1 and tx[0].granter == 1 and tx[0].gref == 10 and
                  tx[0].start == 0x40245000 and tx[0].pa == 0x4218c000 and
                  tx[0].end - tx[0].start == 0x1000))
    ram = [r for r in d0.ipa if r.kind == "ram" and r.one_to_one]
    cases.append(("d0's RAM is one merged 1:1 run of 64 MiB",
                  len(ram) == 1 and ram[0].end - ram[0].start == 64 << 20 and
                  ram[0].start == ram[0].pa))
    cases.append(("shared tables: d0's IOVA runs are its IPA runs",
                  d0.iova_tables == "shared" and
                  [(r.start, r.pa, r.kind) for r in d0.iova] ==
                  [(r.start, r.pa, r.kind) for r in d0.ipa]))
    cases.append(("d1 has no IOMMU context and 16 RAM runs (2 MiB chunks, no two contiguous)",
                  d1.iova_tables == "none" and not d1.iova and
                  len([r for r in d1.ipa if r.end - r.start == 2 << 20]) == 16))
    g10 = [g for g in s.grants if g.gref == 10]
    cases.append(("the grant record: gref 10 read-only, live, no 1:1 IOVA entry",
                  len(g10) == 1 and g10[0].readonly and g10[0].live and not g10[0].one_to_one))
    wrapped = pic.Grant(mapper=0, granter=1, gref=10, ipa=0, pa=0, readonly=True,
                        one_to_one=False, maps=2, unmaps=0xffffffff)
    cases.append(("a grant whose u32 maps wrapped past its unmaps is still live (!=, not >)",
                  wrapped.live))
    cases.append(("the fault: d0, at gref 10's machine address, translating nothing",
                  len(s.faults) == 1 and s.faults[0].domid == 0 and
                  s.faults[0].iova == g10[0].pa and s.faults[0].translates is None and
                  not any(r.start <= s.faults[0].iova < r.end for r in d0.iova)))
    cases.append(("reserved regions: granite's image and the DTB",
                  [w for _, _, w in s.reserved] == ["granite image", "device tree"]))
    cases.append(("emulated regions of d0: vgic-dist, vgic-redist, vpl011",
                  [n for _, _, n in d0.emul] == ["vgic-dist", "vgic-redist", "vpl011"]))
    return cases


def axis_cases(pic):
    ivs = [(0x1000, 0x2000), (0x40000000, 0x44000000), (0x8000000000, 0x10000000000)]
    ax = pic.Axis(ivs, [0x4218c000])
    ys = [ax.y(a) for a in (0x1000, 0x2000, 0x40000000, 0x4218c000, 0x44000000, 0x10000000000)]
    return [
        ("a sparse 40-bit space compresses to a short axis", ax.height < 25),
        ("the compressed axis is monotone", all(a < b for a, b in zip(ys, ys[1:]))),
        ("unmapped stretches become gaps", len(ax.gaps()) >= 2),
        ("hex labels group four digits", pic.hexlabel(0x8000000000) == "0x80_0000_0000"),
    ]


def error_cases(pic):
    good = FIXTURE.read_text()
    garbled = good.replace("map: d0 ipa 0x40245000-0x40246000", "map: d0 ipa 0x40245000+0x1000", 1)
    n = next(i for i, l in enumerate(garbled.splitlines(), 1) if "0x40245000+0x1000" in l)
    cut = good.split("map: end")[0]
    sizes = good.replace("-> pa 0x4218c000-0x4218d000", "-> pa 0x4218c000-0x4218e000", 1)
    return [
        ("a garbled line is refused, naming its line number",
         raises(pic, garbled, f"line {n}:") and raises(pic, garbled, "not a dump line")),
        ("a cut snapshot is refused", raises(pic, cut, "was cut")),
        ("a log without a dump says to use dump=maps", raises(pic, "granite: boot\n", "dump=maps")),
        ("a run whose two sides differ in size is refused", raises(pic, sizes, "sizes disagree")),
        ("a map line before its domain's line is refused",
         raises(pic, "map: begin 1 x\nmap: d3 emul ipa 0x0-0x1000 vpl011\nmap: end 1\n",
                "before its 'map: domain d3'")),
    ]


def drawing_cases():
    if not has_matplotlib():
        why = f"{DEBIAN_PYTHON} has no matplotlib (tools/setup installs python3-matplotlib)"
        return [("the SVG is drawn # SKIP " + why, None)]
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([DEBIAN_PYTHON, str(PICTURE), str(FIXTURE), "--out", tmp,
                              "--name", "fixture"], capture_output=True, text=True)
        svg, png = Path(tmp) / "fixture.svg", Path(tmp) / "fixture.png"
        cases.append(("tools/picture draws SVG and PNG from the fixture",
                      run.returncode == 0 and svg.is_file() and png.is_file() and
                      png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"))
        try:
            root = ET.parse(svg).getroot()
            text = " ".join(t for t in root.itertext())
            well_formed = root.tag.endswith("svg")
        except (ET.ParseError, OSError):
            text, well_formed = "", False
        cases.append(("the SVG is well-formed XML", well_formed))
        labels = ["IPA -> PA (stage 2)", "IOVA -> PA (SMMU context, shared tables)",
                  "SMMU fault", "machine address of", "d1 gref 10", "0x4218_c000",
                  "no SMMU context", "reserved: granite image", "emulated: vpl011",
                  "gnttab_iommu=sync"]
        missing = [l for l in labels if l not in text]
        cases.append(("the SVG carries the expected labels" +
                      (f" (missing: {missing})" if missing else ""), not missing))
        bad = Path(tmp) / "bad.log"
        bad.write_text("map: begin 1 x\nmap: nonsense\nmap: end 1\n")
        run = subprocess.run([DEBIAN_PYTHON, str(PICTURE), str(bad), "--out", tmp],
                             capture_output=True, text=True)
        cases.append(("a malformed log: exit status 1 and a message naming the line",
                      run.returncode == 1 and "line 2" in run.stderr and "picture:" in run.stderr))
    return cases


def main():
    pic = load_picture()
    cases = parse_cases(pic) + axis_cases(pic) + error_cases(pic) + drawing_cases()
    print(f"1..{len(cases)}")
    for i, (name, passed) in enumerate(cases, 1):
        print(f"{'ok' if passed or passed is None else 'not ok'} {i} - {name}")
    return 0 if all(p or p is None for _, p in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
