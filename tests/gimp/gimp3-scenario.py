"""The headless scenario of tests/gimp/gimp-headless.sh on GIMP 3, in Python-Fu.

Run inside gimp-console-3.0 (--batch-interpreter=python-fu-eval) with
exec(open(...).read()); reads VARTEST_IN (the test picture), VARTEST_OUT (where
the PNGs for pngcheck.py go), VARTEST_MODEL and VARTEST_MODEL_STEM from the
environment.  The procedures are looked up by name and their arguments set by
name, as a user's script would.  Every check prints "VARTEST ok ..." or
"VARTEST FAILED ..."; the last line is "VARTEST DONE" (GIMP exits 0 whatever
happens, so the shell script requires it).  The same checks as the 2.10
Script-Fu scenario, plus several selected layers and Python-Fu's view of the
errors.
"""
import os

from gi.repository import Gegl, Gimp, Gio

IN, OUT = os.environ["VARTEST_IN"], os.environ["VARTEST_OUT"]
MODEL, STEM = os.environ["VARTEST_MODEL"], os.environ["VARTEST_MODEL_STEM"]
pdb = Gimp.get_pdb()
failed = 0


def check(ok, what):
    global failed
    print(("VARTEST ok " if ok else "VARTEST FAILED ") + what, flush=True)
    failed += 0 if ok else 1


def run(name, image, drawables, **props):
    """Calls a procedure by name with its arguments set by name; returns (status, values)."""
    proc = pdb.lookup_procedure(name)
    cfg = proc.create_config()
    cfg.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property("image", image)
    cfg.set_core_object_array("drawables", drawables)
    cfg.set_property("model-dir", MODEL)
    cfg.set_property("backend", "cpu")
    for key, value in props.items():
        cfg.set_property(key.replace("_", "-"), value)
    res = proc.run(cfg)
    return res.index(0), [res.index(i) for i in range(1, res.length())]


def save(drawable, name):
    """Writes one drawable (alone, at its own size) as an 8-bit PNG for pngcheck.py."""
    tmp = Gimp.Image.new(drawable.get_width(), drawable.get_height(), Gimp.ImageBaseType.RGB)
    copy = Gimp.Layer.new_from_drawable(drawable, tmp)
    tmp.insert_layer(copy, None, 0)
    copy.set_offsets(0, 0)
    Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, tmp, Gio.File.new_for_path(os.path.join(OUT, name)), None)
    tmp.delete()


def offsets(layer):
    _, x, y = layer.get_offsets()
    return (x, y)


def pixels(drawable, fmt="R'G'B'A float"):
    """All of the drawable's pixels in a lossless format (float holds u8 and u16 exactly)."""
    w, h = drawable.get_width(), drawable.get_height()
    return drawable.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0, fmt, Gegl.AbyssPolicy.NONE)


def load():
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(IN))
    return image, image.get_layers()[0]


# ---- RGB: in-paint (2 variants), out-paint (canvas, margins), generate -------------------------
image, layer = load()
save(layer, "orig.png")
Gimp.context_set_antialias(True)
Gimp.context_set_feather(False)
image.select_ellipse(Gimp.ChannelOps.REPLACE, 30, 20, 36, 30)
chan = Gimp.Selection.save(image)
save(chan, "selection.png")
image.remove_channel(chan)

status, values = run("plug-in-var-inpaint", image, [layer], seed=3, variants=2)
check(status == Gimp.PDBStatusType.SUCCESS, f"inpaint succeeded ({status})")
if status == Gimp.PDBStatusType.SUCCESS:
    l1, count = values
    layers = image.get_layers()
    check(count == 2, f"inpaint returned 2 layers ({count})")
    check(len(layers) == 3, f"image has 3 layers after inpaint: {len(layers)}")
    l2 = layers[1]
    check(layers[0].get_id() == l1.get_id(), "first variant on top and returned")
    check(offsets(l1) == (0, 0), f"inpaint layer at the layer's offsets {offsets(l1)}")
    check(l1.get_visible() and not l2.get_visible(), "first variant visible, second hidden")
    check(image.get_item_position(layer) == 2, "original layer directly below the results")
    check(not Gimp.Selection.is_empty(image), "selection kept")
    check(l1.get_name().startswith(f"VAR inpaint {STEM} seed=3 cfg=4"), f"named with its parameters: {l1.get_name()}")
    save(l1, "inpaint-1.png")
    save(l2, "inpaint-2.png")
    save(layer, "orig-after-inpaint.png")
    image.remove_layer(l1)
    image.remove_layer(l2)

