#!/usr/bin/env python3
"""Tests of tools/lab (make lab, the lab book's checker), without QEMU.

Each case writes a small lab book in a temporary directory whose runs are
shell commands (their output is the "console") or a scenario reused from a
fake results.tap (--reuse), runs tools/lab on it, and checks the verdict: a
good lab passes; a missing file or function in Read, a question with no answer
regex, an answer the console does not hold, a broken link and a quoted line
range that no longer holds its functions each fail the lab and are named; a
bad N is a usage error (exit 2); a check block of the wrong types (a run,
question or span that is not a table, a line number that is not an integer)
is a lab error, not a traceback; --reuse refuses a missing or stale
results.tap.  Last, the real book's static checks (Read,
links, line ranges, every question with an answer regex) pass.  Prints TAP."""
import importlib.machinery
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LAB = ROOT / "tools" / "lab"

GOOD = """# Lab 1 — A test lab

## Read

- `core/iommu_policy.c:iommu_gnttab_need_mapping, iommu_need_sync` — the rule.
- `arch/arm64/boot.S:primary_entry` — an assembly label.
- `docs/packet-path.md` — a file.

See [the packet path](../../docs/packet-path.md).

## Questions

**Q1.** What does the console say first?

**Q2.** And after the change?

## Check data

```toml lab-check
[[run]]
id = "before"
command = "echo 'granite: hello 42'"

[[run]]
id = "after"
command = "cat {log:before}; echo 'granite: changed'"

[[span]]
file = "core/iommu_policy.c"
from = 98
to = 115
defines = ["iommu_need_sync", "iommu_gnttab_need_mapping"]

[[question]]
q = 1
run = "before"
answer = 'granite: hello (\\d+)'

[[question]]
q = 2
run = "after"
answer = '(?s)hello 42.*changed'

[exercise]
before = "before"
after = "after"
success = 'granite: changed'
```
"""


def load_tool():
    loader = importlib.machinery.SourceFileLoader("lab_tool", str(LAB))
    spec = importlib.util.spec_from_loader("lab_tool", loader)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["lab_tool"] = mod  # dataclasses look their module up there
    loader.exec_module(mod)
    return mod


def run_lab(text: str, *args: str, name: str = "01-a-test-lab.md", extra: dict | None = None):
    """Write a one-lab book (plus extra files), run tools/lab on it."""
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "docs" / "labs"
        book.mkdir(parents=True)
        (book / name).write_text(text)
        (Path(tmp) / "docs" / "packet-path.md").write_text("a page the lab links\n")
        for rel, content in (extra or {}).items():
            p = Path(tmp) / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content)
        argv = [sys.executable, str(LAB), "--labs-dir", str(book), "--out-dir", str(Path(tmp) / "out"),
                *[a.replace("{tmp}", tmp) for a in args]]
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout + proc.stderr


def fails_with(text: str, *needles: str) -> bool:
    rc, out = run_lab(text, "1")
    return rc == 1 and all(n in out for n in needles)


def static_checks_of_the_real_book() -> tuple[bool, str]:
    tool = load_tool()
    found = tool.find_labs(ROOT / "docs" / "labs")
    problems = []
    if len(found) < 8:
        problems.append(f"only {len(found)} labs")
    for n, path in found.items():
        lab = tool.load_lab(n, path)
        checks = tool.check_reads(lab) + tool.check_spans(lab) + tool.check_links(lab)
        prose = {int(q) for q, _ in tool.QUESTION.findall(lab.text)}
        data = {q["q"] for q in lab.data.get("question", [])}
        if not prose or prose != data:
            problems.append(f"lab {n}: questions {sorted(prose)} vs answers {sorted(data)}")
        if "exercise" not in lab.data:
            problems.append(f"lab {n}: no exercise")
        problems += [f"lab {n}: {c.name}: {c.detail}" for c in checks if c.status != "PASS"]
    book, checks = tool.check_book(ROOT / "docs" / "labs", found)
    problems += [f"book: {c.name}: {c.detail}" for c in checks if c.status != "PASS"]
    return not problems, "; ".join(problems)


