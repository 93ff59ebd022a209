#!/usr/bin/env bash
# Quick start, command 2: set up and run every test:
#   0. format and lints: cargo fmt --check, clippy -D warnings (native crates,
#      and the app for wasm32);
#   1. native `cargo test` of the domain core and the server (real SQLite),
#      then every server test again on PostgreSQL (a throwaway cluster);
#   2. in-browser wasm-bindgen-test of the app's unit tests and the device
#      storage (headless Chromium);
#   3. end-to-end tests: the release app served by the real server, driven in
#      headless Chromium over WebDriver (online, then offline after the server
#      stops); the skeleton, field and sync suites again in headless Firefox ESR;
#      the review loop (a device syncs, staff review) on PostgreSQL.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$(date +%s)
timings=()
timed() {
  local name="$1"; shift
  local t0; t0=$(date +%s)
  "$@"
  timings+=("$(printf '%-34s %4ss' "$name" $(( $(date +%s) - t0 )))")
}

timed "setup" scripts/setup.sh
step "format and lints"
timed "cargo fmt --check" cargo fmt --all --check
timed "clippy (native crates)" cargo clippy --workspace --exclude htx-survey --all-targets -- -D warnings
timed "clippy (app, wasm32)" with_web_env cargo clippy -p htx-survey --target wasm32-unknown-unknown --all-targets -- -D warnings
step "native tests (htx-core, htx-server)"
timed "native cargo test" cargo test -p htx-core -p htx-server
step "the server tests again, on PostgreSQL"
start_postgres
timed "server tests on PostgreSQL" env HTX_TEST_POSTGRES="$PG_URL" cargo test -p htx-server
# Each test server made a database of its own (about 1 GB in all): gone now.
stop_postgres
step "fuzz, short run (scripts/fuzz.sh runs 1,000,000 inputs)"
timed "htx-fuzz (12,000 inputs)" env RUST_LOG=error cargo run -q -p htx-server --bin htx-fuzz -- --inputs 12000 --seed 1
step "in-browser tests (wasm-bindgen-test, headless Chromium)"
timed "wasm-bindgen-test" with_web_env env WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/tests/web/webdriver.json" \
  cargo test -p htx-survey --target wasm32-unknown-unknown --lib --test storage_web
timed "trunk build" build_app
step "end-to-end tests (real server, real browser)"
timed "build server" cargo build -p htx-server
timed "e2e cargo test" env HTX_SERVER_BIN="$ROOT/target/debug/htx-server" HTX_DIST="$ROOT/dist" \
  cargo test -p htx-e2e
timed "e2e in Firefox (skeleton, field, sync)" env HTX_E2E_BROWSER=firefox \
  HTX_SERVER_BIN="$ROOT/target/debug/htx-server" HTX_DIST="$ROOT/dist" \
  cargo test -p htx-e2e --test skeleton --test field --test sync
start_postgres
timed "e2e review loop on PostgreSQL" env HTX_TEST_POSTGRES="$PG_URL" HTX_SERVER_BIN="$ROOT/target/debug/htx-server" HTX_DIST="$ROOT/dist" \
  cargo test -p htx-e2e --test review
stop_postgres

step "timings"
printf '  %s\n' "${timings[@]}"
printf '  %-34s %4ss\n' "total" $(( $(date +%s) - started ))
