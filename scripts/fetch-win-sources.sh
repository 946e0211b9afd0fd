#!/bin/sh
# Fetches the sources the Windows cross build needs that Debian has no MinGW
# package for -- CUnit (the test suites) and libpng (var.exe) -- as Debian
# source packages with `apt-get source` (signed .dsc, Debian's patches applied
# by dpkg-source), and unpacks them as subprojects/cunit and subprojects/libpng
# with the meson.build files from subprojects/packagefiles/.  Nothing is
# downloaded by meson and nothing fetched is committed (subprojects/.gitignore).
# Uses a private deb-src list and apt state: the system's apt setup is untouched.
set -eu
cd "$(dirname "$0")/.."
overlay() {   # our meson.build files, also over an earlier fetch
  for name in cunit libpng; do cp -r subprojects/packagefiles/"$name"/. "subprojects/$name/"; done
}
if [ -f subprojects/cunit/CUnit/Headers/CUnit.h ] && [ -f subprojects/libpng/png.c ]; then
  overlay
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/parts" "$tmp/lists/partial" "$tmp/src"
# The same Debian mirror and suite as the system's binary packages (the
# debian-security pool is not reachable from CI; bookworm has the point releases).
cat > "$tmp/parts/libvar-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apto="-q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$tmp/parts -o Dir::State::Lists=$tmp/lists"
[ "$(id -u)" = 0 ] && apto="$apto -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get $apto update >/dev/null
# shellcheck disable=SC2086
(cd "$tmp/src" && apt-get $apto source cunit libpng1.6 >/dev/null)
for pair in cunit:cunit-2 libpng:libpng1.6-; do
  name=${pair%%:*}
  rm -rf "subprojects/$name"
  mv "$tmp"/src/"${pair#*:}"*/ "subprojects/$name"
done
overlay
