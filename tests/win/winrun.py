"""Shared by the Windows tests (compare_cli.py, check_krita_zip.py): running a
program, under meson's exe wrapper where given, and counting checks."""
import subprocess
import tempfile


def run_files(cmd, cwd=None):
    """(status, stdout, stderr) with the output in files, not pipes: Wine's server
    and services outlive the program and would hold pipes open (and the caller
    waiting on them)."""
    with tempfile.TemporaryFile() as o, tempfile.TemporaryFile() as e:
        rc = subprocess.run(cmd, cwd=cwd, stdout=o, stderr=e, stdin=subprocess.DEVNULL, timeout=300).returncode
        o.seek(0)
        e.seek(0)
        return rc, o.read(), e.read()


class Checks:
    """Named pass/fail checks, printed as they come; summary() ends with a row in
    CUnit's 'Run Summary' layout so that scripts/summarize-tests.py counts each."""

    def __init__(self):
        self.passed, self.failed = [], []

    def __call__(self, name, ok, detail=""):
        (self.passed if ok else self.failed).append(name)
        print(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")

    def summary(self):
        n = len(self.passed) + len(self.failed)
        print("Run Summary:    Type  Total    Ran Passed Failed Inactive")
        print(f"              tests {n:6d} {n:6d} {len(self.passed):6d} {len(self.failed):6d}        0")
        return 1 if self.failed else 0
