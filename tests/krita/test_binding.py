#!/usr/bin/python3
"""Unit tests of the Krita plug-in's ctypes binding against the built libvar.

Run by meson with plain /usr/bin/python3 (Krita's Python):
    LIBVAR_PATH       the built shared library
    LIBVAR_LAYOUT     the struct_layout program (sizeof/offsetof from the C compiler)
    LIBVAR_HEADER     core/include/var.h
    LIBVAR_TINY       the folder of the tiny golden models (vae_ch32v64z8.pth, var_d2.pth; 64 px)
    LIBVAR_VERSION    the project version
and plugins/krita on PYTHONPATH.  Test classes can be picked on the command
line (unittest's usual way): meson runs the API classes and the model classes
as two tests.
"""

import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from libvar_krita import libvar as L
from libvar_krita import pixels

TINY = os.environ.get("LIBVAR_TINY", "")
SIZE = 64  # the tiny model's native image size


def test_image(width, height, alpha=255):
    """A smooth RGBA gradient (so an encoder sees structure, not noise)."""
    rows = []
    for y in range(height):
        rows.append(bytes(v for x in range(width)
                          for v in ((4 * x) & 255, (4 * y) & 255, (2 * (x + y)) & 255, alpha)))
    return b"".join(rows)


def rect_mask(width, height, x0, y0, x1, y1, value=255):
    return bytes(value if x0 <= x < x1 and y0 <= y < y1 else 0
                 for y in range(height) for x in range(width))


def pixel(data, width, x, y):
    i = 4 * (y * width + x)
    return data[i:i + 4]


class LayoutTest(unittest.TestCase):
    """The ctypes mirror has the compiler's layout and every function of var.h."""

    def test_struct_layout(self):
        out = subprocess.run([os.environ["LIBVAR_LAYOUT"]], check=True, capture_output=True, text=True).stdout
        layout = json.loads(out)
        self.assertEqual(set(layout), set(L.STRUCTS), "structs of var.h vs the binding")
        for cname, spec in layout.items():
            cls = L.STRUCTS[cname]
            with self.subTest(struct=cname):
                self.assertEqual(ctypes.sizeof(cls), spec["size"])
                self.assertEqual([f for f, _ in cls._fields_], list(spec["fields"]))
                for field, offset in spec["fields"].items():
                    self.assertEqual(getattr(cls, field).offset, offset, field)

    def test_every_function_declared(self):
        with open(os.environ["LIBVAR_HEADER"]) as fp:
            header = re.sub(r"/\*.*?\*/", "", fp.read(), flags=re.S)
        decls = re.findall(r"VAR_API\s+[^;(]*?\b(var_\w+)\s*\(([^)]*)\)\s*;", header)
        self.assertGreater(len(decls), 40)
        names = {name for name, _ in decls}
        self.assertEqual(names, set(L.PROTOTYPES), "functions of var.h vs the binding")
        for name, params in decls:
            params = params.strip()
            n = 0 if params in ("", "void") else params.count(",") + 1
            with self.subTest(function=name):
                self.assertEqual(len(L.PROTOTYPES[name][1]), n)
                self.assertTrue(callable(getattr(L.lib(), name)))


