#!/usr/bin/env python3
"""Tests of tools/check-fpsimd, the build-time proof that EL2 code outside
.text.boot never names an FP/SIMD register.  Builds two tiny AArch64 ELF files
with the cross assembler: one with an FP instruction inside the boot range
(must pass), one with it outside (must fail and name the function).
Prints TAP."""
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CHECK = ROOT / "tools" / "check-fpsimd"
CC = "aarch64-linux-gnu-gcc"

SOURCE = """
    .text
    .global __boot_text_start, __boot_text_end, _start
_start:
__boot_text_start:
boot_code:
    {boot}
    ret
__boot_text_end:
runtime_code:
    {runtime}
    ret
"""


def build(tmp, name, boot, runtime):
    src = Path(tmp) / f"{name}.S"
    elf = Path(tmp) / f"{name}.elf"
    src.write_text(SOURCE.format(boot=boot, runtime=runtime))
    subprocess.run([CC, "-nostdlib", "-o", str(elf), str(src)], check=True, capture_output=True)
    return elf


def check(elf):
    return subprocess.run([sys.executable, str(CHECK), str(elf), "aarch64-linux-gnu-objdump"],
                          capture_output=True, text=True)


def main():
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        ok = check(build(tmp, "inside", "fmov d0, x1\n    ld1 {v0.16b}, [x0]", "add x0, x0, #1"))
        cases.append(("FP/SIMD only inside .text.boot is accepted", ok.returncode == 0))
        bad = check(build(tmp, "outside", "nop", "fmov d0, x1"))
        cases.append(("an FP instruction outside .text.boot fails the check",
                      bad.returncode != 0 and "fmov" in bad.stdout))
        fpcr = check(build(tmp, "fpcr", "nop", "mrs x0, fpcr"))
        cases.append(("an FPCR access outside .text.boot fails the check", fpcr.returncode != 0))
        gp = check(build(tmp, "gp", "nop", "ldp x0, x1, [sp]\n    at s12e1r, x0\n    tlbi vmalls12e1is"))
        cases.append(("general-register code with s12/vmalls names is accepted", gp.returncode == 0))
    print(f"1..{len(cases)}")
    for i, (name, passed) in enumerate(cases, 1):
        print(f"{'ok' if passed else 'not ok'} {i} - {name}")
    return 0 if all(p for _, p in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
