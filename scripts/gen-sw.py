#!/usr/bin/env python3
"""Trunk post_build hook: fill the service worker's precache list, and its
pattern of the console's routes from htx_core::console::CONSOLE_ROUTES (the
one definition, in crates/core/src/console.rs).

Trunk runs this with TRUNK_STAGING_DIR pointing at dist/.stage, after
index.html and all hashed assets are written there and before they move to
dist/. The list is every staged file but sw.js itself; the cache version is a
hash of their names and contents, so any change installs a new cache.
"""
import hashlib
import json
import os
import pathlib
import re
import sys

staging = pathlib.Path(os.environ["TRUNK_STAGING_DIR"])
public_url = os.environ.get("TRUNK_PUBLIC_URL", "/")
if not public_url.endswith("/"):
    public_url += "/"

sw = staging / "sw.js"
if not sw.is_file():
    # The console's build (console.html): no service worker of its own.
    print("gen-sw.py: no sw.js staged, nothing to precache")
    sys.exit(0)
files = sorted(
    p.relative_to(staging).as_posix()
    for p in staging.rglob("*")
    if p.is_file() and p.name != "sw.js"
)
if "index.html" not in files:
    sys.exit("gen-sw.py: index.html is not staged")
digest = hashlib.sha256()
for f in files:
    digest.update(f.encode())
    digest.update((staging / f).read_bytes())
version = digest.hexdigest()[:16]
urls = [public_url + f for f in files]

core = pathlib.Path(__file__).resolve().parent.parent / "crates/core/src/console.rs"
m = re.search(r"pub const CONSOLE_ROUTES: \[&str; \d+\] = \[([^\]]*)\];", core.read_text())
routes = re.findall(r'"([a-z0-9_-]+)"', m.group(1)) if m else []
if not routes:
    sys.exit(f"gen-sw.py: no CONSOLE_ROUTES in {core}")

text = sw.read_text()
if "__PRECACHE_VERSION__" not in text or '"__PRECACHE_URLS__"' not in text or "__CONSOLE_ROUTES__" not in text:
    sys.exit("gen-sw.py: sw.js has no placeholders")
text = text.replace("__PRECACHE_VERSION__", version).replace('"__PRECACHE_URLS__"', json.dumps(urls))
text = text.replace("__CONSOLE_ROUTES__", "|".join(routes))
sw.write_text(text)
print(f"gen-sw.py: precache version {version}: {len(urls)} files")
