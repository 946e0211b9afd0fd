"""The plug-in inside Krita, headless (run by run_krita.py through kritarunner).

Drives the docker's actions on real Krita documents with the tiny golden
model (64 px): in-paint of a selection, out-paint by margins and into
transparent areas, generate, the error messages, and the docker panel's
threaded path with progress and Cancel.  Every check is recorded in the JSON
report; the process ends with os._exit because kritarunner itself always
exits 0.
"""

import json
import os
import sys
import time
import traceback

CHECKS = []
W = H = 64  # the tiny model's native size


def check(name, ok, detail=""):
    CHECKS.append((name, bool(ok), "" if ok else str(detail)))
    return bool(ok)


def gradient_bgra(w, h, alpha=255):
    return b"".join(bytes(v for x in range(w) for v in ((2 * (x + y)) & 255, (4 * y) & 255, (4 * x) & 255, alpha))
                    for y in range(h))


def make_document(app, w, h, name, bgra):
    doc = app.createDocument(w, h, name, "RGBA", "U8", "", 72.0)
    layer = doc.rootNode().childNodes()[0]
    layer.setPixelData(bgra, 0, 0, w, h)
    doc.refreshProjection()
    doc.waitForDone()
    return doc, layer


def projection(doc):
    doc.refreshProjection()
    doc.waitForDone()
    return bytes(doc.pixelData(0, 0, doc.width(), doc.height()))


def px(data, w, x, y):
    i = 4 * (y * w + x)
    return data[i:i + 4]


def layer_names(doc):
    """Names of the layers at the top level, bottom to top (the global selection's mask left out)."""
    return [n.name() for n in doc.rootNode().childNodes() if n.type() != "selectionmask"]


def close(doc):
    doc.setModified(False)
    doc.close()