def main() -> int:
    cases = []

    rc, out = run_lab(GOOD, "1")
    cases.append(("a good lab passes every check (command runs, Read, span, link, questions, exercise)",
                  rc == 0 and "lab 1: 12 passed, 0 failed" in out, out))

    cases.append(("a Read reference to a function the file does not define is caught",
                  fails_with(GOOD.replace("iommu_need_sync` —", "no_such_function` —"),
                             "FAIL  core/iommu_policy.c:no_such_function",
                             "does not define no_such_function"), ""))

    cases.append(("a Read reference to a file that does not exist is caught",
                  fails_with(GOOD.replace("`docs/packet-path.md` — a file",
                                          "`docs/no-such-file.md` — a file"),
                             "FAIL  docs/no-such-file.md", "no such file"), ""))

    unanswerable = GOOD.replace("**Q2.** And after the change?",
                                "**Q2.** And after the change?\n\n**Q3.** A question nobody checks?")
    cases.append(("a question with no answer regex (unanswerable by the checker) is caught",
                  fails_with(unanswerable, "FAIL  Q3. A question nobody checks?", "no answer regex"), ""))

    cases.append(("an answer the console does not hold is caught",
                  fails_with(GOOD.replace("answer = 'granite: hello (\\d+)'", "answer = 'granite: goodbye'"),
                             "FAIL  Q1. What does the console say first?", "not in the console of before"), ""))

    cases.append(("an exercise whose success line is already there before is caught",
                  fails_with(GOOD.replace("success = 'granite: changed'", "success = 'granite: hello'"),
                             "FAIL  the success line is not there before (before)"), ""))

    cases.append(("a broken relative link is caught",
                  fails_with(GOOD.replace("(../../docs/packet-path.md)", "(../../docs/gone.md)"),
                             "FAIL  ../../docs/gone.md", "does not exist"), ""))

    cases.append(("a quoted line range that no longer holds its functions is caught",
                  fails_with(GOOD.replace("from = 98", "from = 97"), "FAIL  core/iommu_policy.c:97-115",
                             "line 97 does not begin iommu_need_sync"), ""))

    rc, out = run_lab(GOOD, "99")
    rc2, out2 = run_lab(GOOD, "seven")
    cases.append(("a bad N is a usage error (exit 2) naming the labs there are",
                  rc == 2 and rc2 == 2 and "no lab '99': N is one of 1" in out and "no lab 'seven'" in out2,
                  out + out2))

    rc, out = run_lab(GOOD, "--check-number", "1")
    rc2, _ = run_lab(GOOD, "--check-number", "2")
    rc3, out3 = run_lab(GOOD)
    cases.append(("--check-number says yes and no; no N lists the labs",
                  rc == 0 and rc2 == 2 and rc3 == 0 and "1  Lab 1 — A test lab" in out3, out3))

    reused = GOOD.replace('[[run]]\nid = "before"\ncommand = "echo \'granite: hello 42\'"',
                          '[[run]]\nid = "before"\nscenario = "boot-and-hello"')
    rc, out = run_lab(reused, "--all", "--tap", "--reuse", "{tmp}/prev",
                      extra={"prev/results.tap": "TAP version 13\n1..1\nok 1 - boot-and-hello\n",
                             "prev/boot-and-hello.log": "granite: hello 42\n",
                             "docs/labs/README.md": "[lab](01-a-test-lab.md)\n"})
    cases.append(("--reuse judges a scenario on the console a previous pass wrote (no QEMU run)",
                  rc == 0 and "not ok" not in out and "ok 3 - lab 1: run: before (boot-and-hello)" in out, out))

    # A check block of the wrong types: the lab's error (exit 1, "lab: error:"
    # naming the entry), never a traceback.
    head, _, rest = GOOD.partition("```toml lab-check\n")
    tail = rest[rest.index("```"):]
    RUN = '[[run]]\nid = "before"\ncommand = "echo hi"\n'
    SPAN = '[[span]]\nfile = "core/iommu_policy.c"\ndefines = ["iommu_need_sync"]\n'

    def block(toml: str) -> str:
        return head + "```toml lab-check\n" + toml + tail

    malformed = [
        ("a run that is not a table", block("run = [1]\n"), "'run' must be an array of tables"),
        ("a run whose command is not a string", block('[[run]]\nid = "before"\ncommand = 7\n'),
         "run[0]: command must be a string"),
        ("a question that is not a table", block("question = [1]\n" + RUN),
         "'question' must be an array of tables"),
        ("a span that is not a table", block("span = [1]\n" + RUN), "'span' must be an array of tables"),
        ("a span whose from is not an integer", block(RUN + SPAN + 'from = "98"\nto = 115\n'),
         "span[0]: needs file (a path), from and to (line numbers)"),
        ("a span whose to is not an integer", block(RUN + SPAN + "from = 98\nto = 115.0\n"),
         "span[0]: needs file"),
        ("an exercise that is not a table", block('exercise = "before"\n' + RUN),
         "'exercise' must be a table"),
    ]
    for what, text, needle in malformed:
        rc, out = run_lab(text, "1")
        cases.append((f"{what}: a lab error naming it, no traceback",
                      rc == 1 and "lab: error:" in out and needle in out and "Traceback" not in out,
                      out))

    rc, out = run_lab(reused, "--all", "--tap", "--reuse", "{tmp}/prev", "--reuse-since", "4102444800",
                      extra={"prev/results.tap": "TAP version 13\n1..1\nok 1 - boot-and-hello\n",
                             "prev/boot-and-hello.log": "granite: hello 42\n",
                             "docs/labs/README.md": "[lab](01-a-test-lab.md)\n"})
    cases.append(("--reuse-since: a results.tap older than the scenario pass is refused, its scenarios fail",
                  rc == 1 and "not ok 3 - lab 1: run: before (boot-and-hello)" in out and
                  "stale verdicts" in out, out))
    rc, out = run_lab(reused, "--all", "--tap", "--reuse", "{tmp}/prev",
                      extra={"prev/boot-and-hello.log": "granite: hello 42\n",
                             "docs/labs/README.md": "[lab](01-a-test-lab.md)\n"})
    cases.append(("--reuse: a missing results.tap (the scenario pass died) fails its scenarios, "
                  "not judged on old consoles", rc == 1 and
                  "not ok 3 - lab 1: run: before (boot-and-hello)" in out and "is missing" in out, out))

    ok, why = static_checks_of_the_real_book()
    cases.append(("the real book: at least 8 labs, every Read reference, link and line range holds, "
                  "every question has an answer regex, every lab an exercise", ok, why))

    print(f"1..{len(cases)}")
    for i, (name, passed, detail) in enumerate(cases, 1):
        print(f"{'ok' if passed else 'not ok'} {i} - {name}")
        if not passed and detail:
            for line in detail.splitlines()[-25:]:
                print(f"#   {line}")
    return 0 if all(c[1] for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
