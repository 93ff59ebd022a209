// htx-survey service worker: makes the app open and work with no connection.
// Trunk copies this file to dist/ and scripts/gen-sw.py (a post_build hook)
// fills in the two placeholders: the list of every file of the built app shell
// and a cache version derived from their contents.
const VERSION = "__PRECACHE_VERSION__";
const PRECACHE = "__PRECACHE_URLS__";
const PREFIX = "htx-shell-";
const CACHE = PREFIX + VERSION;
// A navigation waits this long for the network before it is answered from the
// cache: a dead-slow rural connection must not keep the officer from the app.
const NAVIGATION_TIMEOUT_MS = 4000;
// The staff console's routes (a separate bundle; htx_core::console::CONSOLE_ROUTES,
// written here by gen-sw.py): staff work online, so these pages come from the
// network only, never as the field app.
const CONSOLE_ROUTE = /^\/(__CONSOLE_ROUTES__)(\/|$)/;
// Trunk's content-hashed file names (e.g. htx-survey-5a1d018b42b7199b_bg.wasm).
const HASHED = /-[0-9a-f]{16}(_bg)?\.[a-z0-9]+$/;

self.addEventListener("install", (event) => {
  // The API goes straight to the network without this worker (Chromium
  // 123+, where the browser supports it): the fetch handler below lets API
  // requests through untouched anyway, and waking the worker for each push,
  // receipt and pull only adds to a sync's time.
  if (event.addRoutes) {
    event.waitUntil(
      event.addRoutes([{ condition: { urlPattern: { pathname: "/api/*" } }, source: "network" }])
        .catch(() => {})
    );
  }
  event.waitUntil(
    caches.open(CACHE)
      // no-cache: revalidate with the server, so a stale HTTP cache entry of
      // index.html can never be stored next to the new hashed assets.
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "no-cache" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  // Only our own shell caches are replaced; IndexedDB (the officer's data) is
  // never touched by an update.
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  // The API is live data: never cached, never answered from a cache.
  if (url.pathname.startsWith("/api/")) return;
  if (req.mode === "navigate" && CONSOLE_ROUTE.test(url.pathname)) return;
  if (req.mode === "navigate") {
    event.respondWith(networkFirstPage(req));
    return;
  }
  if (HASHED.test(url.pathname)) {
    event.respondWith(caches.match(req, { cacheName: CACHE }).then((hit) => hit || fetch(req)));
    return;
  }
  // Unhashed shell files (manifest, icons): network first, cache when offline.
  event.respondWith(
    fetch(req).catch(() => caches.match(req, { cacheName: CACHE }).then((hit) => hit || Response.error()))
  );
});

// Every navigation of the single-page app (/, /visits, ...) is index.html.
async function networkFirstPage(req) {
  const cached = () => caches.match("/index.html", { cacheName: CACHE });
  try {
    const res = await withTimeout(fetch(req), NAVIGATION_TIMEOUT_MS);
    if (res.ok) return res;
    return (await cached()) || res;
  } catch (_) {
    return (await cached()) || Response.error();
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}
