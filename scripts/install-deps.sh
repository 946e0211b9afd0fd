#!/bin/sh
# Installs the Debian 12 packages libvar builds and tests with (apt-get, as
# root or through sudo).  Skips the install when everything is already there.
set -e
PKGS="build-essential pkg-config meson ninja-build gettext python3 python3-numpy python3-pil
  libcunit1-dev libopenblas-dev libpng-dev
  ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd clinfo libclblast-dev
  libglib2.0-dev libgegl-dev libbabl-dev libgimp2.0-dev gimp
  krita python3-pyqt5 python3-sip python3-pyqt6
  xvfb xauth xdotool clang libclang-rt-14-dev
  gcc-mingw-w64-x86-64 libz-mingw-w64-dev wine wine64 dpkg-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q $missing
