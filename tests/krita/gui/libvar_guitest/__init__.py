"""Test driver inside the Krita GUI (under Xvfb): finds the libvar docker that
Krita created from the enabled plug-in, runs an in-paint through its buttons on
a document shown in a view, saves a screenshot and quits.

The verdict goes to $KRITA_TEST_REPORT (JSON); run_gui.py checks it."""

import json
import os
import time
import traceback

from krita import Extension, Krita
from libvar_krita.qt import QtCore

QTimer = QtCore.QTimer

W = H = 192
STEP_MS = 500


def gradient_bgra(w, h):
    return b"".join(bytes(v for x in range(w) for v in ((x + y) & 255, (2 * y) & 255, (2 * x) & 255, 255))
                    for y in range(h))


class GuiTest(Extension):
    def __init__(self, parent):
        super().__init__(parent)
        self.checks = []
        self.report = {"checks": self.checks, "finished": False}
        self.started = False

    def setup(self):
        Krita.instance().notifier().windowCreated.connect(self._window_created)

    def createActions(self, window):
        pass

    def check(self, name, ok, detail=""):
        self.checks.append((name, bool(ok), "" if ok else str(detail)))
        return ok

    def _window_created(self):
        if not self.started:
            self.started = True
            QTimer.singleShot(1500, self._guarded(self.start))

    def _guarded(self, fn):
        def run(*args):
            try:
                fn(*args)
            except Exception:
                self.report["error"] = traceback.format_exc()
                self.finish()
        return run

    def start(self):
        app = Krita.instance()
        dockers = [d for d in app.dockers() if d.__class__.__name__ == "VarDocker"]
        if not self.check("docker created by Krita from the enabled plug-in", dockers,
                          [d.objectName() for d in app.dockers()]):
            return self.finish()
        self.docker = dockers[0]
        self.docker.setVisible(True)
        self.docker.raise_()
        panel = self.panel = self.docker.panel
        panel.dialogs = False
        # a 16-bit document: the conversions to the model's 8 bits and back run in the real window too
        self.doc = app.createDocument(W, H, "libvar test", "RGBA", "U16", "", 72.0)
        self.doc.rootNode().childNodes()[0].setPixelData(
            bytes(b for v in gradient_bgra(W, H) for b in (v, v)), 0, 0, W, H)
        app.activeWindow().addView(self.doc)
        self.doc.refreshProjection()
        from krita import Selection

        sel = Selection()
        sel.select(48, 56, 96, 80, 255)
        sel.feather(6)
        self.doc.setSelection(sel)
        panel.model_dir.setText(os.environ["LIBVAR_TINY"])
        panel._refresh_models()
        panel.seed.setValue(7)
        panel.variants.setValue(2)
        panel.job_done.connect(self._guarded(self.done))
        panel.job_failed.connect(self._guarded(self.failed))
        self.t0 = time.monotonic()
        panel.inpaint_button.click()
        self.check("in-paint started from the button", panel.busy, panel.status.text())
        QTimer.singleShot(120000, self._guarded(lambda: self.failed("inpaint", "timeout")))

    def done(self, kind, layers):
        self.check("in-paint done", kind == "inpaint", kind)
        self.check("two layers", len(layers) == 2, [n.name() for n in layers])
        self.check("16-bit layers", all(n.colorDepth() == "U16" for n in layers), [n.colorDepth() for n in layers])
        self.check("status line", "2 layers added" in self.panel.status.text(), self.panel.status.text())
        self.report["seconds"] = time.monotonic() - self.t0
        QTimer.singleShot(1500, self._guarded(self.screenshot))

    def failed(self, kind, message):
        if self.report["finished"]:
            return
        self.check(f"{kind} failed", False, message)
        self.finish()

    def screenshot(self):
        path = os.environ.get("KRITA_TEST_SCREENSHOT")
        if path:
            window = Krita.instance().activeWindow().qwindow()
            ok = window.grab().save(path)
            self.check("screenshot saved", ok, path)
        self.finish()

    def finish(self):
        if self.report["finished"]:
            return
        self.report["finished"] = True
        with open(os.environ["KRITA_TEST_REPORT"], "w") as fp:
            json.dump(self.report, fp)
        for doc in Krita.instance().documents():
            doc.setModified(False)
        # QApplication.quit() segfaults Krita 5.1; its own quit action does not
        QTimer.singleShot(200, lambda: Krita.instance().action("file_quit").trigger())


Krita.instance().addExtension(GuiTest(Krita.instance()))
