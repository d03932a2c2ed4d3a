#!/usr/bin/env bash
# Project-local PostgreSQL (+ pgvector, pg_stat_statements) and Redis for Sluice.
#
#   scripts/services.sh up|down|status [--quiet] [--replica] [--pgbouncer]
#   scripts/services.sh env                 # prints `export VAR=...` lines for the launcher
#   scripts/services.sh pg-stop|pg-start|redis-stop|redis-start|replica-stop|replica-start   # fault injection
#
# Everything lives under <repo>/.work (git-ignored); paths are computed from this file's
# location, so a fresh clone anywhere works. See shared INFRA.md for the recipe.
# With SLUICE_PG_URL / SLUICE_REDIS_URL set, the matching local service is left alone.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
WORK="$ROOT/.work"

# Ports can be moved (e.g. a second checkout next to a running one); the defaults are the contract.
PG_PORT="${SLUICE_LOCAL_PG_PORT:-55432}"
REDIS_PORT="${SLUICE_LOCAL_REDIS_PORT:-56379}"
REPLICA_PORT="${SLUICE_LOCAL_REPLICA_PORT:-55433}"
PGBOUNCER_PORT="${SLUICE_LOCAL_PGBOUNCER_PORT:-56432}"
PG_DB=sluice
PG_USER=postgres
PG_DIR="$WORK/pg"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/sock"
PG_LOG="$PG_DIR/pg.log"
# The streaming replica (up --replica): a pg_basebackup -R copy of the primary on its own port.
REPLICA_DATA="$PG_DIR/replica"
REPLICA_LOG="$PG_DIR/replica.log"
# PgBouncer in transaction mode in front of the primary (up --pgbouncer).
PGBOUNCER_DIR="$WORK/pgbouncer"
PGBOUNCER_INI="$PGBOUNCER_DIR/pgbouncer.ini"
PGBOUNCER_LOG="$PGBOUNCER_DIR/pgbouncer.log"
PGBOUNCER_PID="$PGBOUNCER_DIR/pgbouncer.pid"
REDIS_DIR="$WORK/redis"
REDIS_CONF="$REDIS_DIR/redis.conf"
REDIS_LOG="$REDIS_DIR/redis.log"
REDIS_PID="$REDIS_DIR/redis.pid"
APT_DIR="$WORK/apt"
BUILD_DIR="$WORK/build"
LOCAL_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB"
LOCAL_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
LOCAL_REPLICA_URL="postgresql://postgres@127.0.0.1:$REPLICA_PORT/$PG_DB"
LOCAL_PGBOUNCER_URL="postgresql://postgres@127.0.0.1:$PGBOUNCER_PORT/$PG_DB"
READY_TIMEOUT="${SLUICE_READY_TIMEOUT:-30}"

PGVECTOR_VERSION=0.8.0
PGVECTOR_DEB_REVISION=0.8.0-1
PGVECTOR_ORIG_SHA256=867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0

QUIET=0
WITH_REPLICA=0
WITH_PGBOUNCER=0
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
APT_UPDATED=0

# ---------------------------------------------------------------------------- output
say()  { [ "$QUIET" -eq 1 ] || printf 'sluice: %s\n' "$*"; }
warn() { printf 'sluice: warning: %s\n' "$*" >&2; }
die()  { printf 'sluice: error: %s\n' "$*" >&2; exit 1; }
log_tail() { # file [lines]
  if [ -f "$1" ]; then
    printf 'sluice: --- last lines of %s ---\n' "$1" >&2
    tail -n "${2:-30}" "$1" >&2 || true
    printf 'sluice: ---\n' >&2
  fi
}

# ---------------------------------------------------------------------------- platform
debian_codename() {
  local c=""
  if [ -r /etc/os-release ]; then
    c="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
  fi
  if [ -z "$c" ] && [ -r /etc/debian_version ]; then
    case "$(cat /etc/debian_version)" in
      12*|bookworm*) c=bookworm ;;
      13*|trixie*) c=trixie ;;
    esac
  fi
  printf '%s' "$c"
}

# PostgreSQL major to use: SLUICE_PG_MAJOR, else the Debian release's default, else the
# newest installed one.
pg_major() {
  if [ -n "${SLUICE_PG_MAJOR:-}" ]; then printf '%s' "$SLUICE_PG_MAJOR"; return; fi
  case "$(debian_codename)" in
    bookworm) printf 15 ;;
    trixie) printf 17 ;;
    *)
      local m
      m="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)"
      [ -n "$m" ] || die "unknown distribution and no PostgreSQL under /usr/lib/postgresql; set SLUICE_PG_MAJOR"
      printf '%s' "$m"
      ;;
  esac
}

PG_MAJOR=""
PG_CONFIG=""
PGBIN=""
# Resolve the binaries through the pg_config of the chosen major (not a hard-coded bin path).
resolve_pg() {
  PG_MAJOR="$(pg_major)"
  PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config"
  if [ -x "$PG_CONFIG" ]; then
    PGBIN="$("$PG_CONFIG" --bindir)"
  else
    PGBIN=""
  fi
}

pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

