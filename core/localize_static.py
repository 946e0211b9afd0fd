#!/usr/bin/env python3
"""localize_static.py LD OBJCOPY AR IN.a OUT.a

Makes the installed static libvar export what the shared one does: the VAR_API
functions of var.h.  Every other symbol of the library (ocl_*, cpu_*, the
internal var_* helpers) is compiled with hidden visibility, but an archive of
plain objects still offers them to whatever links it, where they can clash
with a plug-in's own.  So the objects are combined into one relocatable object
(ld -r, which resolves the calls between them) and the hidden symbols become
local to it (objcopy --localize-hidden); the archive holds that one object.
"""
import os
import subprocess
import sys


def main() -> int:
    ld, objcopy, ar, src, dst = sys.argv[1:6]
    joined = dst + '.o'
    subprocess.run([ld, '-r', '-o', joined, '--whole-archive', src], check=True)
    subprocess.run([objcopy, '--localize-hidden', joined], check=True)
    if os.path.exists(dst):
        os.remove(dst)
    subprocess.run([ar, 'rcs', dst, joined], check=True)
    os.remove(joined)
    return 0


if __name__ == '__main__':
    sys.exit(main())
