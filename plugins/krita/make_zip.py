#!/usr/bin/env python3
"""Builds libvar_krita.zip for Krita's Tools › Scripts › Import Python Plugin from File.

Usage: make_zip.py OUT.zip PLUGIN_DIR LIBVAR_SO

The zip holds libvar_krita.desktop and the libvar_krita/ package with a copy
of the shared library inside it (libvar_krita/libvar.so.0, or libvar.dll from a
Windows build), where the binding
looks first after $LIBVAR_PATH, so the imported plug-in needs no install step.
"""

import os
import sys
import zipfile


def main(out, plugin_dir, libvar_so):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(os.path.join(plugin_dir, "libvar_krita.desktop"), "libvar_krita.desktop")
        pkg = os.path.join(plugin_dir, "libvar_krita")
        for name in sorted(os.listdir(pkg)):
            if name.endswith((".py", ".html")):
                z.write(os.path.join(pkg, name), f"libvar_krita/{name}")
        # a Windows build ships libvar.dll (static C runtime parts: nothing else needed)
        name = "libvar.dll" if libvar_so.endswith(".dll") else "libvar.so.0"
        z.write(os.path.realpath(libvar_so), f"libvar_krita/{name}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
