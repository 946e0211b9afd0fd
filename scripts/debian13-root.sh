#!/bin/sh
# A Debian 13 (trixie) root for the suites that need what Debian 12 lacks:
# GIMP 3.0, Krita 5.2 and PyQt6.  Built once with mmdebstrap from the same
# Debian registry and kept outside the clone (reused while its package list is
# unchanged); the repository is bind-mounted inside it at its own path, so
# paths (and meson build folders) read the same inside and out, and several
# clones can share one root.
#
#   scripts/debian13-root.sh ensure          build (or reuse) the root, mount /proc /dev /sys and the clone
#   scripts/debian13-root.sh run CMD...      run CMD in the root, in the clone's folder (ensures first)
#   scripts/debian13-root.sh umount          undo the mounts
#
# LIBVAR_D13_ROOT chooses the folder (default /var/tmp/libvar-debian13).
set -eu
ROOT="${LIBVAR_D13_ROOT:-/var/tmp/libvar-debian13}"
SRC="$(cd "$(dirname "$0")/.." && pwd)"
SUITE="${LIBVAR_D13_SUITE:-trixie}"
# One root for GIMP 3 and Krita: keep this list the only place that names them.
PKGS="build-essential pkg-config meson ninja-build gettext python3 python3-numpy
  libcunit1-dev libopenblas-dev libpng-dev zlib1g-dev
  gimp libgimp-3.0-dev gir1.2-gimp-3.0 python3-gi
  krita python3-pyqt5 python3-pyqt5.sip python3-pyqt6
  xvfb xauth xdotool x11-utils imagemagick dbus-x11 fonts-dejavu-core"
STAMP="$ROOT/.libvar-root-stamp"
want="$(printf '%s %s\n' "$SUITE" "$PKGS" | tr -s ' \n' '  ' | cksum | cut -d' ' -f1)"

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

build_root() {
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q mmdebstrap
  fi
  umount_all
  $SUDO rm -rf "$ROOT.new"
  inc="$(echo $PKGS | tr ' ' ',')"
  echo "debian13-root: building $ROOT ($SUITE; a few minutes)" >&2
  $SUDO mmdebstrap --variant=apt --include="$inc" "$SUITE" "$ROOT.new" >&2
  $SUDO rm -rf "$ROOT"
  $SUDO mv "$ROOT.new" "$ROOT"
  echo "$want" | $SUDO tee "$STAMP" >/dev/null
}

is_mounted() { grep -q " $1 " /proc/mounts; }

mount_all() {
  is_mounted "$ROOT/proc" || $SUDO mount -t proc proc "$ROOT/proc"
  is_mounted "$ROOT/dev" || $SUDO mount --bind /dev "$ROOT/dev"
  # PoCL's hwloc and Qt read /sys; without it some of them abort.
  is_mounted "$ROOT/sys" || $SUDO mount --bind /sys "$ROOT/sys"
  $SUDO mkdir -p "$ROOT$SRC"
  # A mount left by an earlier clone at the same path (since deleted and made
  # anew) shows the old, deleted folder: replace it.
  # (a deleted folder has no links left; its inode number may have been reused)
  if is_mounted "$ROOT$SRC" && { [ "$(stat -c %d:%i "$SRC")" != "$(stat -c %d:%i "$ROOT$SRC" 2>/dev/null)" ] ||
       [ "$(stat -c %h "$ROOT$SRC" 2>/dev/null)" = 0 ]; }; then
    $SUDO umount -l "$ROOT$SRC" || true
  fi
  is_mounted "$ROOT$SRC" || $SUDO mount --bind "$SRC" "$ROOT$SRC"
}

umount_all() {
  # Clones mounted under the root first, then the system folders.
  for m in $(awk -v r="$ROOT/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
    $SUDO umount -l "$m" || true
  done
}

ensure() {
  if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then build_root; fi
  mount_all
}

cmd="${1:-ensure}"
[ $# -gt 0 ] && shift
case "$cmd" in
  ensure) ensure ;;
  run)
    ensure
    exec $SUDO chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 \
      TERM=dumb CI="${CI:-}" sh -c 'cd "$0" && exec "$@"' "$SRC" "$@" ;;
  umount) umount_all ;;
  *) echo "usage: $0 ensure|run CMD...|umount" >&2; exit 2 ;;
esac
