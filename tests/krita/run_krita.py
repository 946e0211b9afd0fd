#!/usr/bin/python3
"""Runs Krita with the plug-in in a hermetic profile and checks its test report.

    run_krita.py headless KRITARUNNER MODULE PLUGIN_DIR
        kritarunner -s MODULE with the offscreen Qt platform (no display needed).
    run_krita.py gui KRITA XVFB_RUN PLUGIN_DIR [SCREENSHOT.png]
        the real Krita window under Xvfb, with the plug-in enabled in kritarc and
        the test driver plug-in (gui/libvar_guitest) that clicks through the docker.

PLUGIN_DIR (plugins/krita) is copied into the profile's pykrita folder the way
`meson install` lays it out, so the tests see what a user's Krita sees.
Krita exits 0 even when a script raises, so the verdict needs both the exit
code and the JSON report the script writes to $KRITA_TEST_REPORT.  Krita gets
a fresh HOME and XDG folders under a temporary directory (it builds its
resource database there, ~11 s), so the user's own Krita profile is never touched.
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
HERE = os.path.dirname(os.path.abspath(__file__))


def hermetic_env(tmp):
    home = os.path.join(tmp, "home")
    env = dict(os.environ)
    env.update({
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_RUNTIME_DIR": os.path.join(tmp, "run"),
        "KRITA_TEST_REPORT": os.path.join(tmp, "report.json"),
        "KRITA_TEST_TMP": tmp,
        "PYTHONPATH": HERE,  # test modules only; the plug-in comes from the pykrita folder
    })
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        os.makedirs(env[var], mode=0o700, exist_ok=True)
    os.chmod(env["XDG_RUNTIME_DIR"], 0o700)
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY"):
        env.pop(var, None)
    return env


def install_plugin(plugin_dir, pykrita):
    os.makedirs(pykrita, exist_ok=True)
    shutil.copy(os.path.join(plugin_dir, "libvar_krita.desktop"), pykrita)
    shutil.copytree(os.path.join(plugin_dir, "libvar_krita"), os.path.join(pykrita, "libvar_krita"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.in"))


def run(cmd, env):
    """Runs cmd in its own process group; returns (exit code, output, seconds) or None on timeout."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        print(out)
        print(f"FAIL: Krita did not finish within {TIMEOUT} s")
        return None
    # Krita's own chatter about its resource database is long; keep the rest
    print("\n".join(line for line in out.splitlines() if not line.startswith("krita.lib.resources")))
    return proc.returncode, time.monotonic() - t0


def verdict(name, env, returncode, seconds):
    try:
        with open(env["KRITA_TEST_REPORT"]) as fp:
            report = json.load(fp)
    except (OSError, ValueError) as exc:
        print(f"FAIL: no report from the Krita script ({exc}); exit code {returncode}")
        return 1
    checks = report.get("checks", [])
    for check, ok, detail in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {check}{': ' + detail if detail else ''}")
    failed = [c for c in checks if not c[1]]
    print(f"{name}: {len(checks) - len(failed)} checks passed, {len(failed)} failed, "
          f"Krita exit {returncode}, {seconds:.1f} s")
    if report.get("error"):
        print("script error:\n" + report["error"])
    ok = returncode == 0 and not failed and not report.get("error") and checks and report.get("finished")
    return 0 if ok else 1


def headless(tmp, kritarunner, module, plugin_dir):
    env = hermetic_env(tmp)
    env["QT_QPA_PLATFORM"] = "offscreen"
    # kritarunner's resource folder is $XDG_DATA_HOME/kritarunner (Krita's own is .../krita)
    env["KRITA_TEST_PYKRITA"] = os.path.join(env["XDG_DATA_HOME"], "kritarunner", "pykrita")
    install_plugin(plugin_dir, env["KRITA_TEST_PYKRITA"])
    result = run([kritarunner, "-s", module], env)
    return 1 if result is None else verdict("krita-headless", env, *result)


def gui(tmp, krita, xvfb_run, plugin_dir, screenshot=None):
    env = hermetic_env(tmp)
    pykrita = os.path.join(env["XDG_DATA_HOME"], "krita", "pykrita")
    install_plugin(plugin_dir, pykrita)
    shutil.copy(os.path.join(HERE, "gui", "libvar_guitest.desktop"), pykrita)
    shutil.copytree(os.path.join(HERE, "gui", "libvar_guitest"), os.path.join(pykrita, "libvar_guitest"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    # what the Python Plugin Manager writes when a user ticks the plug-ins
    with open(os.path.join(env["XDG_CONFIG_HOME"], "kritarc"), "w") as fp:
        fp.write("[python]\nenable_libvar_krita=true\nenable_libvar_guitest=true\n")
    if screenshot:
        env["KRITA_TEST_SCREENSHOT"] = os.path.abspath(screenshot)
    env.pop("QT_QPA_PLATFORM", None)
    result = run([xvfb_run, "-a", "-s", "-screen 0 1280x800x24", krita, "--nosplash"], env)
    return 1 if result is None else verdict("krita-gui", env, *result)


def main(argv):
    modes = {"headless": (headless, 3, 3), "gui": (gui, 3, 4)}
    if len(argv) < 2 or argv[1] not in modes or not modes[argv[1]][1] <= len(argv) - 2 <= modes[argv[1]][2]:
        print(__doc__, file=sys.stderr)
        return 2
    fn = modes[argv[1]][0]
    tmp = tempfile.mkdtemp(prefix="libvar-krita-test-")
    try:
        return fn(tmp, *argv[2:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
