#!/usr/bin/env python3
"""Trunk post_build hook: fill the service worker's precache list.

Trunk runs this with TRUNK_STAGING_DIR pointing at dist/.stage, after
index.html and all hashed assets are written there and before they move to
dist/. The list is every staged file but sw.js itself; the cache version is a
hash of their names and contents, so any change installs a new cache.
"""
import hashlib
import json
import os
import pathlib
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

text = sw.read_text()
if "__PRECACHE_VERSION__" not in text or '"__PRECACHE_URLS__"' not in text:
    sys.exit("gen-sw.py: sw.js has no placeholders")
text = text.replace("__PRECACHE_VERSION__", version).replace('"__PRECACHE_URLS__"', json.dumps(urls))
sw.write_text(text)
print(f"gen-sw.py: precache version {version}: {len(urls)} files")
