#!/usr/bin/env python3
"""The GIMP plug-in's dialogs in a real GIMP window (2.10, or 3 when
$LIBVAR_GIMP names GIMP 3's gimp-console) under Xvfb.

    gimp-gui.py PLUGIN MODEL_DIR PNGCHECK.py [SCREENSHOT_DIR]

GIMP runs with its GUI on a private Xvfb display, in a throw-away profile,
with the Script-Fu server listening on a local port; this script sends it
Script-Fu over that socket and presses keys in the plug-in's windows with
xdotool.  It checks, in this order:

  1. RUN-INTERACTIVE shows the "VAR In-paint" dialog with the model folder
     remembered in the gimprc (libvar-model-folder); typing 3 into Variants
     and pressing Return runs it: 3 new layers, the image is dirty;
  2. Ctrl+Z in the image window undoes the whole run in one step: 1 layer
     again and the image is clean (GIMP's dirty count is back to 0);
  3. RUN-WITH-LAST-VALS makes 3 layers again (the dialog's values were
     remembered); Ctrl+Z undoes it;
  4. a run with 64 variants, cancelled with the progress window's own Cancel
     (Escape): the call reports the cancel, no layer was added and the image is
     still clean (no undo step was recorded);
  5. out-painting by margins (non-interactive) grows the canvas; one Ctrl+Z
     restores the canvas size and the layers, and the image is clean;
  6. the VAR Generate dialog: typing class 1's name in Class ("goldfish", or
     the model's own from its classes.txt) picks class 1 (the new layer's
     name says class=1);
  7. the VAR Out-paint dialog: 8 in Left grows the canvas by 8 px.

On GIMP 3 the same steps run through Script-Fu's named arguments; the
dialog is GIMP 3's GimpProcedureDialog (its own last values), and
screenshots are named gimp3-*.png.

SCREENSHOT_DIR (optional) receives PNGs of the dialog and the progress window.
The test prints PASS at the end and exits non-zero on any failure.
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

plugin, model, pngcheck = sys.argv[1:4]
# GIMP 3 when $LIBVAR_GIMP (tests/gimp/meson.build) is GIMP 3's gimp-console: its GUI is gimp-3.x beside it
console = os.environ.get("LIBVAR_GIMP", "gimp")
version = subprocess.run([console, "--version"], capture_output=True, text=True).stdout
gimp3 = "version 2." not in version
if gimp3:
    minor = re.search(r"version (3\.[0-9]+)", version).group(1)
    gimp_gui = shutil.which("gimp-" + minor) or shutil.which("gimp")
else:
    gimp_gui = "gimp"
shot_prefix = "gimp3-" if gimp3 else "gimp-"

# The class typed into the Generate dialog's picker: class 1 by name, the
# model's own (a classes.txt beside it, e.g. the demo model) or ImageNet's.
class1 = "goldfish"
if os.path.exists(os.path.join(model, "classes.txt")):
    with open(os.path.join(model, "classes.txt")) as fp:
        for line in fp:
            idx, _, name = line.strip().partition(" ")
            if idx == "1" and name.strip():
                class1 = name.strip()
shots = sys.argv[4] if len(sys.argv) > 4 else os.environ.get("LIBVAR_GIMP_SCREENSHOTS", "")

T = tempfile.mkdtemp(prefix="libvar-gimp-gui.")
procs = []
failures = []


def expect(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def cleanup():
    for p in reversed(procs):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
    shutil.rmtree(T, ignore_errors=True)


def finish():
    log = os.path.join(T, "gimp.log")
    if failures and os.path.exists(log):
        print("---- gimp.log ----")
        print(open(log, errors="replace").read()[-6000:])
    cleanup()
    if failures:
        print(f"FAIL: {len(failures)} check(s) failed")
        sys.exit(1)
    print("PASS: libvar GIMP plug-in GUI test")
    sys.exit(0)


def start(cmd, env, **kw):
    p = subprocess.Popen(cmd, env=env, start_new_session=True, stdin=subprocess.DEVNULL, **kw)
    procs.append(p)
    return p


# ---- a private X display and a hermetic GIMP profile ----------------------
env = dict(os.environ)
home = os.path.join(T, "home")
os.makedirs(os.path.join(T, "plug-ins", "libvar-gimp"))
os.makedirs(home)
shutil.copy(plugin, os.path.join(T, "plug-ins", "libvar-gimp", "libvar-gimp"))
env.update(HOME=home, XDG_CONFIG_HOME=home + "/.config", XDG_CACHE_HOME=home + "/.cache",
           XDG_DATA_HOME=home + "/.local/share", GIMP2_DIRECTORY=os.path.join(T, "gimpdir"),
           GIMP3_DIRECTORY=os.path.join(T, "gimpdir"),
           BABL_INHIBIT_CACHE="1", VAR_THREADS=env.get("VAR_THREADS", "2"), OPENBLAS_NUM_THREADS="1",
           NO_AT_BRIDGE="1", LANGUAGE="en", LC_ALL="C.UTF-8")
env.pop("LIBVAR_GIMP_LOCALEDIR", None)

rfd, wfd = os.pipe()
start(["Xvfb", "-displayfd", str(wfd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"], env,
      pass_fds=(wfd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(wfd)
display = b""
while not display.endswith(b"\n"):
    chunk = os.read(rfd, 16)
    if not chunk:
        break
    display += chunk
os.close(rfd)
if not display.strip():
    expect(False, "Xvfb started")
    finish()
env["DISPLAY"] = ":" + display.decode().strip()

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
with open(os.path.join(T, "gimprc"), "w") as f:
    f.write('(plug-in-path "${gimp_dir}/plug-ins:${gimp_plug_in_dir}/plug-ins:%s")\n' % os.path.join(T, "plug-ins"))
    # what the dialog's folder chooser stores; the dialog must start with it
    f.write('(libvar-model-folder "%s")\n' % model)
    f.write('(show-tips no)\n(restore-session no)\n(save-session-info no)\n')
    if gimp3:
        f.write('(show-welcome-dialog no)\n')

in_png = os.path.join(T, "in.png")
subprocess.run([sys.executable, pngcheck, "make", in_png], check=True)
gimp_log = open(os.path.join(T, "gimp.log"), "w")
if gimp3:
    start([gimp_gui, "-n", "-d", "-f", "-s", "--stack-trace-mode=never", "-g", os.path.join(T, "gimprc"),
           "--batch-interpreter=plug-in-script-fu-eval",
           "-b", '(plug-in-script-fu-server #:run-mode RUN-NONINTERACTIVE #:ip "127.0.0.1" #:port %d '
                 '#:logfile "")' % port], env, stdout=gimp_log, stderr=subprocess.STDOUT)
else:
    start(["gimp", "-d", "-f", "-s", "--stack-trace-mode=never", "-g", os.path.join(T, "gimprc"),
           "-b", '(plug-in-script-fu-server RUN-NONINTERACTIVE "127.0.0.1" %d "")' % port], env,
          stdout=gimp_log, stderr=subprocess.STDOUT)


# ---- the Script-Fu server protocol: 'G', length, script -> 'G', error, length, text
def connect(deadline):
    while time.time() < deadline:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            time.sleep(0.5)
    return None


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("Script-Fu server closed the connection")
        data += chunk
    return data


def sf(script, timeout=120):
    """Evaluates Script-Fu in GIMP; returns (ok, text)."""
    body = script.encode()
    conn.settimeout(timeout)
    conn.sendall(b"G" + struct.pack(">H", len(body)) + body)
    magic, err, n = struct.unpack(">cBH", recv_exact(conn, 4))
    return err == 0, recv_exact(conn, n).decode(errors="replace")


def sf_until(script, want, timeout=30):
    """Polls a Script-Fu expression until it prints `want` (GIMP handles a key press asynchronously)."""
    deadline = time.time() + timeout
    while True:
        ok, text = sf(script)
        if (ok and text.strip() == want) or time.time() > deadline:
            return text.strip()
        time.sleep(0.3)


def sf_ok(script, what):
    ok, text = sf(script)
    expect(ok, f"{what} -> {text.strip()[:200]}")
    return text.strip()


def xdotool(*args):
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True).stdout.split()


def wait_window(name, timeout=60):
    """The first visible window whose title matches `name` (an xdotool regex: POSIX extended)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ids = xdotool("search", "--onlyvisible", "--name", name)
        if ids:
            return ids[0]
        time.sleep(0.2)
    return None


