#!/usr/bin/env python3
"""Print one closing line 'tests: N passed, N failed' from meson's testlog.json
files (several builds may be given, e.g. the main one and the sanitizer one).

CUnit binaries contribute their per-test counts (the 'tests' row of CUnit's
Run Summary); every other meson test counts as one.  Exits 1 on any failure."""
import json
import re
import sys

paths = sys.argv[1:] or ["build/meson-logs/testlog.json"]
row = re.compile(r"^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", re.M)
passed = failed = skipped = 0
lines = []
for path in paths:
    try:
        with open(path) as fp:
            lines += fp.readlines()
    except OSError as e:
        print(f"{path}: {e}", file=sys.stderr)
        failed += 1
for line in lines:
    t = json.loads(line)
    res, out = t["result"], t.get("stdout") or ""
    rows = row.findall(out)
    if res == "EXPECTEDFAIL":
        passed += 1
    elif rows:
        for total, ran, ok, bad, inactive in rows:
            passed += int(ok)
            failed += int(bad)
            skipped += int(total) - int(ran)
        if res != "OK" and not any(int(r[3]) for r in rows):
            failed += 1  # crashed or exited non-zero without a CUnit failure
    elif res == "OK":
        passed += 1
    elif res == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"tests: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
