#!/usr/bin/env bash
# Prints size, load and sync figures of the release app (no pass/fail on budgets):
# what the field wasm is made of (by crate, largest functions), wasm raw and
# gzip, the app shell's total, the first-load transfer that headless Chromium
# measures against the real server, the field app's speed and start-up.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
scripts/setup.sh >/dev/null
build_app
# What the field app's wasm is made of: code by crate and the largest
# functions (the shipped code, rebuilt with names; scripts/wasm-breakdown.py).
names="$(mktemp -d)"
wasm-bindgen --target web --keep-debug --out-dir "$names" "$ROOT/target/wasm32-unknown-unknown/wasm-release/htx-survey.wasm"
"$ROOT/node_modules/.bin/wasm-opt" -Oz -g --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue "$names/htx-survey_bg.wasm" -o "$names/named.wasm"
python3 "$ROOT/scripts/wasm-breakdown.py" "$names/named.wasm" 30
rm -rf "$names"
echo
cargo build -p htx-server
HTX_SERVER_BIN="$ROOT/target/debug/htx-server" HTX_DIST="$ROOT/dist" cargo run -q -p htx-e2e --bin bench
echo
# Field app with 5,000 organisations and 10,000 visits on the device.
HTX_SERVER_BIN="$ROOT/target/debug/htx-server" HTX_DIST="$ROOT/dist" cargo run -q -p htx-e2e --bin field_bench
echo
# Sync: in the browser end to end, then ingest, 200 concurrent clients and
# memory, against a release build of the server (as it would be deployed).
# The bench itself is built for release too: it is the load, on the same two
# cores, and unoptimised its JSON and HTTP took CPU the server needed.
cargo build --release -p htx-server
HTX_SERVER_BIN="$ROOT/target/release/htx-server" HTX_DIST="$ROOT/dist" cargo run -q --release -p htx-e2e --bin sync_bench
echo
# The server's figures again on PostgreSQL: a local cluster on this machine
# with its default durability (a WAL flush per commit; SQLite's
# synchronous=NORMAL flushes at checkpoints only).
start_postgres durable
HTX_TEST_POSTGRES="$PG_URL" SYNC_BENCH=server HTX_SERVER_BIN="$ROOT/target/release/htx-server" HTX_DIST="$ROOT/dist" \
  cargo run -q --release -p htx-e2e --bin sync_bench
stop_postgres
echo
# Review console: 100,000 visits on the server.
HTX_SERVER_BIN="$ROOT/target/release/htx-server" HTX_DIST="$ROOT/dist" cargo run -q -p htx-e2e --bin console_bench