apt_install() { # packages...
  local missing=() p
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$IS_ROOT" -ne 1 ]; then
    die "missing packages: ${missing[*]} (not root; install them with: sudo apt-get install -y ${missing[*]})"
  fi
  mkdir -p "$APT_DIR"
  local alog="$APT_DIR/apt-install.log"
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update (log: $alog)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get update >>"$alog" 2>&1; then
      warn "apt-get update reported errors (some sources may be unreachable); trying the install anyway"
    fi
    APT_UPDATED=1
  fi
  say "installing: ${missing[*]} (log: $alog)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" >>"$alog" 2>&1; then
    log_tail "$alog" 40
    die "apt-get install failed for: ${missing[*]}"
  fi
}

# ---------------------------------------------------------------------------- install
ensure_packages() { # need_pg need_redis
  local need_pg="$1" need_redis="$2" pkgs=()
  resolve_pg
  if [ "$need_pg" -eq 1 ]; then
    case "$PG_MAJOR" in
      17) pkgs+=("postgresql-$PG_MAJOR") ;;
      *)  pkgs+=("postgresql-$PG_MAJOR" postgresql-contrib) ;;
    esac
    # Debian 13 ships pgvector 0.8.0 as a binary package for PostgreSQL 17.
    if [ "$(debian_codename)" = trixie ] && [ "$PG_MAJOR" = 17 ]; then
      pkgs+=("postgresql-17-pgvector")
    fi
  fi
  [ "$need_redis" -eq 1 ] && pkgs+=(redis-server)
  # redis-cli is in redis-tools (a dependency of redis-server).
  [ "${#pkgs[@]}" -gt 0 ] && apt_install "${pkgs[@]}"
  if [ "$need_pg" -eq 1 ]; then
    resolve_pg
    if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/postgres" ]; then
      die "PostgreSQL $PG_MAJOR server binaries not found via $PG_CONFIG"
    fi
    ensure_pgvector
  fi
  if [ "$need_redis" -eq 1 ]; then
    command -v redis-server >/dev/null 2>&1 || die "redis-server not found"
    command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found (package redis-tools)"
  fi
}

vector_installed() {
  local share pkglib
  share="$("$PG_CONFIG" --sharedir)"
  pkglib="$("$PG_CONFIG" --pkglibdir)"
  [ -f "$share/extension/vector.control" ] && [ -f "$pkglib/vector.so" ]
}

ensure_pgvector() {
  if vector_installed; then return 0; fi
  if [ "$(debian_codename)" = trixie ] && [ "$PG_MAJOR" = 17 ]; then
    die "pgvector not found for PostgreSQL 17 although postgresql-17-pgvector should provide it"
  fi
  [ "$IS_ROOT" -eq 1 ] || die "pgvector is not installed for PostgreSQL $PG_MAJOR and installing it needs root (run ./sluice services up as root once)"
  apt_install "postgresql-server-dev-$PG_MAJOR" build-essential dpkg-dev
  build_pgvector
  vector_installed || die "pgvector build finished but vector.control/vector.so are not in place"
}

# pgvector from Debian trixie's source package, fetched through a private apt list (the
# machine's own sources are not changed), built against the chosen PostgreSQL.
build_pgvector() {
  mkdir -p "$APT_DIR/lists/partial" "$BUILD_DIR/pgvector"
  local src="$APT_DIR/trixie-src.sources" blog="$BUILD_DIR/pgvector/build.log"
  cat >"$src" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  local A=(-o "Dir::Etc::SourceList=$src" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$APT_DIR/lists")
  : >"$blog"
  say "building pgvector for PostgreSQL $PG_MAJOR from Debian's trixie source package (log: $blog)"
  local tarball="$BUILD_DIR/pgvector/pgvector_${PGVECTOR_VERSION}.orig.tar.gz"
  if ! { [ -f "$tarball" ] && echo "$PGVECTOR_ORIG_SHA256  $tarball" | sha256sum -c --status; }; then
    if ! apt-get "${A[@]}" update >>"$blog" 2>&1; then
      log_tail "$blog"; die "apt-get update of the private trixie source list failed"
    fi
    if ! (cd "$BUILD_DIR/pgvector" && apt-get "${A[@]}" source --download-only "pgvector=$PGVECTOR_DEB_REVISION") >>"$blog" 2>&1; then
      warn "pgvector=$PGVECTOR_DEB_REVISION is not offered any more; taking the current trixie revision"
      (cd "$BUILD_DIR/pgvector" && apt-get "${A[@]}" source --download-only pgvector) >>"$blog" 2>&1 \
        || { log_tail "$blog"; die "apt-get source pgvector failed"; }
    fi
  fi
  # Pick the newest orig tarball that was downloaded.
  tarball="$(find "$BUILD_DIR/pgvector" -maxdepth 1 -name 'pgvector_*.orig.tar.*' | sort -V | tail -n 1)"
  [ -n "$tarball" ] || { log_tail "$blog"; die "no pgvector orig tarball downloaded"; }
  local ver
  ver="$(basename "$tarball")"; ver="${ver#pgvector_}"; ver="${ver%.orig.tar.*}"
  case "$ver" in
    0.8.*) ;;
    *) die "trixie offers pgvector $ver, not 0.8.x; refusing to build it" ;;
  esac
  if [ "$ver" = "$PGVECTOR_VERSION" ]; then
    echo "$PGVECTOR_ORIG_SHA256  $tarball" | sha256sum -c --status \
      || die "sha256 mismatch for $tarball (expected $PGVECTOR_ORIG_SHA256)"
    say "sha256 of $(basename "$tarball") verified"
  else
    say "pgvector $ver: checksums verified by apt against the signed trixie index"
  fi
  local srcdir="$BUILD_DIR/pgvector/pgvector-$ver"
  rm -rf "$srcdir"
  tar -xf "$tarball" -C "$BUILD_DIR/pgvector"
  [ -d "$srcdir" ] || die "unexpected layout in $tarball (no pgvector-$ver/)"
  if ! { make -C "$srcdir" -j"$(nproc 2>/dev/null || echo 2)" PG_CONFIG="$PG_CONFIG" \
         && make -C "$srcdir" install PG_CONFIG="$PG_CONFIG"; } >>"$blog" 2>&1; then
    log_tail "$blog" 40
    die "pgvector build failed"
  fi
  say "pgvector $ver built and installed into PostgreSQL $PG_MAJOR ($("$PG_CONFIG" --sharedir)/extension)"
}

