"""data.py — the procedural image family the demo model is trained on.

Six classes of 32x32 RGB patterns whose hidden parts can be predicted from what is visible:

  0 stripes       straight bands, random angle, period 10-20 px, random duty cycle
  1 checkerboard  rotated squares, cell 6-12 px
  2 gradient      linear blend between two colours, random direction, mild curvature
  3 rings         concentric circles around a random centre (possibly off-image), period 9-16 px
  4 dots          a rotated lattice of discs, period 10-16 px
  5 blob          one large solid disc, square or triangle on a plain background

Colours: every image picks two random positions a, b on a fixed colour ramp (dark blue - purple -
red - orange - yellow - cream), at least 0.3 apart, and a pixel whose pattern value is m in [0, 1]
gets ramp(a + (b - a) m).  (Fully random RGB pairs were tried first: with GroupNorm's 32 groups over
the small VAE's 96 channels, the decoder has to encode absolute colour in the direction of 3-channel
groups, and in the time available it learned only mean colours (~15 dB); two scalars per image on a
fixed ramp train as fast as grey levels, and the images stay colourful.)
Edges are anti-aliased with a logistic ramp about half a pixel wide, and a little Gaussian noise is
added.  An image is a pure function of (class, seed): `make_batch(labels, seeds)`.
Training uses seeds from 0 upwards; the evaluation uses seeds from 10**8 upwards (held out).
"""
import numpy as np

CLASSES = ['stripes', 'checkerboard', 'gradient', 'rings', 'dots', 'blob']
SIZE = 32
EVAL_SEED_BASE = 10 ** 8


RAMP = np.array([[0.05, 0.03, 0.25], [0.35, 0.06, 0.55], [0.75, 0.15, 0.45], [0.95, 0.45, 0.15],
                 [0.98, 0.82, 0.25], [0.92, 0.98, 0.80]])


def ramp(t):
    """Piecewise-linear colour ramp, t in [0, 1] (any shape) -> (..., 3)."""
    x = np.clip(t, 0, 1) * (len(RAMP) - 1)
    i = np.minimum(x.astype(int), len(RAMP) - 2)
    w = (x - i)[..., None]
    return RAMP[i] * (1 - w) + RAMP[i + 1] * w


def _colours(rng):
    """Background and foreground positions on the ramp, at least 0.3 apart."""
    while True:
        a, b = rng.random(2)
        if abs(a - b) > 0.3:
            return a, b


def _edge(v, width=0.5):
    """Anti-aliased step: v is a signed distance in pixels (>0 = inside)."""
    return 1.0 / (1.0 + np.exp(-np.clip(v / width, -30, 30)))


def _grid(rng):
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) + 0.5
    return y, x


def _rot(rng, y, x):
    t = rng.random() * np.pi
    c, s = np.cos(t), np.sin(t)
    return c * x + s * y, -s * x + c * y


def _periodic_band(u, period, duty):
    """Signed distance (px) to the edge of bands of width duty*period repeating every period."""
    ph = np.mod(u, period)
    half = duty * period / 2
    return half - np.abs(ph - period / 2)


def render(label, seed):
    rng = np.random.default_rng([int(label), int(seed)])
    fg, bg = _colours(rng)
    y, x = _grid(rng)
    if label == 0:
        u, _ = _rot(rng, y, x)
        period = rng.uniform(10, 20)
        m = _edge(_periodic_band(u + rng.random() * period, period, rng.uniform(0.35, 0.65)))
    elif label == 1:
        u, v = _rot(rng, y, x)
        cell = rng.uniform(6, 12)
        u = u + rng.random() * 2 * cell
        v = v + rng.random() * 2 * cell
        du = _periodic_band(u, 2 * cell, 0.5)
        dv = _periodic_band(v, 2 * cell, 0.5)
        m = _edge(np.minimum(np.abs(du), np.abs(dv)) * np.sign(du * dv))
    elif label == 2:
        u, v = _rot(rng, y, x)
        t = (u - u.min()) / (u.max() - u.min())
        t = t + rng.uniform(-0.15, 0.15) * ((v - v.mean()) / SIZE) ** 2 * 4
        m = np.clip(t, 0, 1)
    elif label == 3:
        cy, cx = rng.uniform(-8, SIZE + 8, 2)
        period = rng.uniform(9, 16)
        r = np.hypot(y - cy, x - cx)
        m = _edge(_periodic_band(r + rng.random() * period, period, rng.uniform(0.4, 0.6)))
    elif label == 4:
        u, v = _rot(rng, y, x)
        period = rng.uniform(10, 16)
        rad = period * rng.uniform(0.25, 0.38)
        du = np.mod(u + rng.random() * period, period) - period / 2
        dv = np.mod(v + rng.random() * period, period) - period / 2
        m = _edge(rad - np.hypot(du, dv))
    else:
        kind = rng.integers(3)
        cy, cx = rng.uniform(9, SIZE - 9, 2)
        size = rng.uniform(6, 12)
        if kind == 0:
            d = size - np.hypot(y - cy, x - cx)
        elif kind == 1:
            u, v = _rot(rng, y - cy, x - cx)
            d = size * 0.85 - np.maximum(np.abs(u), np.abs(v))
        else:
            t0 = rng.random() * 2 * np.pi
            d = np.full(y.shape, np.inf)
            for k in range(3):
                a = t0 + 2 * np.pi * k / 3
                # inside a triangle = on the inner side of three lines
                d = np.minimum(d, size * 0.5 - ((x - cx) * np.cos(a) + (y - cy) * np.sin(a)))
        m = _edge(d)
    img = ramp(bg + (fg - bg) * m).transpose(2, 0, 1)
    img = img + rng.normal(0, 0.01, img.shape)
    return np.clip(img, 0, 1).astype(np.float32)          # 3 x 32 x 32


def hole_mask(kind, d, y0, x0, size=SIZE):
    """A hole as the evaluation and the in-paint-aware training make them: a d x d square ('rect') or the
    ellipse inscribed in it ('ellipse'), top-left corner (y0, x0), in a size x size bool mask."""
    if kind == 'rect':
        m = np.zeros((size, size), bool)
        m[y0:y0 + d, x0:x0 + d] = True
        return m
    y, x = np.mgrid[0:size, 0:size] + 0.5
    r = d / 2
    return ((y - y0 - r) / r) ** 2 + ((x - x0 - r) / r) ** 2 <= 1


def make_batch(labels, seeds):
    """labels, seeds: sequences of ints -> float32 array N x 3 x 32 x 32 in [0, 1]."""
    return np.stack([render(l, s) for l, s in zip(labels, seeds)])


def training_set(n, seed_base=0):
    """n images, classes cycling 0..5, seeds seed_base.. (deterministic)."""
    labels = np.arange(n) % len(CLASSES)
    seeds = seed_base + np.arange(n)
    return make_batch(labels, seeds), labels


if __name__ == '__main__':
    # contact sheet of 8 samples per class, for eyeballing the family
    import sys
    from PIL import Image
    rows = []
    for c in range(len(CLASSES)):
        rows.append(np.concatenate(list(make_batch([c] * 8, range(8))), axis=2))
    sheet = (np.concatenate(rows, axis=1).transpose(1, 2, 0) * 255).astype(np.uint8)
    Image.fromarray(sheet).save(sys.argv[1] if len(sys.argv) > 1 else '/tmp/demo_train/sheet.png')
