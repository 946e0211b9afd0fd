#!/usr/bin/python3
"""Unit tests of the plug-in's pixel helpers and GUI-free pieces (plain Python).

The helpers avoid per-pixel Python loops; these tests compare them with the
obvious per-pixel definitions."""

import os
import random
import tempfile
import unittest

from libvar_krita import pixels
from libvar_krita.engine import MODEL_FILES, transformer_names


def slow_changed(a, b):
    return bytes(255 if a[i:i + 4] != b[i:i + 4] else 0 for i in range(0, len(a), 4))


class PixelTest(unittest.TestCase):
    def setUp(self):
        rnd = random.Random(5)
        self.a = bytes(rnd.randrange(256) for _ in range(4 * 257))
        b = bytearray(self.a)
        for i in rnd.sample(range(len(b)), 100):
            b[i] ^= 1 << rnd.randrange(8)
        self.b = bytes(b)

    def test_swap_red_blue(self):
        self.assertEqual(pixels.swap_red_blue(bytes([1, 2, 3, 4, 5, 6, 7, 8])), bytes([3, 2, 1, 4, 7, 6, 5, 8]))
        self.assertEqual(pixels.swap_red_blue(pixels.swap_red_blue(self.a)), self.a)

    def test_changed_pixels(self):
        self.assertEqual(pixels.changed_pixels(self.a, self.b), slow_changed(self.a, self.b))
        self.assertEqual(pixels.changed_pixels(self.a, self.a), bytes(len(self.a) // 4))
        self.assertEqual(pixels.changed_pixels(b"", b""), b"")
        with self.assertRaises(ValueError):
            pixels.changed_pixels(self.a, self.a[:-4])

    def test_changed_pixels_leading_zero_bytes(self):
        # int.from_bytes must not drop leading zero bytes of the result
        a = bytes(4 * 8)
        b = bytearray(a)
        b[-1] = 9
        self.assertEqual(pixels.changed_pixels(a, bytes(b)), bytes(7) + b"\xff")

    def test_keep_only(self):
        keep = slow_changed(self.a, self.b)
        out = pixels.keep_only(self.b, keep)
        for i in range(len(keep)):
            expect = self.b[4 * i:4 * i + 4] if keep[i] else bytes(4)
            self.assertEqual(out[4 * i:4 * i + 4], expect)

    def test_layer_pixels(self):
        out = pixels.layer_pixels(self.a, self.b)
        keep = slow_changed(self.a, self.b)
        for i in range(len(keep)):
            px = out[4 * i:4 * i + 4]
            if keep[i]:
                r, g, b_, a = self.b[4 * i:4 * i + 4]
                self.assertEqual(px, bytes([b_, g, r, a]))
            else:
                self.assertEqual(px, bytes(4))

    def test_transparency(self):
        data = bytes([1, 2, 3, 255, 4, 5, 6, 0, 7, 8, 9, 10])
        self.assertEqual(pixels.transparent_pixels(data), bytes([0, 255, 0]))
        self.assertTrue(pixels.has_transparent_pixel(data))
        self.assertFalse(pixels.has_transparent_pixel(bytes([0, 0, 0, 1])))
        self.assertTrue(pixels.is_empty_mask(bytes(10)))
        self.assertFalse(pixels.is_empty_mask(bytes(9) + b"\x01"))

    def test_pad(self):
        w, h = 3, 2
        data = bytes(range(4 * w * h))
        out = pixels.pad(data, w, h, 1, 2, 3, 1)
        nw, nh = 1 + w + 3, 2 + h + 1
        self.assertEqual(len(out), 4 * nw * nh)
        for y in range(nh):
            for x in range(nw):
                px = out[4 * (y * nw + x):4 * (y * nw + x + 1)]
                if 2 <= y < 2 + h and 1 <= x < 1 + w:
                    i = 4 * ((y - 2) * w + x - 1)
                    self.assertEqual(px, data[i:i + 4])
                else:
                    self.assertEqual(px, bytes(4))

    def test_large_buffers_are_fast_enough(self):
        import time

        a = bytes(4 * 1024 * 1024)
        b = bytearray(a)
        b[123457] = 1
        t0 = time.monotonic()
        keep = pixels.changed_pixels(a, bytes(b))
        pixels.layer_pixels(a, bytes(b))
        self.assertEqual(keep.count(255), 1)
        self.assertLess(time.monotonic() - t0, 5.0)


class ModelFolderTest(unittest.TestCase):
    def test_transformer_names(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("var_d20.pth", "var_d16.pth", "var_d2.safetensors", "vae_ch160v4096z32.pth",
                         "notes.txt", "var_d30.pth.part"):
                open(os.path.join(d, name), "w").close()
            self.assertEqual(transformer_names(d), ["var_d2", "var_d16", "var_d20"])
        self.assertEqual(transformer_names("/nonexistent"), [])


class FirstUseTest(unittest.TestCase):
    def test_same_words_as_the_cli(self):
        """The docker's first-use hint says what `var --help` says about the model files."""
        import subprocess

        out = subprocess.run([os.environ["LIBVAR_CLI"], "--help"], capture_output=True, text=True, check=True).stdout
        self.assertIn(MODEL_FILES, " ".join(out.split()))


class QtChoiceTest(unittest.TestCase):
    """libvar_krita.qt takes the PyQt already loaded (Krita's), else PyQt5, and loads no other."""

    def choice(self, preload, krita_version=None):
        """QT_MAJOR and the PyQt modules loaded in a fresh interpreter; krita_version:
        a `krita` module that loads no PyQt and reports this Krita version."""
        import subprocess
        import sys

        code = (f"{preload}\nimport sys\nfrom libvar_krita import qt\n"
                "print(qt.QT_MAJOR, sorted(m for m in ('PyQt5', 'PyQt6') if m in sys.modules))")
        env = dict(os.environ)
        paths = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plugins", "krita")]
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        if krita_version:
            with open(os.path.join(tmp.name, "krita.py"), "w") as fp:
                fp.write("class Krita:\n    @staticmethod\n    def instance():\n        return Krita()\n"
                         f"    def version(self):\n        return {krita_version!r}\n")
            paths.insert(0, tmp.name)
        env["PYTHONPATH"] = os.pathsep.join(paths)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def test_nothing_loaded_takes_pyqt5(self):
        self.assertEqual(self.choice(""), "5 ['PyQt5']")

    def test_krita6_pyqt6_loaded(self):
        self.assertEqual(self.choice("import PyQt6.QtCore"), "6 ['PyQt6']")

    def test_krita5_pyqt5_loaded(self):
        self.assertEqual(self.choice("import PyQt5.QtCore"), "5 ['PyQt5']")

    def test_krita_version_decides_when_no_pyqt_is_loaded(self):
        self.assertEqual(self.choice("", "6.0.1"), "6 ['PyQt6']")
        self.assertEqual(self.choice("", "5.2.9"), "5 ['PyQt5']")

    def test_only_qt_py_imports_pyqt(self):
        """Every other module takes Qt from libvar_krita.qt; the ctypes binding takes no Qt at all."""
        import re

        folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plugins", "krita",
                              "libvar_krita")
        pyqt = re.compile(r"^\s*(from|import)\s+(PyQt\d|sip\b)", re.M)
        anyqt = re.compile(r"^\s*(from|import)\s+(\S*qt\b|PyQt)", re.M | re.I)
        sources = sorted(f for f in os.listdir(folder) if f.endswith(".py"))
        self.assertIn("libvar.py", sources)
        for name in sources:
            with open(os.path.join(folder, name)) as fp:
                text = fp.read()
            if name != "qt.py":
                self.assertIsNone(pyqt.search(text), name)
            if name in ("libvar.py", "errors.py", "pixels.py"):
                self.assertIsNone(anyqt.search(text), name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
