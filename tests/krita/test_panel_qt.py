#!/usr/bin/python3
"""The docker's panel and worker outside Krita, under the PyQt that a stand-in
`krita` module loads first ($LIBVAR_FAKE_KRITA_QT: 6 as Krita 6 does, or 5):
the Qt module picks it, the widgets build, settings round-trip through Krita's
settings calls, the first use says which files to put where, a real in-paint
on the demo model (models/demo) runs through the worker thread, and Cancel
stops one.  Qt's offscreen platform, so no display is needed."""

import atexit
import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "models", "demo")
QT = os.environ.get("LIBVAR_FAKE_KRITA_QT", "6")
W = H = 64

# a HOME without models and no $VAR_MODEL_DIR, before libvar reads them: the first-use case
_home = tempfile.mkdtemp(prefix="libvar-panel-qt-")
atexit.register(shutil.rmtree, _home, True)
os.environ["HOME"] = _home
os.environ.pop("VAR_MODEL_DIR", None)
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("XDG_RUNTIME_DIR", _home)
sys.path.insert(0, os.path.join(HERE, "fake"))

import krita  # noqa: E402  (the stand-in: loads PyQt<QT> first, as Krita does)

import libvar_krita  # noqa: E402,F401  (registers the docker with the stand-in Krita)
from libvar_krita import edits, engine, qt  # noqa: E402
from libvar_krita.docker import DOCKER_ID, VarDocker  # noqa: E402
from libvar_krita.panel import VarPanel  # noqa: E402

app = qt.QtWidgets.QApplication(["test_panel_qt"])


def gradient_bgra(w, h):
    return b"".join(bytes(v for x in range(w) for v in ((3 * (x + y)) & 255, (4 * y) & 255, (4 * x) & 255, 255))
                    for y in range(h))


def rect_mask(x0, y0, sw, sh):
    return bytes(255 if x0 <= x < x0 + sw and y0 <= y < y0 + sh else 0 for y in range(H) for x in range(W))


def make_doc(mask):
    doc = krita.Document(W, H)
    doc.rootNode().childNodes()[0].setPixelData(gradient_bgra(W, H), 0, 0, W, H)
    doc.setSelection(krita.Selection(mask, W, H))
    krita.Krita.instance().docs.append(doc)
    return doc


