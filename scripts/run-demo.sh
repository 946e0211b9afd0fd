#!/bin/sh
# The main job: installs dependencies, builds, and runs libvar headless on the
# models that ship with the project.
# TODO: in-paint the bundled image with the bundled demo model once both exist;
# for now it checks every golden set.
set -u
cd "$(dirname "$0")/.." || exit 1
sh scripts/install-deps.sh || exit 1
if [ ! -f build/build.ninja ]; then
  meson setup build || exit 1
fi
ninja -C build || exit 1
for f in tests/data/golden/*/*.pth; do ./build/tools/var inspect "$f" || exit 1; done
./build/tools/var-golden-check tests/data/golden/tiny tests/data/golden/tiny-saln tests/data/golden/small
