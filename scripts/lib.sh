# Shared by scripts/run.sh, test.sh and bench.sh (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

# Builds the browser app into dist/ with Trunk (release: size-optimised wasm).
# Two bundles (src/app.rs): the field app into dist/, then the staff console
# into dist/console/ (in that order: trunk replaces its whole dist dir).
build_app() {
  step "trunk build (release) -> dist/ (field app) and dist/console/ (console)"
  ( . scripts/web-env.sh &&
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-} ${HTX_SHIPPED_WASM_RUSTFLAGS:-}" &&
    if [ -n "${HTX_SHIPPED_STD_FEATURES:-}" ]; then export CARGO_UNSTABLE_BUILD_STD_FEATURES="$HTX_SHIPPED_STD_FEATURES"; fi &&
    trunk build && trunk build console.html --dist dist/console --public-url /console/ )
  precompress dist
}

# Writes file.br (brotli, best) and file.gz (gzip -9) beside each hashed
# .wasm/.js/.css Trunk built, which the server sends as they are to a browser
# accepting them: compressing a 1.5 MB wasm this hard per request would cost
# seconds of CPU, and on the fly the server uses a faster, weaker level. Only
# hashed names: their content never changes, so a copy can never be stale
# (sw.js, index.html are left to the server). Not in the service worker's
# precache (gen-sw.py runs before this).
precompress() {
  find "$1" -type f -regextype posix-extended -regex '.*-[0-9a-f]{16}(_bg)?\.(wasm|js|css)' -print0 |
    while IFS= read -r -d '' f; do
      brotli -f -q 11 -o "$f.br" "$f"
      gzip -9 -n -k -f "$f"
    done
}

# Runs a command with the wasm toolchain environment.
with_web_env() {
  ( . scripts/web-env.sh && "$@" )
}
