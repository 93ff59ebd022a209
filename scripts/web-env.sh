# Source this before any wasm32 build or test:   . scripts/web-env.sh
# scripts/setup.sh decides the toolchain mode and writes scripts/.toolchain:
#   rustup     - rustup's own wasm32-unknown-unknown target: nothing special needed;
#   debian-web - Debian's rustc-web 1.96 (linked into rustup as "debian-web"),
#                std built from rust-web-src with -Zbuild-std, lld-22's wasm-ld.
# Native builds in shells that did not source this keep the default toolchain.
_htx_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
_htx_mode="$(cat "$_htx_root/scripts/.toolchain" 2>/dev/null || echo missing)"
case "$_htx_mode" in
  debian-web)
    export RUSTUP_TOOLCHAIN=debian-web                  # also overrides dependencies' rust-toolchain files
    export RUSTC_BOOTSTRAP=1                            # allow -Z on the stable Debian toolchain
    export CARGO_UNSTABLE_BUILD_STD=std,panic_abort     # == -Zbuild-std=std,panic_abort, wasm builds only
    # Debian's rustc-web defaults to `rust-lld`, which Debian does not ship.
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-22/bin/wasm-ld
    # Smaller wasm: no source locations in panic messages (a -Z flag, so only
    # here), and .cargo/config.toml's erase_components, which this replaces.
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components -Zlocation-detail=none"
    # The shipped app only (scripts/lib.sh's build_app): a panic stops the wasm
    # at once, with no message and none of the formatting a message needs
    # (a smaller download). Tests keep panic messages: they say what failed.
    export HTX_SHIPPED_WASM_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort"
    # ... and std's smaller algorithms (sorts, searches) where it has two.
    export HTX_SHIPPED_STD_FEATURES="optimize_for_size"
    ;;
  rustup) ;;
  *) echo "scripts/web-env.sh: run scripts/setup.sh first" >&2 ;;
esac
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"  # wasm-bindgen-test-runner: headless Chromium
# Trunk's update check ignores Trunk.toml's `offline = true`; only these turn it off.
export TRUNK_SKIP_VERSION_CHECK=true
export TRUNK_OFFLINE=true
case ":$PATH:" in
  *":$_htx_root/node_modules/.bin:"*) ;;
  *) export PATH="$_htx_root/node_modules/.bin:$PATH" ;;   # wasm-opt 132 (npm binaryen)
esac
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
unset _htx_root _htx_mode