def wait_for(panel, seconds=120):
    """Runs the event loop until the panel's job ends; returns (signal, args)."""
    outcome = []
    loop = qt.QtCore.QEventLoop()
    done = lambda *args: (outcome.append(("done", args)), loop.quit())  # noqa: E731
    fail = lambda *args: (outcome.append(("failed", args)), loop.quit())  # noqa: E731
    panel.job_done.connect(done)
    panel.job_failed.connect(fail)
    qt.QtCore.QTimer.singleShot(int(seconds * 1000), loop.quit)
    if panel.busy:
        qt.exec_(loop)
    panel.job_done.disconnect(done)
    panel.job_failed.disconnect(fail)
    deadline = time.monotonic() + 10
    while panel.busy and time.monotonic() < deadline:
        loop.processEvents(qt.QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
    return outcome[0] if outcome else ("timeout", ())


class PanelQtTest(unittest.TestCase):
    def setUp(self):
        krita.Krita.instance().settings.clear()

    def make_panel(self, doc=None):
        panel = VarPanel(document_provider=lambda: doc)
        panel.dialogs = False
        self.addCleanup(panel.shutdown)
        return panel

    def test_qt_binding(self):
        self.assertEqual(qt.QT_MAJOR, int(QT))
        self.assertTrue(qt.QT_VERSION.startswith(f"{QT}."), qt.QT_VERSION)
        other = "PyQt5" if QT == "6" else "PyQt6"
        self.assertNotIn(other, sys.modules, "the plug-in imported the other PyQt")

    def test_docker_registered(self):
        factories = krita.Krita.instance().factories
        self.assertEqual([(f.ident, f.position, f.cls) for f in factories], [(DOCKER_ID, 2, VarDocker)])
        docker = VarDocker()
        self.addCleanup(docker.panel.shutdown)
        self.assertIs(docker.widget(), docker.panel)
        self.assertEqual(docker.windowTitle(), "libvar VAR")

    def test_first_use(self):
        panel = self.make_panel(make_doc(rect_mask(8, 8, 16, 16)))
        hint = engine.first_use_hint()
        self.assertIn(engine.MODEL_FILES, hint)
        self.assertIn(os.path.join(_home, ".local", "share", "libvar", "models"), hint)
        self.assertEqual(panel.model_dir.text(), "")
        self.assertEqual(panel.status.text(), hint)
        failures = []
        panel.job_failed.connect(lambda kind, msg: failures.append((kind, msg)))
        self.assertFalse(panel.start("inpaint"))
        self.assertEqual(failures, [("inpaint", hint)])
        self.assertEqual(panel.status.text(), hint)

    def test_first_use_default_folder_with_models(self):
        """A model in libvar's default folder is picked up without asking."""
        folder = os.path.join(_home, ".local", "share", "libvar", "models")
        os.makedirs(folder, exist_ok=True)
        for name in ("var_demo.pth", "vae_demo.pth"):
            os.symlink(os.path.abspath(os.path.join(DEMO, name)), os.path.join(folder, name))
        try:
            panel = self.make_panel()
            self.assertEqual(panel.model_dir.text(), folder)
            self.assertTrue(panel.status.text().startswith("libvar "), panel.status.text())
        finally:
            for name in os.listdir(folder):
                os.unlink(os.path.join(folder, name))

    def test_widgets_and_settings_round_trip(self):
        panel = self.make_panel()
        self.assertGreaterEqual(panel.backend.count(), 2)        # the default entry + libvar's backends
        self.assertEqual(panel.class_box.count(), 1001)          # ImageNet's names without a model
        s = edits.Settings(model_dir=os.path.abspath(DEMO), model_name="var_demo", class_label=3, cfg=2.5,
                           top_k=17, top_p=0.75, seed=1234, variants=3, more_smooth=True, keep_masked=True,
                           strength=0.6, seamless=False, margins=(1, 2, 3, 4))
        panel.set_settings(s, random_each=True)
        self.assertEqual(panel.class_box.count(), 7)             # the demo model's own names
        self.assertEqual(panel.settings(), s)
        panel.persisted.save(panel.settings(), panel.random_each.isChecked())
        again = self.make_panel()
        self.assertEqual(again.settings(), s)
        self.assertTrue(again.random_each.isChecked())

    def test_inpaint_through_worker_and_cancel(self):
        doc = make_doc(rect_mask(16, 8, 32, 24))
        before = bytes(doc.pixelData(0, 0, W, H))
        panel = self.make_panel(doc)
        panel.set_settings(edits.Settings(model_dir=os.path.abspath(DEMO), seed=5, class_label=1))
        progress = []
        self.assertTrue(panel.start("inpaint"))
        panel.thread.progress.connect(lambda f, t: progress.append((f, t)))
        self.assertFalse(panel.inpaint_button.isEnabled())
        self.assertTrue(panel.cancel_button.isEnabled())
        what, args = wait_for(panel)
        self.assertEqual((what, args[0] if args else None), ("done", "inpaint"), panel.status.text())
        self.assertEqual(len(args[1]), 1)
        self.assertIn("1 layer added", panel.status.text())
        self.assertTrue(progress and all(0.0 <= f <= 1.0 for f, _ in progress), progress)
        after = bytes(doc.pixelData(0, 0, W, H))
        mask = doc.selection().mask
        outside = [i for i in range(W * H) if not mask[i] and after[4 * i:4 * i + 4] != before[4 * i:4 * i + 4]]
        inside = [i for i in range(W * H) if mask[i] and after[4 * i:4 * i + 4] != before[4 * i:4 * i + 4]]
        self.assertEqual(outside, [])
        self.assertGreater(len(inside), 32 * 24 // 4)
        layer = args[1][0]
        self.assertTrue("inpaint" in layer.name() and "seed=5" in layer.name(), layer.name())
        self.assertTrue(panel.inpaint_button.isEnabled() and not panel.cancel_button.isEnabled())

        # Cancel, deterministically: the first progress report blocks the worker until Cancel was pressed
        n_layers = len(doc.rootNode().childNodes())
        self.assertTrue(panel.start("inpaint"))

        def on_progress(fraction, text):
            if "loading" not in text and panel.cancel_button.isEnabled():
                panel.cancel_button.click()

        panel.thread.progress.connect(on_progress, qt.Qt.ConnectionType.BlockingQueuedConnection)
        what, args = wait_for(panel)
        self.assertEqual((what, args), ("failed", ("inpaint", "cancelled")), panel.status.text())
        self.assertEqual(len(doc.rootNode().childNodes()), n_layers)
        self.assertIn("cancelled", panel.status.text())

        # and the next job runs again
        self.assertTrue(panel.start("inpaint"))
        what, args = wait_for(panel)
        self.assertEqual(what, "done", panel.status.text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
