#!/usr/bin/env bash
# Idempotent setup of everything htx-survey needs to build and test:
#   - a wasm32-unknown-unknown Rust toolchain: rustup's own target where it is
#     installed; otherwise Debian's rustc-web/cargo-web/rust-web-src 1.96 with
#     -Zbuild-std and lld-22's wasm-ld (linked into rustup as "debian-web");
#   - wasm-bindgen-cli (same version as the `=` pin in Cargo.toml) and trunk,
#     from the crates registry;
#   - wasm-opt from npm binaryen@132 (Debian's binaryen 108 silently breaks the app);
#   - Debian's chromium and chromium-driver, and Debian's firefox-esr with
#     geckodriver from the crates registry, for the browser tests; brotli
#     (the build precompresses the app's assets).
# Nothing downloads a binary, a browser or a toolchain from anywhere but the
# package registries. Every step prints [ok] (already there) or [install].
# Writes scripts/.toolchain ("rustup" or "debian-web"), read by scripts/web-env.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' "$ROOT/Cargo.toml")"
TRUNK_VERSION=0.22.1        # declares rust-version 1.96.1: built with Debian's 1.96.0 + --ignore-rust-version
WASM_OPT_VERSION="wasm-opt version 132 (version_132)"
GECKODRIVER_VERSION=0.37.1
TOOLCHAIN_NAME=debian-web
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
# Never inherit a wasm build environment into the installs below.
unset RUSTUP_TOOLCHAIN RUSTC_BOOTSTRAP CARGO_UNSTABLE_BUILD_STD RUSTC RUSTDOC

say() { printf '%-10s %s\n' "$1" "$2"; }
die() { say "[error]" "$*"; exit 1; }
[ -n "$WASM_BINDGEN_VERSION" ] || die "no wasm-bindgen = \"=x.y.z\" pin in Cargo.toml"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

