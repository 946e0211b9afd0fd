#!/bin/sh
# The main job: installs dependencies, builds, and runs libvar headless on the
# model that ships with the project (models/demo: a small VQ-VAE + VAR pair
# trained by tools/train on 32x32 procedural patterns, 6 classes).  It
# in-paints the bundled example image inside the bundled mask and draws one
# image of a class, then says where the PNGs are.
set -u
cd "$(dirname "$0")/.." || exit 1
sh scripts/install-deps.sh || exit 1
if [ ! -f build/build.ninja ]; then
  meson setup build || exit 1
fi
ninja -C build || exit 1
./build/tools/var inpaint models/demo/example.png --mask models/demo/mask.png --model-dir models/demo \
  --seed 0 --top-k 1 --strength 0.25 --grow 0 --margin 32 --out build/demo-inpaint.png -q || exit 1
echo "in-painted models/demo/example.png inside models/demo/mask.png: wrote build/demo-inpaint.png"
./build/tools/var generate --class 3 --seed 0 --model-dir models/demo --out build/demo-generate-rings.png -q || exit 1
echo "generated class 3 (rings, see models/demo/classes.txt): wrote build/demo-generate-rings.png"