def test_inpaint(app, edits, Selection, engine, tiny):
    bgra = gradient_bgra(W, H)
    doc, base = make_document(app, W, H, "inpaint", bgra)
    x0, y0, sw, sh = 16, 20, 24, 20
    sel = Selection()
    sel.select(x0, y0, sw, sh, 255)
    doc.setSelection(sel)
    settings = edits.Settings(model_dir=tiny, seed=3, variants=2, class_label=4)
    t0 = time.monotonic()
    layers = edits.run_now("inpaint", doc, settings, engine)
    check("inpaint: time", True, f"{time.monotonic() - t0:.2f} s")
    names = layer_names(doc)
    check("inpaint: two new layers on top", len(layers) == 2 and len(names) == 3, names)
    check("inpaint: layer names carry the parameters",
          all("inpaint" in n and "seed=" in n for n in names[1:]), names)
    check("inpaint: first variant on top and visible, second hidden",
          names[-1] == layers[0].name() and layers[0].visible() and not layers[1].visible(),
          [(n.name(), n.visible()) for n in layers])
    check("inpaint: original layer untouched", bytes(base.pixelData(0, 0, W, H)) == bgra)
    after = projection(doc)
    inside = lambda x, y: x0 <= x < x0 + sw and y0 <= y < y0 + sh  # noqa: E731
    outside_changed = [(x, y) for y in range(H) for x in range(W) if not inside(x, y)
                       and px(after, W, x, y) != px(bgra, W, x, y)]
    check("inpaint: pixels outside the selection unchanged", not outside_changed, outside_changed[:5])
    check("inpaint: the selection was repainted",
          any(px(after, W, x, y) != px(bgra, W, x, y) for y in range(H) for x in range(W) if inside(x, y)))
    top = bytes(layers[0].pixelData(0, 0, W, H))
    check("inpaint: result layer transparent outside the selection",
          all(top[4 * i + 3] == 0 for i in range(W * H) if not inside(i % W, i // W)))
    check("inpaint: result layer is BGRA (matches the projection inside)",
          all(px(top, W, x, y) == px(after, W, x, y) for y in range(H) for x in range(W)
              if inside(x, y) and px(top, W, x, y)[3] == 255))
    variant = bytes(layers[1].pixelData(0, 0, W, H))
    check("inpaint: the two variants differ", variant != top)

    # soft (feathered) selection: whatever is unselected stays, selected area blends
    soft = Selection()
    soft.select(8, 8, 24, 24, 255)
    soft.feather(3)
    doc.setSelection(soft)
    mask = bytes(soft.pixelData(0, 0, W, H))
    before = projection(doc)
    edits.run_now("inpaint", doc, settings.replace(variants=1, seed=11), engine)
    after = projection(doc)
    bad = [i for i in range(W * H) if mask[i] == 0 and before[4 * i:4 * i + 4] != after[4 * i:4 * i + 4]]
    check("inpaint (feathered selection): unselected pixels unchanged",
          any(0 < m < 255 for m in mask) and not bad, f"soft values: {sorted(set(mask))[:5]}, changed: {bad[:5]}")
    close(doc)


def test_outpaint_margins(app, edits, engine, tiny):
    w, h = 48, 40
    bgra = gradient_bgra(w, h)
    doc, base = make_document(app, w, h, "outpaint", bgra)
    left, top, right, bottom = 8, 16, 8, 8
    settings = edits.Settings(model_dir=tiny, seed=5, margins=(left, top, right, bottom))
    layers = edits.run_now("outpaint", doc, settings, engine)
    nw, nh = left + w + right, top + h + bottom
    check("outpaint: canvas enlarged by the margins", (doc.width(), doc.height()) == (nw, nh),
          (doc.width(), doc.height()))
    check("outpaint: one new layer", len(layers) == 1 and "outpaint" in layers[0].name(), layer_names(doc))
    after = projection(doc)
    moved = [(x, y) for y in range(h) for x in range(w) if px(after, nw, left + x, top + y) != px(bgra, w, x, y)]
    check("outpaint: original pixels unchanged (at their new place)", not moved, moved[:5])
    check("outpaint: original layer kept its content",
          bytes(base.pixelData(left, top, w, h)) == bgra)
    new_area = [(x, y) for y in range(nh) for x in range(nw)
                if not (left <= x < left + w and top <= y < top + h)]
    check("outpaint: new area filled (opaque)", all(px(after, nw, x, y)[3] == 255 for x, y in new_area))
    close(doc)


def test_outpaint_transparent(app, edits, engine, tiny):
    bgra = bytearray(gradient_bgra(W, H))
    for y in range(H):
        for x in range(48, W):
            bgra[4 * (y * W + x) + 3] = 0
    bgra = bytes(bgra)
    doc, _ = make_document(app, W, H, "outpaint-fill", bgra)
    before = projection(doc)
    layers = edits.run_now("outpaint", doc, edits.Settings(model_dir=tiny, seed=2), engine)
    after = projection(doc)
    check("outpaint (fill): canvas size kept", (doc.width(), doc.height()) == (W, H))
    check("outpaint (fill): a new layer", len(layers) == 1)
    check("outpaint (fill): opaque pixels unchanged",
          all(px(after, W, x, y) == px(before, W, x, y) for y in range(H) for x in range(48)))
    check("outpaint (fill): transparent area filled",
          all(px(after, W, x, y)[3] == 255 for y in range(H) for x in range(48, W)))
    close(doc)


def test_generate(app, edits, engine, tiny):
    before = len(app.documents())
    layers = edits.run_now("generate", None, edits.Settings(model_dir=tiny, seed=7, variants=2, class_label=3),
                           engine)
    docs = app.documents()
    check("generate: a new document", len(docs) == before + 1)
    doc = docs[-1]
    check("generate: native size", (doc.width(), doc.height()) == (W, H), (doc.width(), doc.height()))
    check("generate: one layer per variant", len(layers) == 2 and all("generate" in n.name() for n in layers),
          layer_names(doc))
    data = projection(doc)
    check("generate: opaque image", all(data[i] == 255 for i in range(3, len(data), 4)))
    close(doc)


# Krita's pixelData layouts: (channel count, struct code, channel order of RGBA/GA), per depth.
LAYOUT = {"U8": "B", "U16": "H", "F16": "e", "F32": "f"}
SCALE = {"U8": 255.0, "U16": 65535.0, "F16": 1.0, "F32": 1.0}
ORDER = {("RGBA", "U8"): "BGRA", ("RGBA", "U16"): "BGRA", ("RGBA", "F16"): "RGBA", ("RGBA", "F32"): "RGBA",
         ("GRAYA", "U8"): "GA", ("GRAYA", "U16"): "GA", ("GRAYA", "F16"): "GA", ("GRAYA", "F32"): "GA"}
# (model, depth, profile): Krita's default profile of each ("": g10, linear, for the deep ones), and a
# 16-bit document with the sRGB curve
SPACES = ([("RGBA", d, "") for d in ("U8", "U16", "F16", "F32")] + [("RGBA", "U16", "sRGB-elle-V2-srgbtrc.icc")]
          + [("GRAYA", d, "") for d in ("U8", "U16", "F16", "F32")])


def deep_pixels(model, depth, w, h):
    """A ramp with values no 8-bit image holds (odd 16-bit codes, float values
    below 0 and above 1), opaque, in Krita's layout for this space."""
    import struct

    order = ORDER[(model, depth)]
    values = []
    for y in range(h):
        for x in range(w):
            for ch in order:
                if ch == "A":
                    values.append(int(SCALE[depth]) if depth in ("U8", "U16") else 1.0)
                    continue
                k = "RGB".index(ch)
                t = ((x * 37 + y * 101 + k * 53) % 1000) / 1000.0
                if depth in ("F16", "F32"):
                    values.append(t * 1.3 - 0.05)             # -0.05 .. 1.25: scene-referred, out of range too
                elif depth == "U16":
                    values.append((x * 1031 + y * 4099 + k * 777) % 65536)
                else:
                    values.append(int(t * 255))
    return struct.pack(f"<{len(values)}{LAYOUT[depth]}", *values)


def to_srgb8(value, linear):
    """The reference mapping to the model's 8 bits: clip to 0..1, then the sRGB
    curve for a linear (g10) profile, nothing for an sRGB-curve profile."""
    v = min(max(value, 0.0), 1.0)
    if linear:
        v = 12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
    return int(v * 255 + 0.5)


def reference_rgba(model, depth, profile, data, w, h):
    import struct

    order = ORDER[(model, depth)]
    values = struct.unpack(f"<{len(data) // struct.calcsize(LAYOUT[depth])}{LAYOUT[depth]}", data)
    linear = "g10" in profile
    out = bytearray()
    n = len(order)
    for i in range(w * h):
        px = dict(zip(order, values[n * i:n * i + n]))
        grey = px.get("G") if model == "GRAYA" else None
        rgb = [grey] * 3 if grey is not None else [px["R"], px["G"], px["B"]]
        out += bytes(to_srgb8(c / SCALE[depth], linear) for c in rgb)
        out.append(to_srgb8(px["A"] / SCALE[depth], False))
    return bytes(out)


def test_depths(app, edits, document, Selection, engine, tiny):
    """Every depth of RGB and greyscale: the model's 8-bit view follows the
    reference mapping, pixels outside the selection stay bit for bit at their
    depth, pixels inside change, and an RGB document's in-paint is the in-paint
    of its own 8-bit view (the model sees exactly that)."""
    x0, y0, sw, sh = 12, 16, 28, 24
    inside = lambda i: x0 <= i % W < x0 + sw and y0 <= i // W < y0 + sh  # noqa: E731
    settings = edits.Settings(model_dir=tiny, seed=9, class_label=2)
    for model, depth, want_profile in SPACES:
        name = f"{model}/{depth}" + ("/sRGB curve" if want_profile else "")
        doc = app.createDocument(W, H, f"depth {name}", model, depth, want_profile, 72.0)
        if not check(f"{name}: document made", doc is not None and doc.colorDepth() == depth, name):
            continue
        profile = doc.colorProfile()
        data = deep_pixels(model, depth, W, H)
        doc.rootNode().childNodes()[0].setPixelData(data, 0, 0, W, H)
        before = projection(doc)
        bpp = len(before) // (W * H)
        check(f"{name}: layout {ORDER[(model, depth)]} of {bpp} bytes per pixel", before == data,
              f"{len(before)} bytes, profile {profile}")
        seen = document.snapshot_rgba(doc)
        ref = reference_rgba(model, depth, profile, data, W, H)
        diffs = [abs(a - b) for a, b in zip(seen, ref)]
        curve = "sRGB curve" if "g10" in profile else "scale"
        check(f"{name} ({profile}): the model's 8-bit sRGB view = clip + {curve}"
              f" (max difference {max(diffs)}, {sum(1 for d in diffs if d)} of {len(diffs)} values off by 1)",
              len(seen) == len(ref) and max(diffs) <= 1, f"max difference {max(diffs)}")
        sel = Selection()
        sel.select(x0, y0, sw, sh, 255)
        doc.setSelection(sel)
        layers = edits.run_now("inpaint", doc, settings, engine)
        after = projection(doc)
        at = lambda data, i: data[bpp * i:bpp * i + bpp]  # noqa: E731  (pixel i at this depth)
        moved = [i for i in range(W * H) if not inside(i) and at(after, i) != at(before, i)]
        check(f"{name}: pixels outside the selection bit-identical at {depth}", not moved, moved[:5])
        check(f"{name}: the selection was repainted",
              any(at(after, i) != at(before, i) for i in range(W * H) if inside(i)))
        check(f"{name}: the result layer is in the document's colour space",
              len(layers) == 1 and (layers[0].colorModel(), layers[0].colorDepth()) == (model, depth),
              [(n.colorModel(), n.colorDepth()) for n in layers])
        if model == "RGBA":
            # the same in-paint on an 8-bit document holding the model's view
            twin, _ = make_document(app, W, H, "twin", edits.pixels.swap_red_blue(seen))
            twin.setSelection(sel)
            edits.run_now("inpaint", twin, settings, engine)
            want = edits.pixels.swap_red_blue(projection(twin))
            got = document.snapshot_rgba(doc)
            off = [i for i in range(W * H) if inside(i) and
                   max(abs(a - b) for a, b in zip(got[4 * i:4 * i + 4], want[4 * i:4 * i + 4])) > 0]
            check(f"{name}: inside = the in-paint of its 8-bit view", not off,
                  f"{len(off)} pixels differ, e.g. {[(got[4 * i:4 * i + 4], want[4 * i:4 * i + 4]) for i in off[:3]]}")
            close(twin)
        if (model, depth) in (("RGBA", "F32"), ("GRAYA", "U16")):
            # out-paint by margins: the canvas grows, the old pixels stay bit for bit at their new place
            doc.setSelection(Selection())
            grown = projection(doc)
            edits.run_now("outpaint", doc, settings.replace(margins=(8, 0, 0, 4)), engine)
            nw, nh = W + 8, H + 4
            after = projection(doc)
            moved = [i for i in range(W * H) if at(after, (i // W) * nw + 8 + i % W) != at(grown, i)]
            new_area = [(x, y) for y in range(nh) for x in range(nw) if x < 8 or y >= H]
            alpha_bytes = bpp // len(ORDER[(model, depth)])  # alpha is the last channel
            alpha = [at(after, y * nw + x)[-alpha_bytes:] for x, y in new_area]
            check(f"{name}: out-paint keeps the old pixels bit-identical", (doc.width(), doc.height()) == (nw, nh)
                  and not moved, (doc.width(), doc.height(), moved[:5]))
            check(f"{name}: out-paint fills the new area (opaque)", len(set(alpha)) == 1 and any(alpha[0]),
                  set(alpha))
        close(doc)


def test_errors(app, edits, libvar, UserError, engine, tiny):
    def message_of(fn):
        try:
            fn()
        except (UserError, libvar.VarError) as exc:
            return type(exc).__name__, str(exc)
        return None, "no error"

    doc, _ = make_document(app, W, H, "errors", gradient_bgra(W, H))
    kind, msg = message_of(lambda: edits.run_now("inpaint", doc, edits.Settings(model_dir=tiny), engine))
    check("error: in-paint without a selection", kind == "UserError" and "Select" in msg, msg)
    kind, msg = message_of(lambda: edits.run_now("outpaint", doc, edits.Settings(model_dir=tiny), engine))
    check("error: out-paint with nothing to fill", kind == "UserError" and "canvas" in msg, msg)
    kind, msg = message_of(lambda: edits.run_now("inpaint", doc, edits.Settings(), engine))
    check("error: no model folder", kind == "UserError" and "model folder" in msg, msg)
    from krita import Selection

    sel = Selection()
    sel.select(0, 0, 8, 8, 255)
    doc.setSelection(sel)
    empty = os.path.join(os.environ["KRITA_TEST_TMP"], "empty-models")
    os.makedirs(empty, exist_ok=True)
    kind, msg = message_of(lambda: edits.run_now("inpaint", doc, edits.Settings(model_dir=empty)))
    check("error: folder without models -> library message", kind == "VarError" and msg, msg)
    bad = os.path.join(os.environ["KRITA_TEST_TMP"], "bad-models")
    os.makedirs(bad, exist_ok=True)
    for name in ("vae_ch32v64z8.pth", "var_d2.pth"):
        with open(os.path.join(bad, name), "wb") as fp:
            fp.write(b"this is not a checkpoint")
    kind, msg = message_of(lambda: edits.run_now("inpaint", doc, edits.Settings(model_dir=bad)))
    check("error: corrupt model -> library message", kind == "VarError" and msg, msg)
    close(doc)

    for model, depth in (("CMYKA", "U8"), ("LABA", "U16")):
        other = app.createDocument(W, H, "other", model, depth, "", 72.0)
        kind, msg = message_of(lambda: edits.run_now("inpaint", other, edits.Settings(model_dir=tiny), engine))
        check(f"error: {model}/{depth} refused, saying what to convert to",
              kind == "UserError" and model in msg and "RGB/Alpha" in msg and "Convert" in msg, msg)
        close(other)
    kind, msg = message_of(lambda: edits.run_now("inpaint", None, edits.Settings(model_dir=tiny), engine))
    check("error: no document", kind == "UserError" and "image" in msg, msg)


def wait_for(panel, seconds=120):
    """Runs the event loop until the panel's job ends; returns (signal, args)."""
    from libvar_krita.qt import QtCore, exec_

    QEventLoop, QTimer = QtCore.QEventLoop, QtCore.QTimer

    outcome = []
    loop = QEventLoop()
    done = lambda *args: (outcome.append(("done", args)), loop.quit())  # noqa: E731
    fail = lambda *args: (outcome.append(("failed", args)), loop.quit())  # noqa: E731
    panel.job_done.connect(done)
    panel.job_failed.connect(fail)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    if panel.busy:
        exec_(loop)
    panel.job_done.disconnect(done)
    panel.job_failed.disconnect(fail)
    # let the thread's finished signal reach the panel
    deadline = time.monotonic() + 10
    while panel.busy and time.monotonic() < deadline:
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    return outcome[0] if outcome else ("timeout", ())


def test_panel(app, edits, tiny):
    """The docker's widget: settings from the library, threaded jobs, progress, Cancel."""
    from krita import Selection

    from libvar_krita.panel import VarPanel
    from libvar_krita.qt import Qt

    bgra = gradient_bgra(W, H)
    doc, _ = make_document(app, W, H, "panel", bgra)
    sel = Selection()
    sel.select(32, 0, 32, 32, 255)
    doc.setSelection(sel)
    panel = VarPanel(document_provider=lambda: doc)
    panel.dialogs = False
    check("panel: class list from the library", panel.class_box.count() == 1001, panel.class_box.count())
    check("panel: library defaults", (round(panel.cfg.value(), 2), panel.top_k.value()) == (4.0, 900),
          (panel.cfg.value(), panel.top_k.value()))
    check("panel: seamless blend on by default", panel.seamless.isChecked() and panel.settings().seamless)
    panel.set_settings(edits.Settings(model_dir=tiny, seamless=False, strength=0.5))
    check("panel: settings round trip (seamless, strength)",
          not panel.seamless.isChecked() and panel.settings().seamless is False and panel.settings().strength == 0.5,
          panel.settings())
    panel.set_settings(edits.Settings(model_dir=tiny, seed=21, variants=1, class_label=-1, cfg=2.0, top_k=10,
                                      top_p=0.9))
    check("panel: model list from the folder", panel.model_name.findData("var_d2") >= 0)
    panel.class_box.setEditText("golden retr")
    check("panel: typed class name resolved", panel.class_label() == 207, panel.class_label())
    panel.class_box.setCurrentIndex(0)
    # a model with its own class names (classes.txt beside it): the list shows them, typing matches them
    demo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "demo")
    panel.model_dir.setText(demo)
    panel._refresh_models()
    check("panel: the demo model's own classes", panel.class_box.count() == 7 and
          panel.class_box.itemText(4) == "3: rings", (panel.class_box.count(), panel.class_box.itemText(4)))
    panel.class_box.setEditText("checker")
    check("panel: typed own class name resolved", panel.class_label() == 1, panel.class_label())
    panel.model_dir.setText(tiny)
    panel._refresh_models()
    check("panel: ImageNet names again for the tiny model", panel.class_box.count() == 1001, panel.class_box.count())
    panel.class_box.setCurrentIndex(0)

    progress = []
    check("panel: in-paint started", panel.start("inpaint"))
    panel.thread.progress.connect(lambda f, t: progress.append((f, t)))
    check("panel: buttons disabled while busy",
          not panel.inpaint_button.isEnabled() and panel.cancel_button.isEnabled())
    what, args = wait_for(panel)
    check("panel: in-paint finished", what == "done" and args[0] == "inpaint", (what, args, panel.status.text()))
    check("panel: progress reported", progress, progress)
    check("panel: status line", "1 layer added" in panel.status.text(), panel.status.text())
    check("panel: buttons enabled again", panel.inpaint_button.isEnabled() and not panel.cancel_button.isEnabled())
    after = projection(doc)
    check("panel: pixels outside the selection unchanged",
          all(px(after, W, x, y) == px(bgra, W, x, y) for y in range(H) for x in range(W)
              if not (x >= 32 and y < 32)))
    check("panel: settings remembered", app.readSetting("libvar", "model_dir", "") == json.dumps(tiny),
          app.readSetting("libvar", "model_dir", ""))

    # Cancel, deterministically: the first progress report from the library
    # blocks the worker until the GUI thread has pressed Cancel.
    n_layers = len(layer_names(doc))
    check("panel: second in-paint started", panel.start("inpaint"))

    def on_progress(fraction, text):
        if "loading" not in text and panel.cancel_button.isEnabled():
            panel.cancel_button.click()

    panel.thread.progress.connect(on_progress, Qt.ConnectionType.BlockingQueuedConnection)
    what, args = wait_for(panel)
    check("panel: cancel", what == "failed" and args[1] == "cancelled", (what, args, panel.status.text()))
    check("panel: cancelled job added no layer", len(layer_names(doc)) == n_layers)
    check("panel: cancel shown", "cancelled" in panel.status.text(), panel.status.text())

    # an error arrives as a status message, not a traceback
    doc.setSelection(Selection())
    check("panel: error refused to start", not panel.start("inpaint"))
    check("panel: error in the status line", "Select" in panel.status.text(), panel.status.text())

    # the next job after a cancel works again (the cancel request was forgotten)
    sel2 = Selection()
    sel2.select(0, 40, 16, 16, 255)
    doc.setSelection(sel2)
    check("panel: job after cancel started", panel.start("inpaint"))
    what, args = wait_for(panel)
    check("panel: job after cancel finished", what == "done", (what, args, panel.status.text()))
    panel.shutdown()
    close(doc)


def __main__(args):
    report = {"checks": CHECKS, "finished": False}
    code = 1
    try:
        from krita import Krita, Selection

        from libvar_krita import document, edits, libvar
        from libvar_krita.engine import Engine
        from libvar_krita.errors import UserError

        import libvar_krita

        app = Krita.instance()
        app.setBatchmode(True)
        tiny = os.environ["LIBVAR_TINY"]
        check("plug-in imported from the pykrita folder",
              os.path.dirname(os.path.dirname(libvar_krita.__file__)) == os.environ["KRITA_TEST_PYKRITA"],
              libvar_krita.__file__)
        check("library loaded", libvar.version(), libvar.library_path())
        from libvar_krita import qt

        check(f"Krita {app.version()}, Qt {qt.QT_VERSION}, PyQt {qt.PYQT_VERSION}", qt.QT_MAJOR in (5, 6))
        engine = Engine()
        for name, fn in (("inpaint", lambda: test_inpaint(app, edits, Selection, engine, tiny)),
                         ("outpaint margins", lambda: test_outpaint_margins(app, edits, engine, tiny)),
                         ("outpaint transparent", lambda: test_outpaint_transparent(app, edits, engine, tiny)),
                         ("generate", lambda: test_generate(app, edits, engine, tiny)),
                         ("depths", lambda: test_depths(app, edits, document, Selection, engine, tiny)),
                         ("errors", lambda: test_errors(app, edits, libvar, UserError, engine, tiny)),
                         ("panel", lambda: test_panel(app, edits, tiny))):
            t0 = time.monotonic()
            try:
                fn()
            except Exception:
                check(f"{name}: ran without exception", False, traceback.format_exc())
            print(f"[{name}: {time.monotonic() - t0:.2f} s]")
        engine.close()
        report["finished"] = True
        code = 0 if all(ok for _, ok, _ in CHECKS) else 1
    except Exception:
        report["error"] = traceback.format_exc()
    finally:
        try:
            with open(os.environ["KRITA_TEST_REPORT"], "w") as fp:
                json.dump(report, fp)
        except Exception:
            traceback.print_exc()
            code = 2
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
