#!/usr/bin/env python3
"""Check that src/'s directories include each other without a circle.

Each header in include/hardrun/ belongs to the directory of the .c file of
the same name (or to the one named in OWNER below); a file in directory A
that includes a header of directory B is an edge A -> B.  Prints the
edges, and every circle; exits 1 when there is one.
"""
import collections
import glob
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Headers that declare more than one file's functions, or whose .c has another name.
OWNER = {
    "cleanup": "base", "testpoint": "base", "create": "cmd", "rules": "engine",
    "audit": "engine", "rules-resources": "rules", "lsm": "provision", "idmap": "provision",
    "spec": "oci",
    "runtime": "runtime",
}


def layer(path):
    parts = os.path.relpath(path, os.path.join(TOP, "src")).split(os.sep)
    return parts[0] if len(parts) > 1 else "src"


def main():
    owner = {}
    for c in glob.glob(os.path.join(TOP, "src", "**", "*.c"), recursive=True):
        owner.setdefault(os.path.basename(c)[:-2], layer(c))
    edges = collections.defaultdict(lambda: collections.defaultdict(set))
    for f in glob.glob(os.path.join(TOP, "src", "**", "*.[ch]"), recursive=True):
        a = layer(f)
        with open(f, encoding="utf-8") as fh:
            for h in re.findall(r'#include "hardrun/([a-z-]+)\.h"', fh.read()):
                b = OWNER.get(h, owner.get(h, "?"))
                if b != a:
                    edges[a][b].add(f"{os.path.basename(f)} includes {h}.h")

    def reaches(a, b, seen):
        for n in edges.get(a, {}):
            if n == b or (n not in seen and (seen.add(n) or reaches(n, b, seen))):
                return True
        return False

    for a in sorted(edges):
        print(f"{a} -> {', '.join(sorted(edges[a]))}")
    circles = [(a, b) for a in edges for b in edges[a] if reaches(b, a, set())]
    for a, b in circles:
        print(f"circle: {a} -> {b}: {'; '.join(sorted(edges[a][b]))}")
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