class LibraryTest(unittest.TestCase):
    def test_version(self):
        self.assertEqual(L.version(), os.environ.get("LIBVAR_VERSION", L.version()))
        self.assertRegex(L.version(), r"^\d+\.\d+\.\d+")

    def test_library_found_through_env(self):
        self.assertEqual(os.path.realpath(L.library_path()), os.path.realpath(os.environ["LIBVAR_PATH"]))

    def test_missing_library_is_reported(self):
        with self.assertRaises(L.LibraryNotFound) as cm:
            L.load_library("/nonexistent/libvar.so")
        self.assertIn("/nonexistent/libvar.so", str(cm.exception))

    def test_strerror(self):
        self.assertEqual(L.strerror(L.Status.CANCELLED), "cancelled")
        self.assertEqual(L.strerror(L.Status.NOT_FOUND), "not found")

    def test_backends(self):
        backends = L.backends_available()
        self.assertIn("cpu", [ident for ident, _ in backends])
        with L.Context(backend="cpu", n_threads=1) as ctx:
            self.assertEqual(ctx.backend_name, "cpu")
            self.assertEqual(ctx.n_threads, 1)

    def test_bad_backend_raises_with_message(self):
        with self.assertRaises(L.VarError) as cm:
            L.Context(backend="no-such-backend")
        self.assertTrue(cm.exception.message)
        self.assertIn(cm.exception.status, (L.Status.BACKEND, L.Status.INVALID_ARGUMENT, L.Status.NOT_FOUND))

    def test_class_names(self):
        names = L.imagenet_class_names()
        self.assertEqual(len(names), 1000)
        self.assertEqual(names[207], "golden retriever")
        self.assertIsNone(L.imagenet_class_name(1000))
        self.assertIsNone(L.imagenet_class_name(-1))
        self.assertEqual(L.imagenet_class_find("Golden Retriever"), 207)
        self.assertEqual(L.imagenet_class_synonyms(0), "tench, Tinca tinca")
        self.assertEqual(L.imagenet_class_find("Tinca tinca"), 0)
        self.assertIsNone(L.imagenet_class_synonyms(1000))
        self.assertEqual(L.imagenet_class_find("no such class at all"), -1)

    def test_edit_params_defaults(self):
        p = L.edit_params()
        self.assertEqual((round(p.sample.cfg, 3), p.sample.top_k, round(p.sample.top_p, 3)), (4.0, 900, 0.95))
        self.assertEqual(p.class_label, -1)
        self.assertGreaterEqual(p.variants, 1)
        p = L.edit_params(seed=11, cfg=1.5, variants=3)
        self.assertEqual((p.sample.seed, p.sample.cfg, p.variants), (11, 1.5, 3))
        with self.assertRaises(TypeError):
            L.edit_params(colour="red")
        p = L.edit_params()
        self.assertEqual((p.fill, p.strength, p.seamless), (L.Fill.SMOOTH, 1.0, 1))

    def test_docker_settings_to_params(self):
        from libvar_krita import edits
        p = edits.Settings().edit_params()
        self.assertEqual((p.fill, p.strength), (L.Fill.SMOOTH, 1.0))
        p = edits.Settings(keep_masked=True, strength=0.25, seed=4, seamless=False).edit_params()
        self.assertEqual((p.fill, p.strength, p.sample.seed, p.seamless), (L.Fill.ORIGINAL, 0.25, 4, 0))


class SymbolBindingTest(unittest.TestCase):
    """Inside Krita another CBLAS (GSL's reference libgslcblas) is already
    loaded globally; libvar's cblas_sgemm must still bind to the BLAS libvar
    was linked with, or generation gets tens of times slower.  The check
    reproduces that process layout and reads the dynamic linker's own account
    of the binding (LD_DEBUG=bindings), so it does not depend on timing."""

    def test_blas_not_interposed(self):
        import ctypes.util
        import tempfile

        foreign = ctypes.util.find_library("gslcblas")
        with open(os.environ["LIBVAR_PATH"], "rb") as fp:
            uses_cblas = b"cblas_sgemm" in fp.read()
        if not foreign or not uses_cblas:
            print(f"(nothing to interpose here: libgslcblas {foreign}, libvar uses cblas_sgemm: {uses_cblas})")
            return
        script = (
            "import ctypes, os\n"
            f"ctypes.CDLL({foreign!r}, mode=ctypes.RTLD_GLOBAL)\n"
            "from libvar_krita import libvar as L\n"
            "ctx = L.Context(backend='cpu')\n"
            "m = L.Model.load_dir(ctx, os.environ['LIBVAR_TINY'])\n"
            "m.generate(L.edit_params(seed=1))\n")
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, LD_DEBUG="bindings", LD_DEBUG_OUTPUT=os.path.join(tmp, "ld"))
            subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=300)
            lines = []
            for name in os.listdir(tmp):
                with open(os.path.join(tmp, name), errors="replace") as fp:
                    lines += [line for line in fp if "`cblas_sgemm'" in line and "libvar" in line]
        self.assertTrue(lines, "libvar's cblas_sgemm binding was not seen")
        for line in lines:
            self.assertNotIn("gslcblas", line)


