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

# A throwaway PostgreSQL server for the tests (Debian's postgresql package,
# scripts/setup.sh): a new cluster in a temporary directory, owned and run by
# an unprivileged user (initdb refuses root; as root, "nobody"), listening
# only on a Unix socket there, stopped and deleted when the calling shell
# exits, on failure too. Sets PG_URL, the URL of its maintenance database
# (role htx, trust auth: nothing but this socket), for the steps that run on
# it as HTX_TEST_POSTGRES; not exported, so the others keep SQLite.
# Durability is off (fsync) for the tests, which kill servers, never the
# machine; `start_postgres durable` keeps PostgreSQL's defaults (benchmarks).
start_postgres() {
  local settings="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${1:-}" = durable ] && settings=""
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$bin/initdb" ] || { echo "PostgreSQL not installed (run scripts/setup.sh)" >&2; return 1; }
  PG_DIR=$(mktemp -d /tmp/htx-pg.XXXXXX)
  PG_AS=()
  if [ "$(id -u)" = 0 ]; then chown nobody "$PG_DIR"; PG_AS=(runuser -u nobody --); fi
  PG_CTL="$bin/pg_ctl"
  trap stop_postgres EXIT
  # From its own directory: the unprivileged user may not enter the caller's.
  ( cd "$PG_DIR" && "${PG_AS[@]}" "$bin/initdb" -D "$PG_DIR/data" -U htx --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ) || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  ( cd "$PG_DIR" && "${PG_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -s \
      -o "-c listen_addresses= -k $PG_DIR $settings -c max_connections=400" start ) ||
    { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_URL="postgres://htx@localhost/postgres?host=$PG_DIR"
  echo "PostgreSQL $("$bin/postgres" -V | awk '{print $3}') for the tests: $PG_URL"
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  ( cd "$PG_DIR" && "${PG_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -m immediate -w -s stop ) >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
}
