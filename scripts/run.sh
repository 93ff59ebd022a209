#!/usr/bin/env bash
# Quick start, command 1: set up, build the app (release) and start the server
# on http://127.0.0.1:8080 with an embedded SQLite database under ./data/ and the
# synthetic demo dataset. Extra arguments go to htx-server, e.g.
#   scripts/run.sh --addr 127.0.0.1:9000      (or HTX_ADDR=127.0.0.1:9000 scripts/run.sh)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "setup"
scripts/setup.sh
build_app
step "cargo build --release -p htx-server"
cargo build --release -p htx-server
mkdir -p data
step "starting htx-server (Ctrl-C stops it)"
exec target/release/htx-server \
  --database "${HTX_DATABASE:-data/htx-survey.sqlite3}" \
  --static-dir "${HTX_STATIC_DIR:-dist}" \
  --demo "$@"