class ModelFolderTest(unittest.TestCase):
    """Model files are looked for and read without needing a working model."""

    def setUp(self):
        self.ctx = L.Context(backend="cpu")

    def tearDown(self):
        self.ctx.close()

    def test_missing_folder(self):
        with self.assertRaises(L.VarError) as cm:
            L.Model.load_dir(self.ctx, "/nonexistent/models")
        self.assertIn(cm.exception.status, (L.Status.NOT_FOUND, L.Status.IO))
        self.assertIn("/nonexistent/models", cm.exception.message)

    def test_checkpoint_listing(self):
        tensors = dict((n, (d, s)) for n, d, s in L.checkpoint_tensors(self.ctx, os.path.join(TINY, "var_d2.pth")))
        self.assertEqual(tensors["class_emb.weight"], ("float32", (11, 32)))


class ModelLoadErrorTest(unittest.TestCase):
    """Bad model files raise VarError with the library's message."""

    def setUp(self):
        self.ctx = L.Context(backend="cpu")

    def tearDown(self):
        self.ctx.close()

    def test_not_a_checkpoint(self):
        with self.assertRaises(L.VarError) as cm:
            L.Model.load(self.ctx, os.environ["LIBVAR_HEADER"], os.path.join(TINY, "var_d2.pth"))
        self.assertIn(cm.exception.status, (L.Status.FORMAT, L.Status.IO, L.Status.UNSUPPORTED))
        self.assertTrue(cm.exception.message)
        self.assertEqual(str(cm.exception), cm.exception.message)

    def test_swapped_files(self):
        with self.assertRaises(L.VarError) as cm:
            L.Model.load(self.ctx, os.path.join(TINY, "var_d2.pth"), os.path.join(TINY, "vae_ch32v64z8.pth"))
        self.assertNotEqual(cm.exception.status, L.Status.NOT_IMPLEMENTED)
        self.assertTrue(cm.exception.message)


