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
  ( . scripts/web-env.sh && trunk build && trunk build console.html --dist dist/console --public-url /console/ )
}

# Runs a command with the wasm toolchain environment.
with_web_env() {
  ( . scripts/web-env.sh && "$@" )
}
