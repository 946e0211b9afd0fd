#!/usr/bin/env python3
"""compare_cli.py LINUX_VAR WIN_VAR HOSTILE_EXE DEMO_DIR OUT_DIR

var.exe (the Windows build, run through meson's exe wrapper, Wine) against a
Linux build's var of the same tree on the same commands (a build with the same
portable SGEMM, -Dblas=disabled: OpenBLAS sums in another order, which moves a
pixel by one level here and there):
  - generate, inpaint and outpaint (and inspect, classes) on the demo model: the
    same exit status, the same output text, and the same decoded pixels;
  - hostile checkpoints (written by hostile_ckpts.exe with tests/ckpt_writer.c),
    missing files and folders: the same exit status and the same error message.
Each comparison is one check; the closing 'Run Summary' row has CUnit's layout
so that scripts/summarize-tests.py counts the checks one by one.  It also prints
the wall time of every command on both builds and their ratio.
Standard library only (PNGs decoded by tests/gimp/pngcheck.py: 8-bit,
non-interlaced, what var writes; anything else is a failure, not skipped)."""
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "gimp")]
from pngcheck import read_png  # noqa: E402
from winrun import Checks, run_files  # noqa: E402


def png_pixels(path):
    """(width, height, channels, bytes) of an 8-bit non-interlaced PNG (the
    GIMP tests' reader, tests/gimp/pngcheck.py)."""
    try:
        return read_png(path)
    except AssertionError as e:
        raise ValueError(f"{path}: not decoded here ({e})")


def main():
    linux_var, win_var, hostile_exe, demo, out = sys.argv[1:6]
    wrapper = os.environ.get("MESON_EXE_WRAPPER", "").split()
    shutil.rmtree(out, ignore_errors=True)
    dirs = {k: os.path.join(out, k) for k in ("linux", "win", "hostile")}
    for d in dirs.values():
        os.makedirs(d)
    check = Checks()
    times = {"linux": 0.0, "win": 0.0}

    def run(side, args):
        cmd = ([linux_var] if side == "linux" else wrapper + [os.path.abspath(win_var)]) + args
        t0 = time.monotonic()
        rc, o, e = run_files(cmd, dirs[side])
        times[side] += time.monotonic() - t0
        # text mode on Windows writes CRLF: the same text either way
        return rc, o.replace(b"\r\n", b"\n"), e.replace(b"\r\n", b"\n")

    def same(name, args, png=None, must_fail=False):
        t0 = times["win"]
        a, b = run("linux", args), run("win", args)
        print(f"  ({times['win'] - t0:.2f} s under Wine)")
        detail = f"linux rc={a[0]} {a[2][-300:]!r}, windows rc={b[0]} {b[2][-300:]!r}"
        check(f"{name}: exit status", a[0] == b[0] and (a[0] != 0) == must_fail, detail)
        check(f"{name}: output and messages", a[1:] == b[1:], f"linux {a[1:]!r} windows {b[1:]!r}")
        if must_fail:
            check(f"{name}: an error message", len(b[2].strip()) > 0, "empty stderr")
        if png:
            try:
                pa = png_pixels(os.path.join(dirs["linux"], png))
                pb = png_pixels(os.path.join(dirs["win"], png))
                diff = sum(x != y for x, y in zip(pa[3], pb[3])) if pa[:3] == pb[:3] else -1
                check(f"{name}: identical pixels ({pa[0]}x{pa[1]}x{pa[2]})", pa == pb,
                      f"sizes {pa[:3]} vs {pb[:3]}, {diff} bytes differ")
            except (OSError, ValueError) as e:
                check(f"{name}: identical pixels", False, str(e))

    # A first Wine run may set up the prefix and say so on stderr: not part of a check.
    run_files(wrapper + [os.path.abspath(win_var), "version"], out)
    img, mask = os.path.join(demo, "example.png"), os.path.join(demo, "mask.png")
    model = ["--model-dir", demo]
    same("generate (class 3, default sampling)", ["generate", "--class", "3", "--seed", "0"] + model +
         ["--out", "gen.png"], "gen.png")
    same("generate (class 5, top-k 1, cfg 1.5)", ["generate", "--class", "5", "--seed", "7", "--top-k", "1",
                                                  "--cfg", "1.5"] + model + ["--out", "gen2.png"], "gen2.png")
    same("inpaint (README settings)", ["inpaint", img, "--mask", mask, "--seed", "0", "--top-k", "1",
                                       "--strength", "0.25", "--grow", "0", "--margin", "32"] + model +
         ["--out", "inpaint.png"], "inpaint.png")
    same("inpaint (defaults, seamless)", ["inpaint", img, "--mask", mask, "--seed", "3"] + model +
         ["--out", "inpaint2.png"], "inpaint2.png")
    same("outpaint (8 px left and right)", ["outpaint", img, "--extend", "8,0,8,0", "--seed", "1"] + model +
         ["--out", "outpaint.png"], "outpaint.png")
    same("outpaint (24 px, several windows)", ["outpaint", img, "--extend", "24", "--seed", "2"] + model +
         ["--out", "outpaint2.png"], "outpaint2.png")
    same("inspect the demo transformer", ["inspect", os.path.join(demo, "var_demo.pth"), "--tensors"])
    same("classes matching \"fish\"", ["classes", "fish"])

    # Hostile checkpoints, written by the Windows build of tests/ckpt_writer.c.
    rc, _, err = run_files(wrapper + [os.path.abspath(hostile_exe), dirs["hostile"], os.path.join(demo, "var_demo.pth")],
                           out)
    check("hostile checkpoints written", rc == 0, err.decode(errors="replace"))
    for f in sorted(os.listdir(dirs["hostile"])):
        same(f"hostile {f}", ["inspect", os.path.join(dirs["hostile"], f)], must_fail=True)
    same("a missing file", ["inspect", os.path.join(out, "no-such-file.pth")], must_fail=True)
    same("a folder as checkpoint", ["inspect", dirs["hostile"]], must_fail=True)
    # a model folder whose transformer is cut short: the model load fails the same way
    bad = os.path.join(out, "bad-model")
    os.makedirs(bad)
    shutil.copy(os.path.join(demo, "vae_demo.pth"), bad)
    with open(os.path.join(demo, "var_demo.pth"), "rb") as src, open(os.path.join(bad, "var_demo.pth"), "wb") as dst:
        dst.write(src.read()[:100000])
    same("generate with a truncated transformer", ["generate", "--model-dir", bad, "--out", "x.png"], must_fail=True)
    same("generate from a missing model folder", ["generate", "--model-dir", os.path.join(out, "none"),
                                                  "--out", "x.png"], must_fail=True)

    ratio = times["win"] / times["linux"] if times["linux"] > 0 else float("nan")
    print(f"wall time of the commands: Linux {times['linux']:.2f} s, var.exe under Wine {times['win']:.2f} s "
          f"(ratio {ratio:.2f}, Wine start-up included)")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
