#!/usr/bin/env bash
# Prints size, load and sync figures of the release app (no pass/fail on budgets):
# wasm raw and gzip, the app shell's total, and the first-load transfer that
# headless Chromium measures against the real server.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
scripts/setup.sh >/dev/null
build_app
cargo build -p htx-server
HTX_SERVER_BIN="$ROOT/target/debug/htx-server" HTX_DIST="$ROOT/dist" cargo run -q -p htx-e2e --bin bench
echo
# Field app with 5,000 organisations and 10,000 visits on the device.
HTX_SERVER_BIN="$ROOT/target/debug/htx-server" HTX_DIST="$ROOT/dist" cargo run -q -p htx-e2e --bin field_bench
echo
# Sync: in the browser end to end, then ingest, 200 concurrent clients and
# memory, against a release build of the server (as it would be deployed).
cargo build --release -p htx-server
HTX_SERVER_BIN="$ROOT/target/release/htx-server" HTX_DIST="$ROOT/dist" cargo run -q -p htx-e2e --bin sync_bench
echo
# Review console: 100,000 visits on the server.
HTX_SERVER_BIN="$ROOT/target/release/htx-server" HTX_DIST="$ROOT/dist" cargo run -q -p htx-e2e --bin console_bench
