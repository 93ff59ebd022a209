#!/usr/bin/env python3
"""What the field app's wasm is made of: code bytes by crate and the largest
functions, read from the wasm's name section. The shipped wasm keeps no
names, so scripts/bench.sh passes the one rustc wrote through wasm-bindgen
(--keep-debug) and wasm-opt -Oz -g: the same code as shipped, with names.
A generic function counts for the crate that defines it (serde_json's
deserializer of a Visit is serde_json's); each name is demangled by
binutils' c++filt when present.

usage: wasm-breakdown.py FILE.wasm [TOP_FUNCTIONS]
"""
import re
import shutil
import subprocess
import sys
from collections import defaultdict


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def sections(b):
    i = 8
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        yield sid, b[j:j + size]
        i = j + size


def demangle(name):
    """Rust's legacy mangling (_ZN...E) to a path, hash dropped."""
    if not name.startswith("_ZN"):
        return name
    i, parts = 3, []
    while i < len(name) and name[i].isdigit():
        j = i
        while name[j].isdigit():
            j += 1
        n = int(name[i:j])
        parts.append(name[j:j + n])
        i = j + n
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    path = "::".join(parts)
    for a, b_ in (("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$RF$", "&"), ("$C$", ","),
                  ("$u7b$", "{"), ("$u7d$", "}"), ("$u5b$", "["), ("$u5d$", "]"), ("..", "::"), ("$BP$", "*")):
        path = path.replace(a, b_)
    return path


def demangle_all(names):
    """Rust v0 symbols (_R...) through binutils' c++filt, hashes dropped."""
    if not shutil.which("c++filt"):
        return [demangle(n) for n in names]
    out = subprocess.run(["c++filt", "--format=rust"], input="\n".join(names), capture_output=True,
                         text=True, check=True).stdout.split("\n")
    return [demangle(re.sub(r"\[[0-9a-f]{16}\]", "", o)) for o in out[:len(names)]]


def crate_of(path):
    # `<_ as Trait>::f`: a blanket impl, counted for the trait's crate.
    if path.startswith("<_ as "):
        path = path[len("<_ as "):]
    p = path.lstrip("<&*").replace("mut ", "").replace("dyn ", "").replace("const ", "")
    m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", p)
    if not m:
        return "(other)"
    c = m.group(0)
    if c in ("core", "alloc", "std"):
        return "std (core, alloc)"
    return c


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    b = open(path, "rb").read()
    imported = 0
    bodies, names, data = [], {}, 0
    for sid, c in sections(b):
        if sid == 2:
            n, i = leb(c, 0)
            for _ in range(n):
                for _ in range(2):
                    ln, i = leb(c, i)
                    i += ln
                kind = c[i]
                i += 1
                if kind == 0:
                    _, i = leb(c, i)
                    imported += 1
                elif kind == 1:
                    i += 1
                    flags, i = leb(c, i)
                    _, i = leb(c, i)
                    if flags & 1:
                        _, i = leb(c, i)
                elif kind == 2:
                    flags, i = leb(c, i)
                    _, i = leb(c, i)
                    if flags & 1:
                        _, i = leb(c, i)
                elif kind == 3:
                    i += 2
                else:
                    _, i = leb(c, i)
        elif sid == 10:
            n, i = leb(c, 0)
            for _ in range(n):
                size, j = leb(c, i)
                bodies.append(j - i + size)
                i = j + size
        elif sid == 11:
            data = len(c)
        elif sid == 0:
            ln, i = leb(c, 0)
            if c[i:i + ln] != b"name":
                continue
            i += ln
            while i < len(c):
                sub = c[i]
                size, j = leb(c, i + 1)
                if sub == 1:
                    n, k = leb(c, j)
                    for _ in range(n):
                        idx, k = leb(c, k)
                        ln, k = leb(c, k)
                        names[idx] = c[k:k + ln].decode("utf-8", "replace")
                        k += ln
                i = j + size
    code = sum(bodies)
    by_crate = defaultdict(int)
    funcs = []
    raw = [names.get(imported + n, f"func{imported + n}").replace("\n", " ") for n in range(len(bodies))]
    for size, name in zip(bodies, demangle_all(raw)):
        if name.startswith("__wbindgen_describe"):
            continue  # read and removed by wasm-bindgen
        by_crate[crate_of(name)] += size
        funcs.append((size, name))
    print(f"{path}: {len(b)} bytes; code {code} ({len(bodies)} functions), data {data}")
    print("\ncode by crate:")
    for c, size in sorted(by_crate.items(), key=lambda kv: -kv[1])[:30]:
        print(f"  {size:>9}  {100 * size / code:5.1f} %  {c}")
    # Across crates: what (de)serialising costs (serde's traits, its formats).
    serde = sum(size for size, name in funcs if "serde" in name)
    fmt = sum(size for size, name in funcs if "core::fmt" in name or "alloc::fmt" in name)
    print(f"\nacross crates: serde and its formats {serde} ({100 * serde / code:.1f} %), "
          f"core::fmt {fmt} ({100 * fmt / code:.1f} %)")
    print(f"\nlargest {top} functions:")
    for size, name in sorted(funcs, reverse=True)[:top]:
        print(f"  {size:>9}  {name[:150]}")


if __name__ == "__main__":
    main()
