#!/usr/bin/env bash
# Fuzzes the server's inputs in process (push, receipt, pull, sign-in,
# registry CSV import, the device's export-file import): no panic, no 5xx,
# a JSON error for every refusal, nothing written for a refused input.
#   scripts/fuzz.sh                 # 1,000,000 inputs, seed 1 (release build)
#   scripts/fuzz.sh 50000 7         # inputs, seed
# Findings go to target/fuzz-findings/; the exit status is non-zero if any.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
inputs="${1:-1000000}"
seed="${2:-1}"
step "htx-fuzz: $inputs inputs, seed $seed"
cargo build --release -p htx-server --bin htx-fuzz
RUST_LOG=error target/release/htx-fuzz --inputs "$inputs" --seed "$seed"
