"""Shared by the tool tests in this folder (not a test itself: run-all-tests
runs test_*.py only): load a tool that has no .py name as a module, and print
a list of (name, passed) checks as TAP, returning the exit status."""
import importlib.machinery
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def load_tool(name, path):
    """tools/bench, tools/run-all-tests...: a script loaded as module `name`."""
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def print_tap(results):
    """results: [(description, passed)]; prints TAP, returns 0 if all passed."""
    print(f"1..{len(results)}")
    for n, (name, ok) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {n} - {name}")
    return 0 if all(ok for _, ok in results) else 1
