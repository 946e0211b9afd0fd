#!/usr/bin/env python3
"""unit_circles.py NM LIBRARY.a: dependency circles between the library's units.

Unit A depends on unit B when an object of A uses a global symbol that B's
object defines (nm on the archive's members).  Prints the units, the edges and
every strongly connected component of more than one unit; exits 1 when there is
one.  Run by the meson test `unit-circles` on libvar_internal.a, so a new
circle (say a kernel calling back into its backend's op table) fails the build's
tests instead of creeping in.
"""
import collections
import os
import re
import subprocess
import sys


def unit(member):
    base = os.path.basename(member)
    for suffix in ('.c.o', '.c.obj', '.o', '.obj'):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
            break
    for prefix in ('core_src_', 'opencl_'):
        if base.startswith(prefix):
            return base[len(prefix):]
    return base


def main():
    nm, lib = sys.argv[1:3]
    out = subprocess.run([nm, '-A', lib], capture_output=True, text=True, check=True).stdout
    defs, uses, units = {}, collections.defaultdict(set), set()
    for line in out.splitlines():
        # "LIBRARY.a:MEMBER.o:ADDRESS TYPE SYMBOL" (ADDRESS blank for undefined symbols)
        m = re.match(r'^.*?:([^:]*\.o(?:bj)?):\s*(.*)$', line)
        if not m:
            continue
        member, fields = m.group(1), m.group(2).split()
        u = unit(member)
        units.add(u)
        if len(fields) == 3 and fields[1] in 'TDBRV':
            defs[fields[2]] = u
        elif len(fields) == 2 and fields[0] == 'U':
            uses[u].add(fields[1])
    graph = collections.defaultdict(set)
    why = collections.defaultdict(set)
    for u, syms in uses.items():
        for s in syms:
            if s in defs and defs[s] != u:
                graph[u].add(defs[s])
                why[(u, defs[s])].add(s)
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comps.append(sorted(comp))

    for u in sorted(units):
        if u not in index:
            visit(u)
    circles = [c for c in comps if len(c) > 1]
    print(f'{len(units)} units, {sum(len(graph[u]) for u in units)} dependencies, {len(circles)} circle(s)')
    for c in circles:
        print('circle:', ' '.join(c))
        for a in c:
            for b in sorted(x for x in graph[a] if x in c):
                print(f'  {a} -> {b}: {" ".join(sorted(why[(a, b)])[:4])}')
    return 1 if circles else 0


if __name__ == '__main__':
    sys.exit(main())
