#!/usr/bin/env python3
"""check_krita_zip.py ZIP BUILT_DLL DLL_SYMBOLS_EXE OBJDUMP LAYOUT_EXE NATIVE_LAYOUT_EXE VERSION

The Windows Krita zip (ninja -C build-win krita-zip), checked without a Windows
Python (Debian has none, so the binding itself cannot run under Wine here):
  - it holds libvar_krita.desktop, the package's .py files and Manual.html, and
    libvar_krita/libvar.dll, byte for byte the libvar.dll of the build;
  - that DLL imports only DLLs every Windows has (no MinGW runtime to ship);
  - the binding from the zip (libvar.py, loaded without Krita) looks for
    libvar.dll beside itself, and every function it declares is exported by the
    DLL, which loads by path (dll_symbols.exe under Wine) and reports VERSION;
  - the var.h structures have the same sizes and offsets in the Windows build
    as in a Linux build (tests/krita/struct_layout.c built for both), which the
    binding's ctypes layouts are tested against on Linux.
Each check is counted; the closing row has CUnit's layout for summarize-tests.py."""
import importlib.util
import json
import os
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from winrun import Checks, run_files  # noqa: E402

SYSTEM_DLLS = {"kernel32.dll", "msvcrt.dll", "user32.dll", "advapi32.dll", "ntdll.dll", "ucrtbase.dll"}


def main():
    zpath, built_dll, symbols_exe, objdump, layout_exe, native_layout_exe, version = sys.argv[1:8]
    wrapper = os.environ.get("MESON_EXE_WRAPPER", "").split()
    check = Checks()

    def run_text(cmd):
        rc, out, err = run_files(cmd)
        return rc, (out + err).decode(errors="replace").replace("\r\n", "\n")

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(zpath) as z:
            names = set(z.namelist())
            z.extractall(tmp)
        need = {"libvar_krita.desktop", "libvar_krita/__init__.py", "libvar_krita/libvar.py",
                "libvar_krita/Manual.html", "libvar_krita/libvar.dll"}
        check("zip members", need <= names, f"missing {sorted(need - names)}")
        check("no Linux library in the zip", not any(n.endswith(".so.0") for n in names))
        dll = os.path.join(tmp, "libvar_krita", "libvar.dll")
        if not os.path.exists(dll):
            check("libvar.dll present", False)
        else:
            check("libvar.dll is the build's", open(dll, "rb").read() == open(built_dll, "rb").read())
            rc, out = run_text([objdump, "-p", dll])
            imports = {line.split(":", 1)[1].strip().lower() for line in out.splitlines() if "DLL Name:" in line}
            check("libvar.dll imports only system DLLs", rc == 0 and imports and imports <= SYSTEM_DLLS,
                  f"imports {sorted(imports)}")
            spec = importlib.util.spec_from_file_location("zip_binding", os.path.join(tmp, "libvar_krita", "libvar.py"))
            binding = importlib.util.module_from_spec(spec)
            sys.modules["zip_binding"] = binding   # dataclasses look their module up
            spec.loader.exec_module(binding)
            cands = binding._candidates()
            check("the binding looks for libvar.dll beside itself",
                  os.path.join(tmp, "libvar_krita", "libvar.dll") in cands, f"candidates {cands[:8]}")
            names = sorted(binding.PROTOTYPES)
            rc, out = run_text(wrapper + [symbols_exe, dll] + names)
            check(f"all {len(names)} declared functions exported, the DLL loads by path", rc == 0, out[-2000:])
            check(f"var_version() is {version}", f"var_version {version}\n" in out, out[-500:])
        rc, out = run_text(wrapper + [layout_exe])
        try:
            win = json.loads(out.strip().splitlines()[-1])
            lin = json.loads(run_text([native_layout_exe])[1])
            check("var.h structure layouts: Windows build == Linux build", win == lin,
                  f"differ in {[k for k in lin if win.get(k) != lin[k]]}")
        except (ValueError, IndexError, OSError) as e:
            check("var.h structure layouts: Windows build == Linux build", False, f"{e}: {out[-500:]}")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