def wait_gone(wid, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if wid not in xdotool("search", "--onlyvisible", "--name", "."):
            return True
        time.sleep(0.2)
    return False


def screenshot(name, wid="root"):
    if shots and shutil.which("import"):
        os.makedirs(shots, exist_ok=True)
        xdotool("mousemove", "1279", "799")   # no tooltip in the picture
        time.sleep(0.5)
        subprocess.run(["import", "-window", wid, os.path.join(shots, name)], env=env)


def key(wid, *keys):
    xdotool("windowfocus", "--sync", wid)
    xdotool("key", "--clearmodifiers", *keys)


class Call(threading.Thread):
    """A Script-Fu call that blocks while its dialog is open."""

    def __init__(self, script):
        super().__init__(daemon=True)
        self.script, self.result = script, None

    def run(self):
        try:
            self.result = sf(self.script, timeout=180)
        except Exception as e:   # reported by the caller
            self.result = (False, f"{type(e).__name__}: {e}")


# The Script-Fu that differs between the versions: GIMP 3 returns vectors of
# layers and #t/#f, names the plug-in's arguments, and its getters say "get".
if gimp3:
    N_LAYERS = "(vector-length (car (gimp-image-get-layers img)))"
    # a boolean: #t / #f, or 1 / 0 (GIMP 3.0's Script-Fu returns this one as a number)
    DIRTY = "(let ((d (car (gimp-image-is-dirty img)))) (if (or (not d) (eqv? d 0)) 0 1))"
    WIDTH = "(car (gimp-image-get-width img))"
    LOAD = '(define img (car (gimp-file-load RUN-NONINTERACTIVE "%s")))' % in_png
    LAYER = "(define layer (vector-ref (car (gimp-image-get-selected-layers img)) 0))"

    def proc(name, mode, **kw):
        named = " ".join(f"#:{k.replace('_', '-')} {v}" for k, v in kw.items())
        return f"(plug-in-var-{name} #:run-mode {mode} #:image img #:drawables (vector layer) {named})"
else:
    N_LAYERS = "(car (gimp-image-get-layers img))"
    DIRTY = "(car (gimp-image-is-dirty img))"
    WIDTH = "(car (gimp-image-width img))"
    LOAD = '(define img (car (gimp-file-load RUN-NONINTERACTIVE "%s" "in.png")))' % in_png
    LAYER = "(define layer (car (gimp-image-get-active-layer img)))"
    ORDER = ["model_dir", "model", "backend", "class", "cfg", "top_k", "top_p", "seed", "variants", "more_smooth"]
    DEFAULTS = {"model_dir": '""', "model": '""', "backend": '""', "class": -1, "cfg": 4.0, "top_k": 900,
                "top_p": 0.95, "seed": 0, "variants": 1, "more_smooth": 0, "left": 0, "top": 0, "right": 0,
                "bottom": 0, "strength": 1.0, "keep_masked": 0, "seamless": 1}

    def proc(name, mode, **kw):
        """2.10's positional arguments, in the order the plug-in declares them."""
        order = ORDER + (["left", "top", "right", "bottom"] if name == "outpaint" else []) \
            + (["strength", "keep_masked", "seamless"] if name != "generate" else [])
        vals = {**DEFAULTS, **{k: (1 if v == "TRUE" else 0 if v == "FALSE" else v) for k, v in kw.items()}}
        return f"(plug-in-var-{name} {mode} img layer " + " ".join(str(vals[k]) for k in order) + ")"

conn = connect(time.time() + 120)
if not expect(conn is not None, "GIMP started with the Script-Fu server"):
    finish()

try:
    sf_ok(LOAD, "load the PNG")
    sf_ok(LAYER, "active layer")
    sf_ok("(define disp (car (gimp-display-new img)))", "open a display")
    sf_ok("(gimp-image-select-ellipse img CHANNEL-OP-REPLACE 30 20 36 30)", "select an ellipse")
    # clean from here: one undo step back must make it clean again
    sf_ok("(gimp-image-clean-all img)", "image clean")
    sf_ok("(gimp-displays-flush)", "flush")
    # the image window: GIMP's title format, "*in.png-1.0 (RGB color 8-bit ...) 96x80 – GIMP"
    # (GIMP 3.0 names an image loaded by a script "[Untitled]-1.0 (RGB color ...)", 3.2 "[in] (imported)-1.0 (...")
    image_win = wait_window(r"\]( \(imported\))?-[0-9]+\.[0-9] \(RGB" if gimp3 else r"in\.png-[0-9]")
    if not expect(image_win is not None, "image window shown"):
        for wid in xdotool("search", "--onlyvisible", "--name", "."):
            print("window", wid, xdotool("getwindowname", wid))

    # 1. the dialog, with 3 variants typed in
    call = Call(proc("inpaint", "RUN-INTERACTIVE"))
    call.start()
    dlg = wait_window("^VAR In-paint$")
    if expect(dlg is not None, "the VAR In-paint dialog opened"):
        time.sleep(1.0)
        screenshot(shot_prefix + "dialog.png", dlg)
        key(dlg, "alt+v")
        key(dlg, "ctrl+a")
        xdotool("type", "--delay", "50", "3")
        key(dlg, "Return")
    call.join(120)
    expect(call.result is not None and call.result[0], f"interactive in-paint finished: {call.result}")
    n = sf_ok(N_LAYERS, "count layers")
    expect(n == "4", f"3 new layers after the interactive run (image has {n} layers)")
    expect(sf_ok(DIRTY, "dirty?") == "1", "image is dirty after the run")

    # 2. one Ctrl+Z undoes the whole run
    if image_win:
        key(image_win, "ctrl+z")
    n = sf_until(N_LAYERS, "1")
    expect(n == "1", f"Ctrl+Z removed all new layers at once (image has {n} layers)")
    expect(sf_ok(DIRTY, "dirty?") == "0", "image clean again after one undo")

    # 3. last values
    ok, text = sf(proc("inpaint", "RUN-WITH-LAST-VALS"), timeout=120)
    expect(ok and text.strip().endswith(" 3)"), f"RUN-WITH-LAST-VALS made 3 layers again: {text.strip()}")
    if image_win:
        key(image_win, "ctrl+z")
    expect(sf_until(N_LAYERS, "1") == "1", "undone")

    # 4. cancel from the progress window
    call = Call(proc("inpaint", "RUN-INTERACTIVE"))
    call.start()
    dlg = wait_window("^VAR In-paint$")
    if expect(dlg is not None, "the dialog opened again"):
        key(dlg, "alt+v")
        key(dlg, "ctrl+a")
        xdotool("type", "--delay", "50", "64")
        key(dlg, "Return")
        prog = wait_window("^VAR in-painting$", timeout=30)
        if expect(prog is not None, "the progress window opened"):
            screenshot(shot_prefix + "progress.png", prog)
            key(prog, "Escape")
    call.join(120)
    # Script-Fu turns a procedure's CANCEL status into #f (no error, no values)
    expect(call.result is not None and call.result[1].strip() == "(#f)",
           f"the run reports the cancel (no return values): {call.result}")
    n = sf_ok(N_LAYERS, "count layers")
    expect(n == "1", f"no layer added by the cancelled run (image has {n} layers)")
    expect(sf_ok(DIRTY, "dirty?") == "0", "image still clean after the cancel")

    # 5. out-painting by margins grows the canvas; one Ctrl+Z restores size and layers
    ok, text = sf(proc("outpaint", "RUN-NONINTERACTIVE", model_dir=f'"{model}"', backend='"cpu"', seed=1, left=16,
                       right=8), timeout=120)
    expect(ok and text.strip().endswith(" 1)"), f"out-paint by margins: {text.strip()}")
    w = sf_ok(WIDTH, "canvas width")
    expect(w == "120", f"canvas grew to 120 px ({w})")
    if image_win:
        key(image_win, "ctrl+z")
    w = sf_until(WIDTH, "96")
    n = sf_ok(N_LAYERS, "count layers")
    expect(w == "96" and n == "1", f"one Ctrl+Z restored the canvas ({w} px) and the layers ({n})")
    expect(sf_ok(DIRTY, "dirty?") == "0", "image clean after undoing the out-paint")

    # 6. the generate dialog's class picker: class 1's name resolves to class 1
    call = Call(proc("generate", "RUN-INTERACTIVE"))
    call.start()
    dlg = wait_window("^VAR Generate$")
    if expect(dlg is not None, "the VAR Generate dialog opened"):
        key(dlg, "alt+a" if gimp3 else "alt+l")
        xdotool("type", "--delay", "50", class1[:4])
        time.sleep(1.0)
        screenshot(shot_prefix + "generate-classes.png")
        xdotool("type", "--delay", "50", class1[4:])
        key(dlg, "Return")
        if xdotool("search", "--onlyvisible", "--name", "^VAR Generate$"):
            key(dlg, "Return")   # the first Return closed the completion list
    call.join(120)
    ok = call.result is not None and call.result[0] and call.result[1].strip().endswith(" 1)")
    expect(ok, f"generate from the dialog made 1 layer: {call.result}")
    if ok:
        lid = call.result[1].strip()[1:].split()[0]
        name = sf_ok(f"(car (gimp-item-get-name {lid}))", "layer name")
        expect("VAR generate" in name and re.search(r"class=1(\D|$)", name) is not None, f"layer named with its parameters and class 1: {name}")
    if image_win:
        key(image_win, "ctrl+z")
    expect(sf_until(N_LAYERS, "1") == "1", "generate undone")

    # 7. the out-paint dialog's margins: 8 px on the left grow the canvas
    call = Call(proc("outpaint", "RUN-INTERACTIVE"))
    call.start()
    dlg = wait_window("^VAR Out-paint$")
    if expect(dlg is not None, "the VAR Out-paint dialog opened"):
        key(dlg, "alt+l" if gimp3 else "alt+e")
        key(dlg, "ctrl+a")
        xdotool("type", "--delay", "50", "8")
        key(dlg, "alt+u" if gimp3 else "alt+h")   # untick "Match colours at the edge": pasted as decoded
        screenshot(shot_prefix + "outpaint-dialog.png", dlg)
        key(dlg, "Return")
    call.join(120)
    expect(call.result is not None and call.result[0], f"out-paint from the dialog: {call.result}")
    if call.result is not None and call.result[0] and call.result[1].strip().startswith("("):
        lid = call.result[1].strip()[1:].split()[0]
        name = sf_ok(f"(car (gimp-item-get-name {lid}))", "layer name")
        expect("VAR outpaint" in name and " seamless=0" in name,
               f"the dialog's unticked seamless blend reached libvar: {name}")
    w = sf_ok(WIDTH, "canvas width")
    expect(w == "104", f"the canvas grew by the dialog's 8 px ({w})")
    if image_win:
        key(image_win, "ctrl+z")
    expect(sf_until(WIDTH, "96") == "96", "out-paint undone")
    sf_ok("(gimp-image-clean-all img)", "clean before quitting")
except Exception as e:
    expect(False, f"unexpected {type(e).__name__}: {e}")
finish()