Gimp.Selection.none(image)
image.resize(128, 96, 16, 8)
status, values = run("plug-in-var-outpaint", image, [layer], seed=5)
check(status == Gimp.PDBStatusType.SUCCESS, f"outpaint succeeded ({status})")
if status == Gimp.PDBStatusType.SUCCESS:
    lo, count = values
    check(count == 1 and len(image.get_layers()) == 2, "outpaint made 1 layer")
    check(offsets(lo) == (0, 0) and lo.get_width() == 128 and lo.get_height() == 96, "outpaint layer covers the canvas")
    check(image.get_width() == 128, "canvas width unchanged without margins")
    save(lo, "outpaint.png")
    save(layer, "orig-after-outpaint.png")
    image.remove_layer(lo)

status, values = run("plug-in-var-outpaint", image, [layer], seed=7, left=16, bottom=8, strength=0.5,
                     keep_masked=True, seamless=False)
check(status == Gimp.PDBStatusType.SUCCESS, f"outpaint by margins succeeded ({status})")
if status == Gimp.PDBStatusType.SUCCESS:
    lm = values[0]
    check(image.get_width() == 144 and image.get_height() == 104, "margins: canvas 16 px wider, 8 px higher")
    check(offsets(layer) == (32, 8), f"margins: original layer moved with the canvas {offsets(layer)}")
    want = (f"VAR outpaint {STEM} seed=7 cfg=4 top_k=900 top_p=0.95 more_smooth=0 class=-1 fill=original"
            " strength=0.5 seamless=0")
    check(lm.get_name() == want, f"margins: strength, keep-masked and seamless reached libvar: {lm.get_name()}")
    save(lm, "outpaint-margins.png")
    image.remove_layer(lm)

