#!/usr/bin/python3
"""Runs a Krita test script headless and hermetically.

Usage: run_headless.py KRITARUNNER MODULE PLUGIN_DIR

PLUGIN_DIR (plugins/krita) is copied into the hermetic Krita profile's pykrita
folder the way `meson install` lays it out, and the script imports the
plug-in from there, so the test sees what a user's Krita sees.

kritarunner exits 0 even when the script raises, so the verdict comes from
two places that must agree: the script's own exit code (it ends with
os._exit) and a JSON report it writes to $KRITA_TEST_REPORT.  Krita gets a
fresh HOME and XDG folders under a temporary directory (it builds its
resource database there, ~11 s) and the offscreen Qt platform, so neither the
user's Krita profile nor a display is touched.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TIMEOUT = int(os.environ.get("KRITA_TEST_TIMEOUT", "420"))


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    runner, module, plugin_dir = argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    tmp = tempfile.mkdtemp(prefix="libvar-krita-test-")
    try:
        home = os.path.join(tmp, "home")
        env = dict(os.environ)
        env.update({
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "XDG_RUNTIME_DIR": os.path.join(tmp, "run"),
            "QT_QPA_PLATFORM": "offscreen",
            "KRITA_TEST_REPORT": os.path.join(tmp, "report.json"),
            "KRITA_TEST_TMP": tmp,
            "PYTHONPATH": here,  # the test module; the plug-in comes from the pykrita folder
        })
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
            os.makedirs(env[var], mode=0o700, exist_ok=True)
        os.chmod(env["XDG_RUNTIME_DIR"], 0o700)
        # kritarunner's resource folder is $XDG_DATA_HOME/kritarunner (Krita's own is .../krita)
        pykrita = os.path.join(env["XDG_DATA_HOME"], "kritarunner", "pykrita")
        os.makedirs(pykrita)
        shutil.copy(os.path.join(plugin_dir, "libvar_krita.desktop"), pykrita)
        shutil.copytree(os.path.join(plugin_dir, "libvar_krita"), os.path.join(pykrita, "libvar_krita"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.in"))
        env["KRITA_TEST_PYKRITA"] = pykrita
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)

        t0 = time.monotonic()
        proc = subprocess.Popen([runner, "-s", module], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace",
                                start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            print(out)
            print(f"FAIL: kritarunner did not finish within {TIMEOUT} s")
            return 1
        seconds = time.monotonic() - t0
        # Krita's own chatter (resource database, plug-in loading) is long; keep our lines
        lines = [line for line in out.splitlines() if not line.startswith("krita.lib.resources")]
        print("\n".join(lines))

        try:
            with open(env["KRITA_TEST_REPORT"]) as fp:
                report = json.load(fp)
        except (OSError, ValueError) as exc:
            print(f"FAIL: no report from the Krita script ({exc}); exit code {proc.returncode}")
            return 1
        checks = report.get("checks", [])
        for name, ok, detail in checks:
            print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
        failed = [c for c in checks if not c[1]]
        print(f"krita-headless: {len(checks) - len(failed)} checks passed, {len(failed)} failed, "
              f"kritarunner exit {proc.returncode}, {seconds:.1f} s")
        if report.get("error"):
            print("script error:\n" + report["error"])
        if proc.returncode != 0 or failed or report.get("error") or not checks or not report.get("finished"):
            return 1
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