# ---------------------------------------------------------------------------- helpers
# Run a PostgreSQL server tool as the cluster's OS user (initdb/pg_ctl refuse root).
as_pg() {
  if [ "$IS_ROOT" -eq 1 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_os_user() { if [ "$IS_ROOT" -eq 1 ]; then printf postgres; else id -un; fi; }

# Starts a server with only stdin, stdout and stderr open: a daemon keeps every descriptor it inherits,
# so one started under `flock FILE ./sluice test` (or while this script holds its own lock, fd 9) would
# hold that lock for as long as it runs.
detached() (
  for fd in /proc/$BASHPID/fd/*; do
    n="${fd##*/}"
    if [ "$n" -gt 2 ] 2>/dev/null; then eval "exec $n>&-"; fi
  done 2>/dev/null
  "$@"
)

# Every parent of the data folder must be traversable by the postgres user.
ensure_traversable() {
  [ "$IS_ROOT" -eq 1 ] || return 0
  local d="$PG_DIR" parents=() changed=() i
  while [ "$d" != "/" ] && [ -n "$d" ]; do
    d="$(dirname -- "$d")"
    parents=("$d" "${parents[@]}")
  done
  # From / down, so that a closed folder high up does not make everything below look closed.
  for ((i = 0; i < ${#parents[@]}; i++)); do
    d="${parents[$i]}"
    if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      chmod o+x "$d"
      changed+=("$d")
    fi
  done
  [ "${#changed[@]}" -eq 0 ] || say "made traversable for postgres (chmod o+x): ${changed[*]}"
}

# Unix socket paths are limited to 107 bytes; fall back to TCP only when the clone is deep.
socket_dir_setting() {
  if [ "$(( ${#PG_SOCK} + 16 ))" -lt 100 ]; then printf '%s' "$PG_SOCK"; else printf ''; fi
}

cluster_running() { # data folder - a server of ours, told by its data folder
  [ -n "$PGBIN" ] && [ -f "$1/PG_VERSION" ] || return 1
  as_pg "$PGBIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}

pg_running() { cluster_running "$PG_DATA"; }

pg_port_answers() { # [port] - the primary's by default
  local port="${1:-$PG_PORT}"
  local isready="${PGBIN:+$PGBIN/}pg_isready"
  command -v "$isready" >/dev/null 2>&1 || isready=pg_isready
  command -v "$isready" >/dev/null 2>&1 || return 1
  local rc=0
  "$isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1 || rc=$?
  # 0 accepting, 1 rejecting (starting up/shutting down): both mean someone listens.
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]
}

psql_local() { # db, then psql args
  psql_port "$PG_PORT" "$@"
}

psql_port() { # port db, then psql args
  local port="$1" db="$2"; shift 2
  PGCONNECT_TIMEOUT=5 PGOPTIONS='-c client_min_messages=warning' "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_USER" -d "$db" "$@"
}

redis_cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

redis_ping() { [ "$(redis_cli ping 2>/dev/null || true)" = "PONG" ]; }

# "ours" = it answers on our port and its working dir is our .work/redis.
redis_is_ours() {
  redis_ping || return 1
  local dir
  dir="$(redis_cli config get dir 2>/dev/null | sed -n 2p || true)"
  [ "$dir" = "$REDIS_DIR" ] || [ "$(cd "$REDIS_DIR" 2>/dev/null && pwd -P)" = "$dir" ]
}

redis_foreign_dir() { redis_cli config get dir 2>/dev/null | sed -n 2p || true; }

# ---------------------------------------------------------------------------- PostgreSQL
write_pg_conf() { # [data folder] [port] - the primary's by default
  # All settings live in the data folder (included from postgresql.conf), so a bare
  # `pg_ctl -D <data> start` - e.g. from a fault-injection test - brings back the same server.
  local data="${1:-$PG_DATA}" port="${2:-$PG_PORT}"
  local conf="$data/sluice.conf"
  local tmp="$conf.tmp"
  cat >"$tmp" <<EOF
# Written by scripts/services.sh on every 'up' - local benchmark box tuning, not for production.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$(socket_dir_setting)'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.max = 10000
shared_buffers = 1GB
max_connections = 200
max_prepared_transactions = 0
fsync = on
synchronous_commit = on
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
# Streaming replication (up --replica). WAL is kept for a replica that was stopped for a while;
# one that fell further behind is rebuilt by the next 'up --replica'.
wal_level = replica
max_wal_senders = 10
wal_keep_size = 1GB
hot_standby = on
hot_standby_feedback = on
EOF
  if ! cmp -s "$tmp" "$conf" 2>/dev/null; then mv -f "$tmp" "$conf"; else rm -f "$tmp"; fi
  if ! grep -q "^include_if_exists = 'sluice.conf'" "$data/postgresql.conf"; then
    printf "\n# Sluice local settings\ninclude_if_exists = 'sluice.conf'\n" >>"$data/postgresql.conf"
  fi
  if [ "$IS_ROOT" -eq 1 ]; then chown postgres:postgres "$conf" "$data/postgresql.conf"; fi
}

prepare_pg_dirs() {
  mkdir -p "$WORK" "$PG_DIR" "$PG_SOCK"
  chmod 755 "$WORK" "$PG_DIR"
  chmod 755 "$PG_SOCK"
  if [ "$IS_ROOT" -eq 1 ]; then
    chown postgres:postgres "$PG_DIR" "$PG_SOCK"
    [ ! -d "$PG_DATA" ] || chown -R postgres:postgres "$PG_DATA"
    ensure_traversable
  fi
}

init_pg_cluster() {
  if [ -f "$PG_DATA/PG_VERSION" ]; then
    local have
    have="$(cat "$PG_DATA/PG_VERSION")"
    if [ "$have" != "$PG_MAJOR" ]; then
      local aside
      aside="$PG_DIR/data-pg$have.$(date +%Y%m%d%H%M%S)"
      warn "local cluster was made by PostgreSQL $have, this machine uses $PG_MAJOR: moving it to $aside"
      mv "$PG_DATA" "$aside"
    else
      return 0
    fi
  fi
  if [ -d "$PG_DATA" ] && [ -n "$(ls -A "$PG_DATA" 2>/dev/null)" ]; then
    local aside
    aside="$PG_DIR/data-broken.$(date +%Y%m%d%H%M%S)"
    warn "$PG_DATA exists without PG_VERSION (interrupted initdb?): moving it to $aside"
    mv "$PG_DATA" "$aside"
  fi
  say "initdb PostgreSQL $PG_MAJOR cluster in $PG_DATA"
  mkdir -p "$PG_DATA"
  chmod 700 "$PG_DATA"
  [ "$IS_ROOT" -eq 0 ] || chown postgres:postgres "$PG_DATA"
  if ! as_pg "$PGBIN/initdb" -D "$PG_DATA" -A trust -U "$PG_USER" -E UTF8 --locale=C.UTF-8 \
        >"$PG_DIR/initdb.log" 2>&1; then
    log_tail "$PG_DIR/initdb.log"
    die "initdb failed"
  fi
}

start_pg() {
  if pg_port_answers; then
    die "port $PG_PORT is already used by another PostgreSQL (not the cluster in $PG_DATA); stop it or set SLUICE_PG_URL"
  fi
  write_pg_conf
  say "starting PostgreSQL $PG_MAJOR on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
  touch "$PG_LOG"
  [ "$IS_ROOT" -eq 0 ] || chown postgres:postgres "$PG_LOG"
  if ! detached as_pg "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$READY_TIMEOUT" start >/dev/null 2>&1; then
    log_tail "$PG_LOG"
    die "PostgreSQL did not start"
  fi
  wait_pg
}

wait_pg() {
  local i
  for ((i = 0; i < READY_TIMEOUT * 4; i++)); do
    if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 1 >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log_tail "$PG_LOG"
  die "PostgreSQL is not ready on 127.0.0.1:$PG_PORT after ${READY_TIMEOUT}s"
}

stop_cluster() { # data folder, log, name
  if cluster_running "$1"; then
    say "stopping $3 (data: $1)"
    as_pg "$PGBIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null \
      || { log_tail "$2"; die "pg_ctl stop of $3 failed"; }
  else
    say "$3: not running"
  fi
}

stop_pg() { stop_cluster "$PG_DATA" "$PG_LOG" PostgreSQL; }

# ---------------------------------------------------------------------------- streaming replica
replica_running() { cluster_running "$REPLICA_DATA"; }

# In recovery, and its WAL receiver is connected to the primary.
replica_streaming() {
  [ "$(psql_port "$REPLICA_PORT" postgres -tAc "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null || true)" = t ]
}

wait_replica_streaming() { # seconds
  local i
  for ((i = 0; i < $1 * 4; i++)); do
    replica_streaming && return 0
    sleep 0.25
  done
  return 1
}

# A fresh copy of the primary that starts as a standby streaming from it (-R writes
# primary_conninfo and standby.signal). The primary's pg_hba (initdb default) allows local replication.
basebackup_replica() {
  local blog="$PG_DIR/basebackup.log"
  say "making the streaming replica: pg_basebackup -R from 127.0.0.1:$PG_PORT into $REPLICA_DATA (log: $blog)"
  case "$REPLICA_DATA" in "$WORK"/*) rm -rf "$REPLICA_DATA" ;; *) die "refusing to remove $REPLICA_DATA" ;; esac
  mkdir -p "$REPLICA_DATA"
  chmod 700 "$REPLICA_DATA"
  [ "$IS_ROOT" -eq 0 ] || chown postgres:postgres "$REPLICA_DATA"
  if ! as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -D "$REPLICA_DATA" \
        -R -X stream -c fast >"$blog" 2>&1; then
    log_tail "$blog"
    die "pg_basebackup failed"
  fi
}

start_replica() {
  if pg_port_answers "$REPLICA_PORT"; then
    die "port $REPLICA_PORT is already used by another PostgreSQL (not the replica in $REPLICA_DATA)"
  fi
  write_pg_conf "$REPLICA_DATA" "$REPLICA_PORT"
  say "starting the replica on 127.0.0.1:$REPLICA_PORT (log: $REPLICA_LOG)"
  touch "$REPLICA_LOG"
  [ "$IS_ROOT" -eq 0 ] || chown postgres:postgres "$REPLICA_LOG"
  if ! detached as_pg "$PGBIN/pg_ctl" -D "$REPLICA_DATA" -l "$REPLICA_LOG" -w -t "$READY_TIMEOUT" start >/dev/null 2>&1; then
    log_tail "$REPLICA_LOG"
    die "the replica did not start"
  fi
}

stop_replica() { stop_cluster "$REPLICA_DATA" "$REPLICA_LOG" "the replica"; }

# Running and streaming afterwards; a copy that cannot catch up (its WAL is gone from the
# primary) or was made by another major is rebuilt from a new base backup.
ensure_replica() {
  write_pg_conf
  psql_local postgres -c 'SELECT pg_reload_conf()' >/dev/null
  if replica_running; then
    if wait_replica_streaming 10; then say "replica: already running (127.0.0.1:$REPLICA_PORT)"; return 0; fi
    warn "the replica runs but does not stream from the primary: rebuilding it"
    stop_replica
  fi
  local fresh=0
  if [ ! -f "$REPLICA_DATA/standby.signal" ] || [ "$(cat "$REPLICA_DATA/PG_VERSION" 2>/dev/null)" != "$PG_MAJOR" ]; then
    basebackup_replica
    fresh=1
  fi
  start_replica
  if ! wait_replica_streaming 20; then
    if [ "$fresh" -eq 1 ]; then log_tail "$REPLICA_LOG"; die "the replica started but does not stream from the primary"; fi
    warn "the replica does not stream from the primary (too far behind?): rebuilding it"
    stop_replica
    basebackup_replica
    start_replica
    wait_replica_streaming 20 || { log_tail "$REPLICA_LOG"; die "the rebuilt replica does not stream from the primary"; }
  fi
  say "replica: streaming from the primary on 127.0.0.1:$REPLICA_PORT"
}

# Extensions in postgres and template1 (so every new database has them) and the app database.
ensure_pg_objects() {
  local db
  for db in template1 postgres; do
    psql_local "$db" -c 'CREATE EXTENSION IF NOT EXISTS vector' \
      -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' >/dev/null
  done
  if [ "$(psql_local postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
    say "creating database $PG_DB"
    psql_local postgres -c "CREATE DATABASE $PG_DB" >/dev/null
  fi
  psql_local "$PG_DB" -c 'CREATE EXTENSION IF NOT EXISTS vector' \
    -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' >/dev/null
}

pg_versions_line() {
  psql_local "$PG_DB" -tAc "SELECT 'PostgreSQL ' || current_setting('server_version') || ', pgvector ' || (SELECT extversion FROM pg_extension WHERE extname = 'vector')" 2>/dev/null || true
}

# ---------------------------------------------------------------------------- PgBouncer
# Transaction pooling in front of the local primary, as the guides run it. Every database is
# reachable through it (the "*" entry), so the tests' own databases are too. Its server
# connections start with the gateway's default statement_timeout (connect_query), the same for
# every client: behind a transaction pooler the gateway sets nothing on a session of its own.
PGBOUNCER_BIN=""
resolve_pgbouncer() {
  PGBOUNCER_BIN="$(command -v pgbouncer 2>/dev/null || true)"
  if [ -z "$PGBOUNCER_BIN" ] && [ -x /usr/sbin/pgbouncer ]; then PGBOUNCER_BIN=/usr/sbin/pgbouncer; fi
}

pgbouncer_running() {
  [ -f "$PGBOUNCER_PID" ] || return 1
  local pid
  pid="$(cat "$PGBOUNCER_PID" 2>/dev/null || true)"
  [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2>/dev/null || true)" = "pgbouncer" ]
}

write_pgbouncer_conf() {
  mkdir -p "$PGBOUNCER_DIR"
  chmod 755 "$PGBOUNCER_DIR"
  # trust, as the local cluster itself; the user must still be listed.
  printf '"%s" ""\n' "$PG_USER" >"$PGBOUNCER_DIR/userlist.txt"
  local tmp="$PGBOUNCER_INI.tmp"
  cat >"$tmp" <<EOF
; Written by scripts/services.sh on every 'up --pgbouncer' - project-local, transaction pooling.
[databases]
* = host=127.0.0.1 port=$PG_PORT connect_query='SET statement_timeout = 5000'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PGBOUNCER_DIR/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
; The Vert.x client and JDBC send it at connect; PgBouncer does not track it.
ignore_startup_parameters = extra_float_digits
logfile = $PGBOUNCER_LOG
pidfile = $PGBOUNCER_PID
EOF
  mv -f "$tmp" "$PGBOUNCER_INI"
  if [ "$IS_ROOT" -eq 1 ]; then chown -R postgres:postgres "$PGBOUNCER_DIR"; fi
}

start_pgbouncer() {
  if pg_port_answers "$PGBOUNCER_PORT"; then
    die "port $PGBOUNCER_PORT is already used (not the PgBouncer of $PGBOUNCER_DIR); set SLUICE_LOCAL_PGBOUNCER_PORT"
  fi
  write_pgbouncer_conf
  say "starting PgBouncer (transaction mode) on 127.0.0.1:$PGBOUNCER_PORT (log: $PGBOUNCER_LOG)"
  # PgBouncer refuses to run as root: it runs as the cluster's OS user.
  if ! detached as_pg "$PGBOUNCER_BIN" -d -q "$PGBOUNCER_INI" >"$PGBOUNCER_DIR/start.log" 2>&1; then
    log_tail "$PGBOUNCER_DIR/start.log"; log_tail "$PGBOUNCER_LOG"
    die "PgBouncer did not start"
  fi
  local i
  for ((i = 0; i < READY_TIMEOUT * 4; i++)); do
    # No PGOPTIONS here: PgBouncer refuses the "options" startup parameter.
    if PGCONNECT_TIMEOUT=2 "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U "$PG_USER" -d "$PG_DB" -tAc 'SELECT 1' \
        >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log_tail "$PGBOUNCER_LOG"
  die "PgBouncer does not answer on 127.0.0.1:$PGBOUNCER_PORT after ${READY_TIMEOUT}s"
}

ensure_pgbouncer() {
  resolve_pgbouncer
  if [ -z "$PGBOUNCER_BIN" ]; then apt_install pgbouncer; resolve_pgbouncer; fi
  [ -n "$PGBOUNCER_BIN" ] || die "pgbouncer not found after installing the package"
  if pgbouncer_running; then say "PgBouncer: already running (127.0.0.1:$PGBOUNCER_PORT)"; return 0; fi
  start_pgbouncer
  say "PgBouncer: running ($("$PGBOUNCER_BIN" --version 2>/dev/null | head -n 1), transaction mode)"
}

stop_pgbouncer() {
  pgbouncer_running || return 0
  local pid i
  pid="$(cat "$PGBOUNCER_PID")"
  say "stopping PgBouncer (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do pgbouncer_running || return 0; sleep 0.25; done
  die "PgBouncer did not stop"
}

# ---------------------------------------------------------------------------- Redis
write_redis_conf() {
  mkdir -p "$REDIS_DIR"
  local tmp="$REDIS_CONF.tmp"
  cat >"$tmp" <<EOF
# Written by scripts/services.sh on every 'up' - project-local, no persistence.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
save ""
appendonly no
dir "$REDIS_DIR"
logfile "$REDIS_LOG"
pidfile "$REDIS_PID"
EOF
  mv -f "$tmp" "$REDIS_CONF"
}

start_redis() {
  if redis_ping; then
    die "port $REDIS_PORT is already used by another Redis (dir $(redis_foreign_dir)); stop it or set SLUICE_REDIS_URL"
  fi
  write_redis_conf
  say "starting Redis on 127.0.0.1:$REDIS_PORT (log: $REDIS_LOG)"
  if ! detached redis-server "$REDIS_CONF" >>"$REDIS_LOG" 2>&1; then
    log_tail "$REDIS_LOG"
    die "redis-server failed to start"
  fi
  wait_redis
}

wait_redis() {
  local i
  for ((i = 0; i < READY_TIMEOUT * 4; i++)); do
    if redis_ping; then return 0; fi
    sleep 0.25
  done
  log_tail "$REDIS_LOG"
  die "Redis is not answering on 127.0.0.1:$REDIS_PORT after ${READY_TIMEOUT}s"
}

stop_redis() {
  if redis_is_ours; then
    say "stopping Redis"
    redis_cli shutdown nosave >/dev/null 2>&1 || true
  elif [ -f "$REDIS_PID" ]; then
    local pid
    pid="$(cat "$REDIS_PID" 2>/dev/null || true)"
    if [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2>/dev/null || true)" = "redis-server" ]; then
      say "stopping Redis (pid $pid)"
      kill "$pid" 2>/dev/null || true
    else
      say "Redis: not running"
      rm -f "$REDIS_PID"
      return 0
    fi
  else
    say "Redis: not running"
    return 0
  fi
  local i
  for ((i = 0; i < 80; i++)); do
    redis_is_ours || { rm -f "$REDIS_PID"; return 0; }
    sleep 0.25
  done
  die "Redis did not stop"
}

# ---------------------------------------------------------------------------- commands
with_lock() {
  mkdir -p "$WORK"
  exec 9>"$WORK/services.lock"
  flock -w 600 9 || die "another 'sluice services' is still running (lock $WORK/services.lock)"
}

cmd_up() {
  local need_pg=1 need_redis=1
  if [ -n "${SLUICE_PG_URL:-}" ]; then
    need_pg=0; say "SLUICE_PG_URL is set: not starting a local PostgreSQL (using $SLUICE_PG_URL)"
  fi
  if [ -n "${SLUICE_REDIS_URL:-}" ]; then
    need_redis=0; say "SLUICE_REDIS_URL is set: not starting a local Redis (using $SLUICE_REDIS_URL)"
  fi
  with_lock
  resolve_pg

  # Fast path: everything already running.
  local pg_up=0 redis_up=0
  if [ "$need_pg" -eq 1 ] && pg_running; then pg_up=1; fi
  if [ "$need_redis" -eq 1 ] && command -v redis-cli >/dev/null 2>&1 && redis_is_ours; then redis_up=1; fi

  local inst_pg=0 inst_redis=0
  [ "$need_pg" -eq 1 ] && [ "$pg_up" -eq 0 ] && inst_pg=1
  [ "$need_redis" -eq 1 ] && [ "$redis_up" -eq 0 ] && inst_redis=1
  ensure_packages "$inst_pg" "$inst_redis"

  if [ "$need_pg" -eq 1 ]; then
    if [ "$pg_up" -eq 1 ]; then
      say "PostgreSQL: already running (127.0.0.1:$PG_PORT, data $PG_DATA)"
    else
      if pg_port_answers; then
        die "port $PG_PORT is already used by another PostgreSQL (not the cluster in $PG_DATA); stop it or set SLUICE_PG_URL"
      fi
      prepare_pg_dirs
      init_pg_cluster
      start_pg
    fi
    ensure_pg_objects
    [ "$pg_up" -eq 1 ] || say "PostgreSQL: running ($(pg_versions_line))"
    [ "$WITH_REPLICA" -eq 0 ] || ensure_replica
    [ "$WITH_PGBOUNCER" -eq 0 ] || ensure_pgbouncer
  elif [ "$WITH_REPLICA" -eq 1 ] || [ "$WITH_PGBOUNCER" -eq 1 ]; then
    warn "--replica/--pgbouncer: they stand beside the local PostgreSQL, and SLUICE_PG_URL points elsewhere; none started"
  fi
  if [ "$need_redis" -eq 1 ]; then
    if [ "$redis_up" -eq 1 ]; then
      say "Redis: already running (127.0.0.1:$REDIS_PORT)"
    else
      start_redis
      say "Redis: running ($(redis_cli info server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version:/redis /p'))"
    fi
  fi
  if [ "$QUIET" -eq 0 ]; then
    printf 'SLUICE_PG_URL=%s\n' "${SLUICE_PG_URL:-$LOCAL_PG_URL}"
    if [ "$WITH_REPLICA" -eq 1 ] && [ -z "${SLUICE_PG_URL:-}" ]; then
      printf 'SLUICE_PG_REPLICAS_URLS=%s\n' "$LOCAL_REPLICA_URL"
    fi
    if [ "$WITH_PGBOUNCER" -eq 1 ] && [ -z "${SLUICE_PG_URL:-}" ]; then
      printf 'through PgBouncer: SLUICE_PG_URL=%s SLUICE_PG_PGBOUNCER=true SLUICE_PG_DIRECT_URL=%s\n' "$LOCAL_PGBOUNCER_URL" "$LOCAL_PG_URL"
    fi
    printf 'SLUICE_REDIS_URL=%s\n' "${SLUICE_REDIS_URL:-$LOCAL_REDIS_URL}"
  fi
}

cmd_down() {
  with_lock
  resolve_pg
  stop_pgbouncer
  if [ -n "$PGBIN" ]; then stop_replica; stop_pg; else say "PostgreSQL: not installed"; fi
  if command -v redis-cli >/dev/null 2>&1; then stop_redis; else say "Redis: not installed"; fi
}

cmd_status() {
  resolve_pg
  local ok=0
  if [ -n "${SLUICE_PG_URL:-}" ]; then
    say "PostgreSQL: external ($SLUICE_PG_URL), not managed here"
  elif pg_running; then
    say "PostgreSQL: running (127.0.0.1:$PG_PORT, PostgreSQL $PG_MAJOR, data $PG_DATA)"
  elif pg_port_answers; then
    say "PostgreSQL: stopped (but another server answers on port $PG_PORT)"; ok=3
  else
    say "PostgreSQL: stopped"; ok=3
  fi
  if [ -z "${SLUICE_PG_URL:-}" ] && [ -f "$REPLICA_DATA/PG_VERSION" ]; then
    if replica_running; then
      say "replica: running (127.0.0.1:$REPLICA_PORT, $(replica_streaming && echo streaming || echo 'not streaming'))"
    else
      say "replica: stopped (up --replica starts it)"
    fi
  fi
  if pgbouncer_running; then say "PgBouncer: running (127.0.0.1:$PGBOUNCER_PORT, transaction mode)"; fi
  if [ -n "${SLUICE_REDIS_URL:-}" ]; then
    say "Redis: external ($SLUICE_REDIS_URL), not managed here"
  elif ! command -v redis-cli >/dev/null 2>&1; then
    say "Redis: stopped (not installed)"; ok=3
  elif redis_is_ours; then
    say "Redis: running (127.0.0.1:$REDIS_PORT, dir $REDIS_DIR)"
  elif redis_ping; then
    say "Redis: stopped (but another Redis answers on port $REDIS_PORT, dir $(redis_foreign_dir))"; ok=3
  else
    say "Redis: stopped"; ok=3
  fi
  return "$ok"
}

# For the launcher: exports for Java/Maven. Only paths of services managed locally.
cmd_env() {
  resolve_pg
  q() { printf 'export %s=%q\n' "$1" "$2"; }
  q SLUICE_HOME "$ROOT"
  q SLUICE_WORK "$WORK"
  q SLUICE_SERVICES "$SCRIPT_DIR/services.sh"
  q SLUICE_PG_URL "${SLUICE_PG_URL:-$LOCAL_PG_URL}"
  q SLUICE_REDIS_URL "${SLUICE_REDIS_URL:-$LOCAL_REDIS_URL}"
  if [ -z "${SLUICE_PG_URL:-}" ]; then
    q SLUICE_PG_DATA "$PG_DATA"
    q SLUICE_PG_BIN "$PGBIN"
    q SLUICE_PG_LOG "$PG_LOG"
    q SLUICE_PG_OS_USER "$(pg_os_user)"
    # The local streaming replica, when one runs (tests use it; the gateway only when configured).
    if replica_running; then q SLUICE_REPLICA_URL "$LOCAL_REPLICA_URL"; fi
    q SLUICE_REPLICA_DATA "$REPLICA_DATA"
    # The local PgBouncer, when one runs (the tests' second pass goes through it).
    if pgbouncer_running; then q SLUICE_PGBOUNCER_URL "$LOCAL_PGBOUNCER_URL"; fi
  fi
  if [ -z "${SLUICE_REDIS_URL:-}" ]; then
    q SLUICE_REDIS_SERVER "$(command -v redis-server || true)"
    q SLUICE_REDIS_CONF "$REDIS_CONF"
  fi
}

usage() {
  cat <<EOF
usage: sluice services up|down|status [--quiet] [--replica] [--pgbouncer]
  up       install what is missing (root: apt), start PostgreSQL $PG_PORT and Redis $REDIS_PORT;
           with --replica also a streaming replica of it (pg_basebackup -R) on $REPLICA_PORT;
           with --pgbouncer also PgBouncer (apt) in transaction mode in front of it on $PGBOUNCER_PORT
  down     stop them all
  status   running/stopped for each; exit 0 when both run, 3 otherwise
  env      print the export lines the launcher uses
  pg-stop | pg-start | redis-stop | redis-start | replica-stop | replica-start
           stop/start one local service without touching the others (fault-injection tests)
Local data: $WORK (git-ignored). SLUICE_PG_URL / SLUICE_REDIS_URL: use that service instead.
EOF
}

main() {
  local cmd="${1:-}"
  [ $# -eq 0 ] || shift
  local a
  for a in "$@"; do
    case "$a" in
      --quiet|-q) QUIET=1 ;;
      --replica) WITH_REPLICA=1 ;;
      --pgbouncer) WITH_PGBOUNCER=1 ;;
      *) usage >&2; die "unknown option: $a" ;;
    esac
  done
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    pg-stop) with_lock; resolve_pg; stop_pg ;;
    pg-start)
      with_lock; resolve_pg
      if [ -z "$PGBIN" ] || [ ! -f "$PG_DATA/PG_VERSION" ]; then
        die "no local cluster yet: run ./sluice services up"
      fi
      if pg_running; then say "PostgreSQL: already running"; else start_pg; fi ;;
    redis-stop) with_lock; stop_redis ;;
    replica-stop) with_lock; resolve_pg; stop_replica ;;
    replica-start)
      with_lock; resolve_pg
      [ -f "$REPLICA_DATA/standby.signal" ] || die "no replica yet: run ./sluice services up --replica"
      if replica_running; then say "replica: already running"; else start_replica; fi ;;
    redis-start)
      with_lock
      if redis_is_ours; then say "Redis: already running"; else start_redis; fi ;;
    help|-h|--help) usage ;;
    "") usage >&2; exit 2 ;;
    *) usage >&2; die "unknown services command: $cmd" ;;
  esac
}

main "$@"