apt_missing=()
is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need_apt() { for p in "$@"; do is_installed "$p" && say "[ok]" "apt $p $(dpkg-query -W -f='${Version}' "$p")" || apt_missing+=("$p"); done; }
apt_install() {
  [ ${#apt_missing[@]} -gt 0 ] || return 0
  say "[install]" "apt-get install ${apt_missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  for p in "${apt_missing[@]}"; do say "[ok]" "apt $p $(dpkg-query -W -f='${Version}' "$p") (installed now)"; done
  apt_missing=()
}

# ------------------------------------------------------------ 1. wasm toolchain
command -v rustup >/dev/null || die "rustup not found: install Rust with rustup first"
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  MODE=rustup
  say "[ok]" "rustup target wasm32-unknown-unknown ($(rustc -V)); its own rust-lld links wasm"
else
  MODE=debian-web
  say "[note]" "rustup has no wasm32-unknown-unknown std: using Debian's rustc-web with -Zbuild-std"
  need_apt rustc-web cargo-web rust-web-src rust-web-clippy lld-22
fi
need_apt chromium chromium-driver firefox-esr python3 gzip brotli
# PostgreSQL's server binaries: scripts/test.sh runs the server tests on a
# throwaway cluster of its own (lib.sh start_postgres), not on the system one.
need_apt postgresql
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_missing+=(nodejs npm); fi
apt_install

if [ "$MODE" = debian-web ]; then
  [ -x /usr/lib/llvm-22/bin/wasm-ld ] || die "/usr/lib/llvm-22/bin/wasm-ld missing (package lld-22)"
  [ -f /usr/lib/rustlib/src/rust/library/Cargo.lock ] || die "std source missing (package rust-web-src)"
  if rustup toolchain list | grep -Eq "^${TOOLCHAIN_NAME}( |$)"; then
    say "[ok]" "rustup toolchain $TOOLCHAIN_NAME -> /usr ($(RUSTUP_TOOLCHAIN=$TOOLCHAIN_NAME rustc -V))"
  else
    say "[install]" "rustup toolchain link $TOOLCHAIN_NAME /usr"
    rustup toolchain link "$TOOLCHAIN_NAME" /usr
  fi
fi
echo "$MODE" > "$ROOT/scripts/.toolchain"
# Format and lint checks (scripts/test.sh): the native toolchain's rustfmt and clippy.
for c in rustfmt clippy; do
  if rustup component list --installed 2>/dev/null | grep -q "^$c"; then
    say "[ok]" "rustup component $c"
  else
    say "[install]" "rustup component add $c"
    rustup component add "$c" || die "rustup component $c missing and could not be added"
  fi
done

# ------------------------------------------------------------ 2. cargo tools
have_version() { command -v "$1" >/dev/null && [ "$("$1" --version 2>/dev/null | head -1)" = "$2" ]; }
if have_version wasm-bindgen "wasm-bindgen $WASM_BINDGEN_VERSION" \
   && have_version wasm-bindgen-test-runner "wasm-bindgen-test-runner $WASM_BINDGEN_VERSION"; then
  say "[ok]" "wasm-bindgen-cli $WASM_BINDGEN_VERSION"
else
  say "[install]" "cargo install wasm-bindgen-cli --version =$WASM_BINDGEN_VERSION (~3 min)"
  # No --locked: its lock file pins a webpki-roots release the registry does not serve.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi
if have_version trunk "trunk $TRUNK_VERSION"; then
  say "[ok]" "trunk $TRUNK_VERSION"
else
  say "[install]" "cargo install trunk --version =$TRUNK_VERSION --locked (~20 min on 2 cores)"
  if [ "$MODE" = debian-web ]; then
    # trunk needs rustc >= 1.96 (rustup stable may be older). RUSTC must be explicit:
    # otherwise Debian's cargo runs rustup's proxy, which obeys a dependency's own
    # rust-toolchain.toml naming a toolchain that is not installed.
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
      /usr/bin/cargo install trunk --version "=$TRUNK_VERSION" --locked --ignore-rust-version --force
  else
    cargo install trunk --version "=$TRUNK_VERSION" --locked --ignore-rust-version --force
  fi
fi
# The end-to-end suites also run in Firefox (tests/e2e, HTX_E2E_BROWSER=firefox).
if have_version geckodriver "geckodriver $GECKODRIVER_VERSION"; then
  say "[ok]" "geckodriver $GECKODRIVER_VERSION"
else
  say "[install]" "cargo install geckodriver --version =$GECKODRIVER_VERSION --locked (~3 min)"
  cargo install geckodriver --version "=$GECKODRIVER_VERSION" --locked --force
fi

# ------------------------------------------------------------ 3. npm: wasm-opt 132
if [ -x "$ROOT/node_modules/.bin/wasm-opt" ] && [ "$("$ROOT/node_modules/.bin/wasm-opt" --version 2>/dev/null)" = "$WASM_OPT_VERSION" ]; then
  say "[ok]" "npm binaryen 132.0.0 (wasm-opt) in node_modules"
else
  say "[install]" "npm ci (binaryen 132.0.0)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi

# ------------------------------------------------------------ 4. crates for the wasm build
# Trunk builds offline (Trunk.toml `offline`, TRUNK_OFFLINE), so every crate
# the wasm build needs must already be in cargo's cache: the app's, and with
# -Zbuild-std the standard library's own (dlmalloc ...). A no-op when cached.
say "[fetch]" "cargo fetch --target wasm32-unknown-unknown"
(cd "$ROOT" && . scripts/web-env.sh && cargo fetch --target wasm32-unknown-unknown --quiet)

say "[summary]" "toolchain mode: $MODE"
printf '  %-26s %s\n' \
  "rustc (native)" "$(rustc -V)" \
  "rustc (wasm)" "$( [ "$MODE" = debian-web ] && RUSTUP_TOOLCHAIN=$TOOLCHAIN_NAME rustc -V || rustc -V)" \
  "wasm-bindgen" "$(wasm-bindgen --version)" \
  "trunk" "$(trunk --version)" \
  "wasm-opt" "$("$ROOT/node_modules/.bin/wasm-opt" --version)" \
  "chromium" "$(chromium --version 2>/dev/null)" \
  "chromedriver" "$(chromedriver --version | cut -d' ' -f1-2)" \
  "firefox" "$(firefox-esr --version 2>/dev/null)" \
  "geckodriver" "$(geckodriver --version | sed -n 1p)"
