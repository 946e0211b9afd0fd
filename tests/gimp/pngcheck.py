#!/usr/bin/env python3
"""Pixel checks for the headless GIMP test (tests/gimp/gimp-headless.sh).

    pngcheck.py make OUT.png            writes the test picture (96x80 RGB)
    pngcheck.py check DIR               compares the PNGs GIMP saved in DIR
    pngcheck.py rect BEFORE AFTER X Y W H FEATHER
                                        BEFORE vs AFTER: unchanged farther than
                                        FEATHER px outside the rectangle, changed inside

A small PNG reader/writer (8-bit, non-interlaced) on zlib, so that the test
needs nothing beyond python3.  Every assertion prints what it compared.
"""
import struct
import sys
import zlib

W, H = 96, 80          # the test picture
SEL = (30, 20, 36, 30)  # the ellipse's bounding box (x, y, w, h), as in the scheme script
CANVAS = (128, 96, 16, 8)  # out-paint: canvas size and the layer's offset on it


def write_png(path, w, h, rgb):
    raw = b"".join(b"\0" + bytes(rgb[(y * w) * 3:(y * w + w) * 3]) for y in range(h))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_png(path):
    """Returns (width, height, channels, bytes) of an 8-bit non-interlaced PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, palette = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"PLTE":
            palette = body
        pos += 12 + n
    assert depth == 8 and interlace == 0, (path, depth, interlace)
    ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * ch
    out = bytearray(h * stride)
    prev = bytearray(stride)
    p = 0
    for y in range(h):
        f = raw[p]
        line = bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b = prev[i]
            c = prev[i - ch] if i >= ch else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    if ctype == 3:
        rgb = bytearray()
        for v in out:
            rgb += palette[v * 3:v * 3 + 3]
        return w, h, 3, bytes(rgb)
    return w, h, ch, bytes(out)


def rgba(path):
    """Any PNG as (w, h, list of RGBA tuples)."""
    w, h, ch, px = read_png(path)
    pix = []
    for i in range(w * h):
        v = px[i * ch:(i + 1) * ch]
        if ch == 1:
            pix.append((v[0], v[0], v[0], 255))
        elif ch == 2:
            pix.append((v[0], v[0], v[0], v[1]))
        elif ch == 3:
            pix.append((v[0], v[1], v[2], 255))
        else:
            pix.append(tuple(v))
    return w, h, pix


def picture(w=W, h=H):
    """A smooth colourful test picture (deterministic)."""
    rgb = bytearray()
    for y in range(h):
        for x in range(w):
            rgb += bytes(((x * 5 + y) & 255, (y * 6 + 40) & 255, ((x * y) // 8 + 90) & 255))
    return rgb


failures = []


def expect(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def check(d):
    w, h, orig = rgba(f"{d}/orig.png")
    expect((w, h) == (W, H), f"original layer is {w}x{h}")
    _, _, sel = rgba(f"{d}/selection.png")
    mask = [p[0] for p in sel]
    n_sel = sum(1 for m in mask if m)
    n_soft = sum(1 for m in mask if 0 < m < 255)
    expect(n_sel > 0 and n_soft > 0, f"selection: {n_sel} selected pixels, {n_soft} partly (antialiased edge)")

    # In-paint: two variants, the original layer untouched.
    _, _, after = rgba(f"{d}/orig-after-inpaint.png")
    expect(after == orig, "in-paint left the original layer bit-identical")
    for v in (1, 2):
        lw, lh, lay = rgba(f"{d}/inpaint-{v}.png")
        expect((lw, lh) == (W, H), f"in-paint variant {v} layer is {lw}x{lh}")
        outside_diff = sum(1 for i in range(W * H) if mask[i] == 0 and lay[i] != orig[i])
        inside = [i for i in range(W * H) if mask[i] == 255]
        inside_changed = sum(1 for i in inside if lay[i][:3] != orig[i][:3])
        expect(outside_diff == 0, f"in-paint variant {v}: {outside_diff} pixels outside the selection differ "
               f"(of {sum(1 for m in mask if m == 0)})")
        expect(inside_changed > len(inside) // 2,
               f"in-paint variant {v}: {inside_changed} of {len(inside)} fully selected pixels changed")
    _, _, v1 = rgba(f"{d}/inpaint-1.png")
    _, _, v2 = rgba(f"{d}/inpaint-2.png")
    expect(v1 != v2, "the two in-paint variants (seeds 3 and 4) differ")

    # Out-paint into the canvas enlarged around the layer.
    cw, ch_, ox, oy = CANVAS
    lw, lh, lay = rgba(f"{d}/outpaint.png")
    expect((lw, lh) == (cw, ch_), f"out-paint layer is {lw}x{lh} (canvas {cw}x{ch_})")
    if (lw, lh) == (cw, ch_):
        known_diff = sum(1 for y in range(H) for x in range(W) if lay[(y + oy) * cw + x + ox] != orig[y * W + x])
        expect(known_diff == 0, f"out-paint: {known_diff} pixels of the original area differ")
        new = [lay[y * cw + x] for y in range(ch_) for x in range(cw)
               if not (ox <= x < ox + W and oy <= y < oy + H)]
        opaque = sum(1 for p in new if p[3] == 255)
        expect(opaque == len(new), f"out-paint: {opaque} of {len(new)} new pixels filled (opaque)")
        expect(len(set(new)) > 50, f"out-paint: {len(set(new))} distinct colours in the new area")
    _, _, after = rgba(f"{d}/orig-after-outpaint.png")
    expect(after == orig, "out-paint left the original layer bit-identical")

    # Out-paint by margins: the canvas grew by 16 px on the left and 8 at the bottom.
    lw, lh, lay = rgba(f"{d}/outpaint-margins.png")
    expect((lw, lh) == (cw + 16, ch_ + 8), f"out-paint with margins: layer is {lw}x{lh}")
    if (lw, lh) == (cw + 16, ch_ + 8):
        known_diff = sum(1 for y in range(H) for x in range(W)
                         if lay[(y + oy) * lw + x + ox + 16] != orig[y * W + x])
        expect(known_diff == 0, f"out-paint with margins: {known_diff} pixels of the original area differ")

    # Generate: a model-sized opaque picture.
    gw, gh, gen = rgba(f"{d}/generate.png")
    expect(gw == gh and gw >= 16, f"generated layer is {gw}x{gh} (the model's square size)")
    expect(all(p[3] == 255 for p in gen) and len(set(gen)) > 50,
           f"generated layer is opaque with {len(set(gen))} distinct colours")

    if failures:
        print(f"pngcheck: {len(failures)} check(s) failed")
        return 1
    print("pngcheck: all pixel checks passed")
    return 0


def check_rect(before, after, x0, y0, rw, rh, feather):
    w, h, a = rgba(before)
    w2, h2, b = rgba(after)
    expect((w, h) == (w2, h2), f"{after}: {w2}x{h2}, as the input")
    if (w, h) != (w2, h2):
        return 1
    x0, y0 = (w + x0 if x0 < 0 else x0), (h + y0 if y0 < 0 else y0)
    far = [i for i in range(w * h) if not (x0 - feather <= i % w < x0 + rw + feather
                                           and y0 - feather <= i // w < y0 + rh + feather)]
    core = [i for i in range(w * h) if x0 + feather <= i % w < x0 + rw - feather
            and y0 + feather <= i // w < y0 + rh - feather]
    diff_far = sum(1 for i in far if a[i][:3] != b[i][:3])
    changed = sum(1 for i in core if a[i][:3] != b[i][:3])
    expect(diff_far == 0, f"{after}: {diff_far} of {len(far)} pixels away from the rectangle differ")
    expect(changed > len(core) // 2, f"{after}: {changed} of {len(core)} pixels inside the rectangle changed")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1] == "make":
        size = tuple(map(int, sys.argv[3:5])) if len(sys.argv) > 4 else (W, H)
        write_png(sys.argv[2], size[0], size[1], picture(*size))
        sys.exit(0)
    if sys.argv[1] == "rect":
        sys.exit(check_rect(sys.argv[2], sys.argv[3], *map(int, sys.argv[4:9])))
    sys.exit(check(sys.argv[2]))