class TinyModelTest(unittest.TestCase):
    """In-paint, out-paint and generate on the 64 px golden model."""

    @classmethod
    def setUpClass(cls):
        cls.ctx = L.Context(backend="cpu")
        cls.model = L.Model.load_dir(cls.ctx, TINY)

    @classmethod
    def tearDownClass(cls):
        cls.model.close()
        cls.ctx.close()

    def test_info(self):
        mi = self.model.info()
        self.assertEqual((self.model.name, mi.image_size, mi.num_classes), ("var_d2", SIZE, 10))
        self.assertEqual(mi.image_size, mi.token_cell * mi.schedule.patch_nums[-1])
        info = self.model.transformer_info()
        self.assertEqual((info.depth, info.num_classes, info.image_size), (2, 10, SIZE))
        self.assertEqual(info.schedule.patch_nums, [1, 2, 3, 4])
        self.assertEqual(self.model.vqvae_info().vocab_size, 64)

    def test_verify(self):
        # var_model_verify: both files read end to end (CRCs, finite values), once per process
        self.model.verify()
        self.model.verify()

    def test_verify_damaged(self):
        # one flipped bit in the transformer's tensor data: it still loads, but does not verify
        with tempfile.TemporaryDirectory() as d:
            for f in os.listdir(TINY):
                if f.endswith(".pth"):
                    shutil.copy(os.path.join(TINY, f), d)
            path = os.path.join(d, "var_d2.pth")
            with open(path, "rb") as fp:
                data = bytearray(fp.read())
            data[len(data) // 2] ^= 0x20
            with open(path, "wb") as fp:
                fp.write(data)
            model = L.Model.load_dir(self.ctx, d)
            try:
                with self.assertRaises(L.VarError) as cm:
                    model.verify()
                self.assertIn("var_d2.pth", str(cm.exception))
                self.assertIn("CRC-32", str(cm.exception))
            finally:
                model.close()

    def test_model_class_names(self):
        # the tiny golden model has 10 unnamed classes; the shipped demo model names its six in classes.txt
        self.assertIsNone(self.model.class_name(0))
        self.assertEqual(self.model.class_names(), [])
        demo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "demo")
        with L.Model.load_dir(self.ctx, demo) as m:
            self.assertEqual([n for _, n in m.class_names()],
                             ["stripes", "checkerboard", "gradient", "rings", "dots", "blob"])
            self.assertEqual(m.class_find("Rings"), 3)
            self.assertEqual(m.class_find("nope"), -1)
            self.assertIsNone(m.class_name(6))

    def test_explicit_paths(self):
        with L.Model.load(self.ctx, os.path.join(TINY, "vae_ch32v64z8.pth"), os.path.join(TINY, "var_d2.pth")) as m:
            self.assertEqual(m.transformer_info().depth, 2)

    def test_inpaint_keeps_unmasked_pixels(self):
        w, h = SIZE, SIZE
        image, mask = test_image(w, h), rect_mask(w, h, 16, 20, 40, 44)
        results = self.model.inpaint(image, w, h, mask, L.edit_params(seed=3, variants=2, class_label=4))
        self.assertEqual(len(results), 2)
        self.assertEqual([r.seed for r in results], [3, 4])
        for r in results:
            self.assertEqual((r.width, r.height, len(r.rgba)), (w, h, w * h * 4))
            self.assertIn("inpaint", r.description)
            self.assertIn(f"seed={r.seed}", r.description)
            changed = pixels.changed_pixels(image, r.rgba)
            outside = [i for i in range(w * h) if mask[i] == 0 and changed[i]]
            self.assertEqual(outside, [], "pixels outside the mask changed")
            self.assertTrue(any(changed[i] for i in range(w * h) if mask[i]), "nothing was in-painted")
        self.assertNotEqual(results[0].rgba, results[1].rgba, "two seeds gave the same image")

    def test_inpaint_is_deterministic(self):
        w, h = SIZE, SIZE
        image, mask = test_image(w, h), rect_mask(w, h, 8, 8, 24, 24)
        a = self.model.inpaint(image, w, h, mask, L.edit_params(seed=9))
        b = self.model.inpaint(image, w, h, mask, L.edit_params(seed=9))
        self.assertEqual(a[0].rgba, b[0].rgba)

    def test_inpaint_soft_mask_any_size(self):
        w, h = 80, 48
        image = test_image(w, h)
        mask = bytes((255 if 30 <= x < 50 else 128 if 26 <= x < 54 else 0) if 10 <= y < 38 else 0
                     for y in range(h) for x in range(w))
        r = self.model.inpaint(image, w, h, mask, L.edit_params(seed=1))[0]
        self.assertEqual((r.width, r.height), (w, h))
        changed = pixels.changed_pixels(image, r.rgba)
        self.assertFalse(any(changed[i] for i in range(w * h) if mask[i] == 0))

    def test_inpaint_rejects_bad_input(self):
        with self.assertRaises(L.VarError):
            self.model.inpaint(b"\0" * 10, SIZE, SIZE, b"\0" * SIZE * SIZE)
        with self.assertRaises(L.VarError):
            self.model.inpaint(test_image(SIZE, SIZE), SIZE, SIZE, b"\0" * 5)
        with self.assertRaises(L.VarError) as cm:
            self.model.inpaint(test_image(SIZE, SIZE), SIZE, SIZE, bytes(SIZE * SIZE))
        self.assertEqual(cm.exception.status, L.Status.INVALID_ARGUMENT, "empty mask")

    def test_outpaint_margins(self):
        w, h, left, top, right, bottom = 48, 40, 8, 16, 8, 8
        image = test_image(w, h)
        r = self.model.outpaint(image, w, h, left, top, right, bottom, L.edit_params(seed=5))[0]
        nw, nh = left + w + right, top + h + bottom
        self.assertEqual((r.width, r.height), (nw, nh))
        self.assertIn("outpaint", r.description)
        for y in range(h):
            row = r.rgba[4 * ((top + y) * nw + left): 4 * ((top + y) * nw + left + w)]
            self.assertEqual(row, image[4 * w * y: 4 * w * (y + 1)], f"original row {y} changed")
        self.assertEqual(pixel(r.rgba, nw, 0, 0)[3], 255, "the new area is not opaque")
        self.assertEqual(pixel(r.rgba, nw, nw - 1, nh - 1)[3], 255)

    def test_outpaint_fills_transparent_area(self):
        w, h = SIZE, SIZE
        image = bytearray(test_image(w, h))
        for y in range(h):
            for x in range(48, w):
                image[4 * (y * w + x) + 3] = 0
        image = bytes(image)
        r = self.model.outpaint(image, w, h, params=L.edit_params(seed=2))[0]
        self.assertEqual((r.width, r.height), (w, h))
        changed = pixels.changed_pixels(image, r.rgba)
        self.assertFalse(any(changed[y * w + x] for y in range(h) for x in range(48)), "opaque pixels changed")
        self.assertTrue(all(pixel(r.rgba, w, x, y)[3] == 255 for y in range(h) for x in range(48, w)),
                        "transparent pixels were not filled")

    def test_generate(self):
        results = self.model.generate(L.edit_params(seed=7, class_label=3, variants=2))
        self.assertEqual([(r.width, r.height, r.seed) for r in results], [(SIZE, SIZE, 7), (SIZE, SIZE, 8)])
        self.assertIn("generate", results[0].description)
        alone = self.model.generate(L.edit_params(seed=8, class_label=3))[0]
        self.assertEqual(alone.rgba, results[1].rgba, "an image depends on its seed only")

    def test_class_out_of_range(self):
        with self.assertRaises(L.VarError) as cm:
            self.model.generate(L.edit_params(class_label=500))
        self.assertTrue(cm.exception.message)

    def test_progress_reports(self):
        seen = []
        self.ctx.set_progress(lambda p: seen.append(p) and False)
        try:
            self.model.generate(L.edit_params(seed=1, variants=2))
        finally:
            self.ctx.set_progress(None)
        self.assertTrue(seen, "no progress reported")
        fractions = [p.fraction for p in seen]
        self.assertEqual(fractions, sorted(fractions))
        self.assertTrue(all(0.0 <= f <= 1.0 for f in fractions))
        self.assertEqual({p.variants for p in seen}, {2})

    def test_progress_return_value_cancels(self):
        self.ctx.begin_job()
        self.ctx.set_progress(lambda p: True)
        try:
            with self.assertRaises(L.VarError) as cm:
                self.model.generate(L.edit_params(seed=1))
        finally:
            self.ctx.set_progress(None)
        self.assertTrue(cm.exception.cancelled)
        # the context is usable again
        self.assertEqual(len(self.model.generate(L.edit_params(seed=1))), 1)

    def test_cancel_from_another_thread(self):
        """var_ctx_cancel from a second thread stops an in-paint running in a worker."""
        w, h = SIZE, SIZE
        image, mask = test_image(w, h), rect_mask(w, h, 0, 0, 32, 64)
        started, cancelled = threading.Event(), threading.Event()
        outcome = {}

        def on_progress(p):
            started.set()
            # hold the computation until the main thread has cancelled, so the
            # test does not depend on how fast the tiny model is
            cancelled.wait(10)
            return False

        def work():
            try:
                outcome["result"] = self.model.inpaint(image, w, h, mask, L.edit_params(seed=1, variants=4))
            except L.VarError as exc:
                outcome["error"] = exc

        self.ctx.begin_job()
        self.ctx.set_progress(on_progress)
        try:
            t = threading.Thread(target=work)
            t.start()
            self.assertTrue(started.wait(30), "no progress callback")
            self.ctx.cancel()
            cancelled.set()
            t.join(30)
            self.assertFalse(t.is_alive())
        finally:
            self.ctx.set_progress(None)
            self.ctx.begin_job()
        self.assertNotIn("result", outcome)
        self.assertTrue(outcome["error"].cancelled, outcome["error"])
        # a cancelled call leaves the context usable
        self.assertEqual(len(self.model.inpaint(image, w, h, mask, L.edit_params(seed=1))), 1)

    def test_cancel_before_the_call(self):
        self.ctx.cancel()
        try:
            with self.assertRaises(L.VarError) as cm:
                self.model.generate(L.edit_params(seed=1))
            self.assertTrue(cm.exception.cancelled)
        finally:
            self.ctx.begin_job()

    def test_calls_release_the_gil(self):
        """Another Python thread keeps running while libvar computes (the docker's GUI must not freeze)."""
        ticks = []
        stop = threading.Event()

        def ticker():
            while not stop.is_set():
                ticks.append(time.monotonic())
                time.sleep(0.001)

        t = threading.Thread(target=ticker)
        t.start()
        try:
            t0 = time.monotonic()
            self.model.generate(L.edit_params(seed=1, variants=4))
            t1 = time.monotonic()
        finally:
            stop.set()
            t.join()
        during = [x for x in ticks if t0 <= x <= t1]
        if t1 - t0 > 0.05:
            self.assertGreater(len(during), 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