status, values = run("plug-in-var-generate", image, [layer], seed=11, **{"class": 3})
check(status == Gimp.PDBStatusType.SUCCESS, f"generate succeeded ({status})")
if status == Gimp.PDBStatusType.SUCCESS:
    lg = values[0]
    size = lg.get_width()
    check(lg.get_height() == size, "generated layer is square (the model's size)")
    check(offsets(lg) == ((144 - size) // 2, (104 - size) // 2), f"generated layer centred {offsets(lg)}")
    check("class=3" in lg.get_name(), f"class reached libvar: {lg.get_name()}")
    save(lg, "generate.png")
# generate needs no layer at all
status, values = run("plug-in-var-generate", image, [], seed=11, variants=2)
check(status == Gimp.PDBStatusType.SUCCESS and values[1] == 2, "generate without a selected layer: 2 layers")
image.delete()


# ---- 16-bit linear and greyscale: kept pixels are the original's at full precision -------------
def inpaint_converted(what, convert, bpp, kind):
    image, layer = load()
    convert(image)
    layer.add_alpha()
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 30, 20, 36, 30)
    mask = image.get_selection().get_buffer().get(Gegl.Rectangle.new(0, 0, 96, 80), 1.0, "Y u8",
                                                  Gegl.AbyssPolicy.NONE)
    before = pixels(layer)
    status, values = run("plug-in-var-inpaint", image, [layer], seed=3)
    check(status == Gimp.PDBStatusType.SUCCESS, f"{what}: inpaint succeeded ({status})")
    if status != Gimp.PDBStatusType.SUCCESS:
        return
    new = values[0]
    check(new.get_bpp() == bpp, f"{what}: result layer in the image's precision ({new.get_bpp()} bytes/pixel)")
    check(new.type() == kind, f"{what}: result layer type {new.type()}")
    got, orig = pixels(new), pixels(layer)
    px = 16  # RGBA float
    outside = [i for i in range(96 * 80) if mask[i] == 0]
    inside = [i for i in range(96 * 80) if mask[i] == 255]
    same = sum(1 for i in outside if got[i * px:(i + 1) * px] == orig[i * px:(i + 1) * px])
    changed = sum(1 for i in inside if got[i * px:(i + 1) * px] != orig[i * px:(i + 1) * px])
    check(same == len(outside), f"{what}: {same} of {len(outside)} pixels outside the selection bit-identical")
    check(changed > len(inside) // 2, f"{what}: {changed} of {len(inside)} fully selected pixels changed")
    check(orig == before, f"{what}: the original layer untouched")
    image.delete()


inpaint_converted("16-bit linear", lambda im: im.convert_precision(Gimp.Precision.U16_LINEAR), 8,
                  Gimp.ImageType.RGBA_IMAGE)
inpaint_converted("greyscale", lambda im: im.convert_grayscale(), 2, Gimp.ImageType.GRAYA_IMAGE)

# ---- several selected layers: each one's selection in-painted, one undo group -------------------
image, layer = load()
top = Gimp.Layer.new_from_drawable(layer, image)
image.insert_layer(top, None, 0)
top.set_offsets(8, 4)
image.select_rectangle(Gimp.ChannelOps.REPLACE, 40, 30, 20, 16)
status, values = run("plug-in-var-inpaint", image, [layer, top], seed=3)
check(status == Gimp.PDBStatusType.SUCCESS and values[1] == 2, f"two selected layers: 2 new layers ({status})")
if status == Gimp.PDBStatusType.SUCCESS:
    stack = image.get_layers()
    check(len(stack) == 4 and stack[1].get_id() == top.get_id() and stack[3].get_id() == layer.get_id()
          and values[0].get_id() == stack[2].get_id(),
          f"a result directly above each layer, the first selected layer's returned: "
          f"{[l.get_name() for l in stack]}")
    check(offsets(stack[0]) == (8, 4), "the top layer's result sits at its offsets")
status, values = run("plug-in-var-outpaint", image, [layer, top], left=8)
check(status == Gimp.PDBStatusType.CALLING_ERROR and "only the layer" in str(values[0]),
      f"out-paint refuses two layers: {values[0] if values else ''}")
image.delete()

# ---- errors as Python-Fu sees them: status and the plug-in's message ----------------------------
image = Gimp.Image.new(32, 32, Gimp.ImageBaseType.RGB)
bg = Gimp.Layer.new(image, "bg", 32, 32, Gimp.ImageType.RGB_IMAGE, 100, Gimp.LayerMode.NORMAL)
image.insert_layer(bg, None, 0)
status, values = run("plug-in-var-inpaint", image, [bg])
check(status == Gimp.PDBStatusType.EXECUTION_ERROR and "There is no selection" in str(values[0]),
      f"no selection: {status} {values[0] if values else ''}")
image.select_rectangle(Gimp.ChannelOps.REPLACE, 8, 8, 8, 8)
for prop, value, message in (("strength", 2.0, "strength must be between 0 and 1"),
                             ("top-p", 1.5, "top_p must be between 0 and 1"),
                             ("cfg", -1.0, "cfg must be between 0 and 1000"),
                             ("variants", 65, "variants must be 1-64"),
                             ("class", 5000, "is not one of the")):
    status, values = run("plug-in-var-inpaint", image, [bg], **{prop: value})
    check(status != Gimp.PDBStatusType.SUCCESS and message in str(values[0]),
          f"{prop}={value} refused with libvar's message: {values[0] if values else ''}")
check(len(image.get_layers()) == 1, "failed runs added no layer")
image.delete()

print(f"VARTEST DONE {failed} failed", flush=True)
