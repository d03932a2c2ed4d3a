#!/usr/bin/env bash
# Sluice benchmark harness: ./sluice bench [reads|writes|vector|cache|mixed|all|changes|cluster]   (default: all)
# (all = reads, cache, vector, writes, mixed; changes and cluster run only when named)
#
# For each scenario, in this one invocation, it measures the gateway (wrk, a light C load
# generator, with a Lua script) and the raw baseline of the same work (pgbench with the gateway's
# SQL, psql \copy, redis-benchmark), and writes
#   load-tests/results/<UTC date>-<scenario>.json   every figure, the commands, the machine
#   load-tests/results/<UTC date>-<scenario>.md     the same as a table
# Before measuring it makes sure of: local services (./sluice services up), the benchmark-scale
# demo data (1M leads + the debian-minilm documents; reloaded when the database has fewer), and a
# gateway on 127.0.0.1:$SLUICE_HTTP_PORT (started from target/sluice.jar if none answers, and
# stopped again at the end). Scenarios whose endpoint the gateway does not serve yet are reported
# as "not available", never as a number.
#
# All load goes to 127.0.0.1; every run is bounded by -d/-T. Knobs (environment):
#   BENCH_DURATION=8          seconds per measured run (gateway and baseline alike)
#   BENCH_WARMUP=10           seconds of unmeasured warm-up before each wrk run (gateway and calibration server): a
#                             fresh JVM on 2 cores needs ~20 s of a load before its JIT is done; 2 s measured a cold one
#   BENCH_WRK_THREADS=2 BENCH_WRK_CONNECTIONS=32     wrk -t / -c for reads, cache, vector
#   BENCH_VECTOR_INDEXES="vector halfvec binary"      the ANN indexes the vector scenario compares (one wrk/pgbench pair each)
#   BENCH_BULK_CONNECTIONS=8  wrk -c for the 100-row bulk inserts
#   BENCH_PGBENCH_CLIENTS=8   pgbench -c (with -j 2)
#   BENCH_EF_SEARCH=          hnsw.ef_search of the ANN runs (gateway request and baseline alike); empty: the
#                             gateway's default (no efSearch in the requests, the baseline with the gateway's session settings)
#   BENCH_VECTOR_WARMUP=30    seconds of unmeasured searches before the vector scenario's first run: a freshly
#                             started gateway spent 35-48 % of its CPU in the JIT compiler during its first minute
#   BENCH_READS_WARMUP=32     seconds of unmeasured reads (point, hit, page 1, cursor walk in turn) before the reads and
#                             cache scenarios' first run: with 10 s per row only, the first row measured a cold JIT
#                             (point read 9.6k req/s first, 31k when the cache scenario measured it after a hit run)
#   BENCH_STEADY_ROUNDS=8     then at most this many 8-s rounds of uncached point reads, until two in a row agree within 5 %
#   BENCH_IMPORT_ROWS=100000  rows of the NDJSON import and its \copy baseline
#   BENCH_MIXED_DURATION=15   seconds of the mixed run
#   BENCH_CACHE_MIX_DURATION=12  seconds of the cache scenario's read-heavy mix (95 % reads, 5 % PATCH)
#   BENCH_CHECK_IDS=4         hot ids the staleness checker owns during that mix (one thread each)
#   BENCH_MIXED_PARTIAL=1     run the mixed workload even if some of its endpoints are missing
#   BENCH_KEEP_GATEWAY=1      leave the gateway this script started running
#   BENCH_CALIBRATION_DIR=../shared/calibration   the bare point-read server (reads: a row of its own, run in
#                             this invocation on the same database; skipped with a note where the folder is absent)
#   BENCH_CALIBRATION_PORT=18090
#   SLUICE_HTTP_PORT=8080     the gateway's port (the host is always 127.0.0.1)
#   SLUICE_JAVA_OPTS          JVM options of the gateway this script starts
#   BENCH_JAR=target/sluice.jar   the gateway jar to start (e.g. one built from a clean checkout);
#                             it runs from the project folder above its target/
#   BENCH_GATEWAY_LABEL       what that jar is, for the report (e.g. "3043a2e, clean export")
#   changes: BENCH_CHANGES_RATES="2000 1000 500"  writes/s tried in turn until the gateway sustains one
#            BENCH_CHANGES_DURATION=10  measured seconds per rate (after BENCH_CHANGES_WARMUP), gateway and baseline alike
#            BENCH_CHANGES_WARMUP=15   seconds at the rate before measuring: a freshly started gateway's write
#                                      path needs that long to warm up (2 s of warm-up gave 1,047/s, the third
#                                      10 s run 2,000/s on the same gateway)
#            BENCH_CHANGES_IDS=4000 BENCH_CHANGES_FIRST_ID=600001   the tenant-1 leads the writes go to
#   cluster: BENCH_CLUSTER_PORTS="18081 18082"  HTTP ports of the nodes it starts (1 plain, then 1 and 2 clustered)
#            BENCH_CLUSTER_HZ_PORT=5801  first Hazelcast port (members 127.0.0.1:PORT-PORT+4)
#            BENCH_CLUSTER_WARMUP=5    seconds of each load on every freshly started node before measuring
set -euo pipefail

HERE="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd -- "$HERE/.." && pwd -P)"
LIB="$HERE/bench/benchlib.py"
LUA_DIR="$HERE/bench/wrk"
SQL_DIR="$HERE/bench/sql"
RESULTS="$HERE/results"
JAR="$ROOT/target/sluice.jar"
GW_DIR="$ROOT"
if [ -n "${BENCH_JAR:-}" ]; then
  [ -f "$BENCH_JAR" ] || { printf 'bench: error: BENCH_JAR %s does not exist\n' "$BENCH_JAR" >&2; exit 1; }
  JAR="$(cd -- "$(dirname -- "$BENCH_JAR")" && pwd -P)/$(basename -- "$BENCH_JAR")"
  # The gateway runs from the project folder the jar was built in (its conf/sluice.yaml).
  GW_DIR="$(cd -- "$(dirname -- "$JAR")/.." && pwd -P)"
fi
# The bench tools (src/tools) are built beside the gateway jar as <name>-tools.jar; a jar from before
# they moved out of the gateway still holds them itself.
TOOLS_JAR="${JAR%.jar}-tools.jar"
tools_cp() { if [ -f "$TOOLS_JAR" ]; then printf '%s:%s' "$JAR" "$TOOLS_JAR"; else printf '%s' "$JAR"; fi; }
DATASET="${SLUICE_DATASET:-$ROOT/../shared/data/debian-minilm}"
[ -d "$DATASET" ] && DATASET="$(cd -- "$DATASET" && pwd -P)"

SCENARIO="${1:-all}"
PORT="${SLUICE_HTTP_PORT:-8080}"
BASE="http://127.0.0.1:$PORT"
DURATION="${BENCH_DURATION:-8}"
WARMUP="${BENCH_WARMUP:-10}"
WRK_THREADS="${BENCH_WRK_THREADS:-2}"
WRK_CONNECTIONS="${BENCH_WRK_CONNECTIONS:-32}"
BULK_CONNECTIONS="${BENCH_BULK_CONNECTIONS:-8}"
PGBENCH_CLIENTS="${BENCH_PGBENCH_CLIENTS:-8}"
EF_SEARCH="${BENCH_EF_SEARCH:-}"
VECTOR_WARMUP="${BENCH_VECTOR_WARMUP:-30}"
READS_WARMUP="${BENCH_READS_WARMUP:-32}"
STEADY_ROUNDS="${BENCH_STEADY_ROUNDS:-8}"
IMPORT_ROWS="${BENCH_IMPORT_ROWS:-100000}"
MIXED_DURATION="${BENCH_MIXED_DURATION:-15}"
CACHE_MIX_DURATION="${BENCH_CACHE_MIX_DURATION:-12}"
CHECK_IDS="${BENCH_CHECK_IDS:-4}"
HOT_SET="${BENCH_HOT_SET:-1000}"
READY_TIMEOUT="${BENCH_READY_TIMEOUT:-900}"
LOADER_PORT="${BENCH_LOADER_PORT:-18089}"
CACHE_PREFIX="${BENCH_CACHE_PREFIX:-sluice:}"
CHANGES_RATES="${BENCH_CHANGES_RATES:-2000 1000 500}"
CHANGES_DURATION="${BENCH_CHANGES_DURATION:-10}"
CHANGES_WARMUP="${BENCH_CHANGES_WARMUP:-15}"
CHANGES_IDS="${BENCH_CHANGES_IDS:-4000}"
CHANGES_FIRST_ID="${BENCH_CHANGES_FIRST_ID:-600001}"
CLUSTER_PORTS="${BENCH_CLUSTER_PORTS:-18081 18082}"
CLUSTER_HZ_PORT="${BENCH_CLUSTER_HZ_PORT:-5801}"
CLUSTER_WARMUP="${BENCH_CLUSTER_WARMUP:-5}"
CALIBRATION_DIR="${BENCH_CALIBRATION_DIR:-$ROOT/../shared/calibration}"
CALIBRATION_PORT="${BENCH_CALIBRATION_PORT:-18090}"
LEADS=1000000      # the benchmark scale (TARGETS.md)
SPAN=$((LEADS / 4)) # tenant 1's leads: 1, 5, 9, ...

say()  { printf 'bench: %s\n' "$*"; }
warn() { printf 'bench: warning: %s\n' "$*" >&2; }
die()  { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'
}

case "$SCENARIO" in
  reads|writes|vector|cache|mixed|all|changes|cluster) ;;
  -h|--help|help) usage; exit 0 ;;
  *) usage >&2; die "unknown scenario '$SCENARIO' (reads, writes, vector, cache, mixed, all, changes, cluster)" ;;
esac
[ -z "$EF_SEARCH" ] || [[ "$EF_SEARCH" =~ ^[0-9]+$ ]] || die "BENCH_EF_SEARCH must be empty or a whole number (got '$EF_SEARCH')"
for v in CALIBRATION_PORT PORT DURATION WARMUP VECTOR_WARMUP READS_WARMUP STEADY_ROUNDS WRK_THREADS WRK_CONNECTIONS BULK_CONNECTIONS PGBENCH_CLIENTS IMPORT_ROWS \
         MIXED_DURATION CACHE_MIX_DURATION CHECK_IDS HOT_SET READY_TIMEOUT LOADER_PORT \
         CHANGES_DURATION CHANGES_IDS CHANGES_FIRST_ID CLUSTER_HZ_PORT CLUSTER_WARMUP; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
[ "$DURATION" -ge 1 ] && [ "$DURATION" -le 60 ] || die "BENCH_DURATION must be 1..60 s"
[ "$MIXED_DURATION" -ge 1 ] && [ "$MIXED_DURATION" -le 120 ] || die "BENCH_MIXED_DURATION must be 1..120 s"
[ "$CHANGES_DURATION" -ge 1 ] && [ "$CHANGES_DURATION" -le 20 ] || die "BENCH_CHANGES_DURATION must be 1..20 s"
[ "$CHANGES_WARMUP" -ge 0 ] && [ "$CHANGES_WARMUP" -le 30 ] || die "BENCH_CHANGES_WARMUP must be 0..30 s"
[ $((CHANGES_FIRST_ID % 4)) -eq 1 ] || die "BENCH_CHANGES_FIRST_ID must be a tenant-1 lead (1 + 4k)"
for v in $CHANGES_RATES $CLUSTER_PORTS; do [[ "$v" =~ ^[0-9]+$ ]] || die "BENCH_CHANGES_RATES / BENCH_CLUSTER_PORTS: whole numbers (got '$v')"; done
[ "$(wc -w <<<"$CLUSTER_PORTS")" -eq 2 ] || die "BENCH_CLUSTER_PORTS: two ports"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
DAY="$(date -u +%F)"
TMP="$RESULTS/tmp/$STAMP-$SCENARIO"
ROWS="$TMP/rows.jsonl"
mkdir -p "$TMP"
T0=$(date +%s)
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"   # other work on the machine shows here

# One bench at a time: two would measure each other.
exec 9>"$RESULTS/tmp/.lock"
flock -n 9 || die "another ./sluice bench is running (lock $RESULTS/tmp/.lock)"

# ------------------------------------------------------------------------------------- tools
ensure_tool() { # command debian-package
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "$(id -u)" -eq 0 ] || die "'$1' is missing: apt-get install -y $2"
  say "installing $2 (apt-get) for '$1'"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >"$TMP/apt-$2.log" 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get update >>"$TMP/apt-$2.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >>"$TMP/apt-$2.log" 2>&1
  } || die "could not install $2 (log: $TMP/apt-$2.log)"
}
ensure_tool wrk wrk
ensure_tool python3 python3
ensure_tool curl curl
ensure_tool redis-benchmark redis-tools
ensure_tool flock util-linux
command -v java >/dev/null 2>&1 || die "java not found (JDK 17 expected)"
command -v jcmd >/dev/null 2>&1 || warn "jcmd not found: heap figures of the mixed run will be missing"

export PYTHONDONTWRITEBYTECODE=1
py() { python3 "$LIB" "$@"; }

# ------------------------------------------------------------------------------------- services
say "services: ./sluice services up"
bash "$ROOT/sluice" services up >"$TMP/services.log" 2>&1 || { cat "$TMP/services.log" >&2; die "services did not start"; }
eval "$(bash "$ROOT/scripts/services.sh" env)"
PG_URL="${SLUICE_PG_URL:?}"
REDIS_URL="${SLUICE_REDIS_URL:?}"
[[ "$PG_URL" =~ ^postgres(ql)?://([^@/]*@)?(127\.0\.0\.1|localhost)(:[0-9]+)?/ ]] \
  || die "SLUICE_PG_URL must point at 127.0.0.1 (load goes to this machine only): $PG_URL"
[[ "$REDIS_URL" =~ ^redis://([^@/]*@)?(127\.0\.0\.1|localhost):([0-9]+) ]] \
  || die "SLUICE_REDIS_URL must point at 127.0.0.1: $REDIS_URL"
REDIS_PORT="${BASH_REMATCH[3]}"
PG_BIN="${SLUICE_PG_BIN:-}"
PSQL="psql"; PGBENCH="pgbench"
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/psql" ] && PSQL="$PG_BIN/psql"
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/pgbench" ] && PGBENCH="$PG_BIN/pgbench"
command -v "$PSQL" >/dev/null 2>&1 || die "psql not found"
command -v "$PGBENCH" >/dev/null 2>&1 || die "pgbench not found"

sql() { PGOPTIONS="-c client_min_messages=warning" "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 "$PG_URL" -c "$1"; }
redis_cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

# ------------------------------------------------------------------------------------- gateway
GW_PID=""
GW_STARTED=0
GW_ORIGIN=""
WRITES_DIRTY=0
TITLES_DIRTY=0   # the cache mix PATCHed the hot leads' titles: put the demo titles back
CHANGES_DIRTY=0  # a change-feed run was interrupted before it put the priorities back
CLUSTER_PIDS=()  # nodes the cluster scenario started (stopped by pid, also on failure)

ready_on() { curl -fsS -m 2 "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; }

NODE_ENV=()   # extra environment of the next start_gateway (the cluster scenario's nodes)
start_gateway() { # port log [gateway args, e.g. --cluster] -> sets STARTED_PID
  local port="$1" log="$2"; shift 2
  if [ ! -f "$JAR" ]; then
    say "building ${JAR#$GW_DIR/} (mvn -q -B -DskipTests package in $GW_DIR)"
    (cd "$GW_DIR" && mvn -q -B -DskipTests package) >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log" >&2; die "build failed"; }
    [ -f "$JAR" ] || die "the build finished but $JAR is missing"
  elif [ -n "$(find "$GW_DIR/src" "$GW_DIR/pom.xml" -newer "$JAR" -print -quit 2>/dev/null)" ]; then
    warn "$JAR is older than src/ or pom.xml: benchmarking the jar as built (./sluice run rebuilds it)"
  fi
  say "starting the gateway on 127.0.0.1:$port (java -jar $JAR${*:+ $*}, SLUICE_DEMO_LEADS=$LEADS${NODE_ENV[*]:+ ${NODE_ENV[*]}}; log $log)"
  # shellcheck disable=SC2086
  (cd "$GW_DIR" && SLUICE_HTTP_PORT="$port" SLUICE_DEMO_LEADS="$LEADS" SLUICE_DEMO_DOCUMENTS_PATH="$DATASET" \
     exec env "${NODE_ENV[@]}" java ${SLUICE_JAVA_OPTS:-} -jar "$JAR" "$@") >"$log" 2>&1 9>&- &
  STARTED_PID=$!
  local waited=0
  until ready_on "$port"; do
    if ! kill -0 "$STARTED_PID" 2>/dev/null; then
      [ "${START_SOFT:-0}" = 1 ] && return 1   # the caller retries (cluster nodes)
      tail -30 "$log" >&2; die "the gateway exited during start (log $log)"
    fi
    [ "$waited" -lt "$READY_TIMEOUT" ] || { stop_pid "$STARTED_PID"; tail -30 "$log" >&2; die "the gateway was not ready after ${READY_TIMEOUT}s"; }
    sleep 1; waited=$((waited + 1))
    [ $((waited % 30)) -eq 0 ] && say "  ... still starting (${waited}s; loading demo data takes a while)"
  done
  say "gateway ready after ${waited}s"
}

stop_pid() { # pid
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  warn "gateway $pid did not stop in 20 s: SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
}

listener_pid() { # port
  ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}

cleanup() {
  local rc=$?
  local p
  for p in "${CLUSTER_PIDS[@]}"; do say "stopping cluster-scenario node $p"; stop_pid "$p"; done
  # a node interrupted while starting is not in CLUSTER_PIDS yet
  if [ "${START_SOFT:-0}" = 1 ] && [ -n "${STARTED_PID:-}" ]; then stop_pid "$STARTED_PID"; fi
  if [ "$CHANGES_DIRTY" -eq 1 ]; then restore_priorities || true; fi
  if [ "$WRITES_DIRTY" -eq 1 ]; then delete_bench_rows || true; fi
  if [ "$TITLES_DIRTY" -eq 1 ]; then restore_titles || true; fi
  if [ "$GW_STARTED" -eq 1 ] && [ -n "$GW_PID" ]; then
    if [ "${BENCH_KEEP_GATEWAY:-0}" = 1 ]; then
      say "leaving the gateway running (pid $GW_PID, BENCH_KEEP_GATEWAY=1)"
    else
      say "stopping the gateway this run started (pid $GW_PID)"
      stop_pid "$GW_PID"
    fi
  fi
  # keep the working files of the last 5 runs only
  ls -1d "$RESULTS"/tmp/20*/ 2>/dev/null | sort | head -n -5 | xargs -r rm -rf
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------------- demo data
# -1 when the table does not exist yet (a database the gateway has not migrated)
table_exists() { [ "$(sql "SELECT to_regclass('public.$1') IS NOT NULL")" = t ]; }
lead_count() {
  if table_exists leads; then sql "SELECT count(*) FROM leads WHERE id BETWEEN 1 AND $LEADS"; else echo -1; fi
}
doc_count() {
  if table_exists documents; then sql "SELECT count(*) FROM documents"; else echo -1; fi
}

ensure_data_and_gateway() {
  local leads docs load=0 t1 t2
  leads="$(lead_count)"; docs="$(doc_count)"
  say "database: $leads of $LEADS demo leads, $docs documents"
  if [ "$leads" != "$LEADS" ] || [ "$docs" -le 0 ]; then load=1; fi
  if [ "$leads" -gt 0 ] && [ "$leads" != "$LEADS" ]; then
    # The demo loader runs when organizations is empty: empty the CRM tables (documents stay) and
    # drop the gateway's cached values, which were for the old rows.
    say "reloading the CRM demo data at $LEADS leads: TRUNCATE organizations, customers, leads CASCADE"
    sql "SET lock_timeout = '60s'; TRUNCATE organizations, customers, leads CASCADE" >/dev/null
    redis_cli --scan --pattern "${CACHE_PREFIX}*" 2>/dev/null | xargs -r -n 500 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" unlink >/dev/null || true
  fi
  t1=$(date +%s)
  if ready_on "$PORT"; then
    GW_PID="$(listener_pid "$PORT")"
    GW_ORIGIN="already running (pid ${GW_PID:-?})"
    say "a gateway already answers on $BASE (pid ${GW_PID:-unknown}): benchmarking it"
    if [ "$load" -eq 1 ]; then
      say "loading the demo data through a second gateway on :$LOADER_PORT"
      start_gateway "$LOADER_PORT" "$TMP/loader.log"
      stop_pid "$STARTED_PID"
    fi
  else
    start_gateway "$PORT" "$TMP/gateway.log"
    GW_PID="$STARTED_PID"; GW_STARTED=1
    GW_ORIGIN="started by bench.sh (pid $GW_PID)"
  fi
  t2=$(date +%s)
  leads="$(lead_count)"; docs="$(doc_count)"
  [ "$leads" = "$LEADS" ] || die "the database has $leads demo leads after loading, expected $LEADS (log $TMP/*.log)"
  [ "$load" -eq 0 ] || { DATA_LOAD_SECONDS=$((t2 - t1)); say "demo data loaded in ${DATA_LOAD_SECONDS}s ($leads leads, $docs documents)"; }
  [ "$docs" -gt 0 ] || warn "no documents (data set missing?): the vector scenario will have nothing to search"
}
DATA_LOAD_SECONDS=0

# ------------------------------------------------------------------------------------- measuring
# probe METHOD PATH KEY [body-file] [content-type] [extra-header] -> prints the HTTP status
probe() {
  local method="$1" path="$2" key="$3" body="${4:-}" ctype="${5:-application/json}" extra="${6:-}"
  local args=(-s -m 30 -o "$TMP/probe.body" -D "$TMP/probe.headers" -w '%{http_code}' -X "$method"
              -H "Authorization: Bearer $key")
  [ -n "$body" ] && args+=(-H "Content-Type: $ctype" --data-binary "@$body")
  [ -n "$extra" ] && args+=(-H "$extra")
  curl "${args[@]}" "$BASE$path" || echo 000
}

# availability of an endpoint from a probe's status: ok | not available (HTTP n) | error (HTTP n: ...)
availability() {
  case "$1" in
    2??) echo ok ;;
    404|405|501|503) echo "not available (HTTP $1)" ;;
    *) echo "error (HTTP $1: $(head -c 160 "$TMP/probe.body" 2>/dev/null | tr -d '\n"|'))" ;;
  esac
}

# wrk_unmeasured SECONDS SCRIPT CONNECTIONS LOG [VAR=value ...]: load that nobody measures (a warm-up), output
# appended to LOG.
wrk_unmeasured() {
  local secs="$1" script="$2" conns="$3" log="$4"; shift 4
  local threads="$WRK_THREADS"
  [ "$threads" -le "$conns" ] || threads="$conns"
  env BENCH_LUA_DIR="$LUA_DIR" "$@" timeout $((secs + 20)) \
    wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s -s "$LUA_DIR/$script" "$BASE" >>"$log" 2>&1 || true
}

# wrk_run NAME SCRIPT CONNECTIONS SECONDS [VAR=value ...] -> sets WRK_JSON (the BENCH_JSON object) and WRK_CMD
wrk_run() {
  local name="$1" script="$2" conns="$3" secs="$4"; shift 4
  local threads="$WRK_THREADS"
  [ "$threads" -le "$conns" ] || threads="$conns"
  WRK_CMD="$* wrk -t$threads -c$conns -d${secs}s --timeout 5s -s load-tests/bench/wrk/$script $BASE"
  WRK_CMD="${WRK_CMD//$ROOT\//}"
  [ "$WARMUP" -eq 0 ] || wrk_unmeasured "$WARMUP" "$script" "$conns" "$TMP/$name.warmup.txt" "$@"
  env BENCH_LUA_DIR="$LUA_DIR" "$@" timeout $((secs + 30)) \
    wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s -s "$LUA_DIR/$script" "$BASE" >"$TMP/$name.wrk.txt" 2>&1 \
    || { warn "wrk failed for $name: $(tail -3 "$TMP/$name.wrk.txt")"; WRK_JSON='{}'; return 0; }
  WRK_JSON="$(py wrk "$TMP/$name.wrk.txt" || echo '{}')"
}

# pgbench_run NAME CLIENTS [pgbench args ...] -> sets PGB_JSON ({throughput, p50/p95/p99 ...}) and PGB_CMD
pgbench_run() {
  local name="$1" clients="$2"; shift 2
  local shown=() a
  for a in "$@"; do shown+=("${a/#$HERE\//load-tests/}"); done
  PGB_CMD="pgbench -n -M prepared -c $clients -j 2 -T $DURATION ${shown[*]} $PG_URL"
  local try
  for try in 1 2; do
    rm -f "$TMP/pgb-$name".*
    if timeout $((DURATION + 60)) "$PGBENCH" -n -M prepared -c "$clients" -j 2 -T "$DURATION" \
         -l --sampling-rate 0.1 --log-prefix "$TMP/pgb-$name" "$@" "$PG_URL" >"$TMP/$name.pgbench.txt" 2>&1; then
      PGB_JSON="$(py pgbench "$TMP/$name.pgbench.txt" "$TMP/pgb-$name" || echo '{}')"
      return 0
    fi
    warn "pgbench failed for $name (try $try): $(grep -m1 -i 'error\|fatal' "$TMP/$name.pgbench.txt" || tail -1 "$TMP/$name.pgbench.txt")"
    # Other work on this machine may restart the shared PostgreSQL (fault-injection tests): wait for it once.
    wait_for_postgres 30 || break
  done
  PGB_JSON='{}'
}

wait_for_postgres() { # seconds
  local n=0
  until sql "SELECT 1" >/dev/null 2>&1; do
    [ "$n" -lt "$1" ] || return 1
    sleep 1; n=$((n + 1))
  done
}

# judge a wrk result: ok, or error when most requests failed; a note when some did
wrk_note() { # json
  python3 - "$1" <<'EOF'
import json, sys
d = json.loads(sys.argv[1] or "{}")
n = d.get("requests") or 0
bad = (d.get("non_2xx") or 0) + (d.get("socket_errors") or 0)
if n == 0:
    print("error|wrk measured nothing")
elif bad > 0.5 * n:
    print("error|%d of %d requests failed" % (bad, n))
elif bad > 0:
    print("ok|%d of %d requests failed (%.2f %%)" % (bad, n, 100.0 * bad / n))
else:
    print("ok|")
EOF
}

row() { py row "$ROWS" "$@"; }

# measure_read OPERATION NAME PROBE_PATH LUA BASELINE_ARGS... (one gateway run, one pgbench run)
measure_read() {
  local scenario="$1" op="$2" name="$3" probe_path="$4" lua="$5"; shift 5
  local code avail g b judged status note
  code="$(probe GET "$probe_path" demo-reader "" "" "Cache-Control: no-cache")"
  avail="$(availability "$code")"
  say "$scenario / $op: gateway ($avail)"
  pgbench_run "$name" "$PGBENCH_CLIENTS" "$@"; b="$PGB_JSON"
  if [ "$avail" != ok ]; then
    row scenario="$scenario" operation="$op" status="$avail" baseline="$b" baseline_tool=pgbench baseline_command="$PGB_CMD"
    return 0
  fi
  wrk_run "$name" "$lua" "$WRK_CONNECTIONS" "$DURATION" BENCH_SPAN="$SPAN" BENCH_LEADS="$LEADS" BENCH_NO_CACHE=1; g="$WRK_JSON"
  judged="$(wrk_note "$g")"; status="${judged%%|*}"; note="${judged#*|}"
  row scenario="$scenario" operation="$op" status="$status" gateway="$g" gateway_command="$WRK_CMD" \
      baseline="$b" baseline_tool=pgbench baseline_command="$PGB_CMD" note="$note"
  if [ "$name" = point-miss ]; then
    POINT_MISS_RPS="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("throughput",""))' "$g")"
    POINT_MISS_JSON="$g"; POINT_MISS_CMD="$WRK_CMD"
  fi
  return 0
}
POINT_MISS_RPS=""; POINT_MISS_JSON='{}'; POINT_MISS_CMD=""

# The calibration server (../shared/calibration): a bare ~70-line Vert.x point-read server, coalesced, on the
# same database, measured right after the gateway's uncached point read. Sluice / it = what Sluice's own path costs.
measure_calibration() {
  local op="point read, cache miss (no-cache) vs the calibration server (coalesced)"
  if [ ! -f "$CALIBRATION_DIR/pom.xml" ] || [ -z "$POINT_MISS_RPS" ]; then
    row scenario=reads operation="$op" status="not available (no calibration server at ${CALIBRATION_DIR#$ROOT/}, or no gateway figure)"
    return 0
  fi
  # Built in a copy: shared/ may be read-only.
  local build="$ROOT/.work/calibration" cal_jar cal_pid
  mkdir -p "$build"
  cp -r "$CALIBRATION_DIR/pom.xml" "$CALIBRATION_DIR/src" "$build/"
  (cd "$build" && mvn -q -B -DskipTests package) >"$TMP/calibration-build.log" 2>&1 \
    || { row scenario=reads operation="$op" status="error (calibration build failed: $TMP/calibration-build.log)"; return 0; }
  cal_jar="$build/target/point-read-server.jar"   # the shaded jar its README runs
  local pg_port; pg_port="$(python3 -c 'import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).port or 5432)' "$PG_URL")"
  java -Dcoalesce=true -Dpg.port="$pg_port" -Dpg.db=sluice -Dport="$CALIBRATION_PORT" -jar "$cal_jar" >"$TMP/calibration.log" 2>&1 9>&- &
  cal_pid=$!
  local waited=0
  until curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$CALIBRATION_PORT/v1/leads/1"; do
    sleep 0.5; waited=$((waited + 1))
    if [ "$waited" -gt 60 ] || ! kill -0 "$cal_pid" 2>/dev/null; then
      stop_pid "$cal_pid"; row scenario=reads operation="$op" status="error (calibration server did not start: $TMP/calibration.log)"; return 0
    fi
  done
  local saved_base="$BASE" gateway_json="$POINT_MISS_JSON" gateway_cmd="$POINT_MISS_CMD" c judged
  BASE="http://127.0.0.1:$CALIBRATION_PORT"
  say "reads / calibration server (coalesced) on :$CALIBRATION_PORT"
  wrk_run calibration point.lua "$WRK_CONNECTIONS" "$DURATION" BENCH_SPAN="$SPAN" BENCH_NO_CACHE=1; c="$WRK_JSON"
  BASE="$saved_base"
  stop_pid "$cal_pid"
  judged="$(wrk_note "$c")"; local note="${judged#*|}"
  row scenario=reads operation="$op" status="${judged%%|*}" gateway="$gateway_json" gateway_command="$gateway_cmd" \
      baseline="$c" baseline_tool="calibration server (java -Dcoalesce=true -jar point-read-server.jar)" baseline_command="$WRK_CMD" \
      note="goal >= 0.95 x${note:+; calibration: $note}"
}

# ------------------------------------------------------------------------------------- scenarios
# Unmeasured reads of every kind the reads and cache scenarios measure, a quarter of READS_WARMUP each, so that
# no row measures the JIT compiling the gateway (once per bench run).
warm_reads() {
  [ "$READS_WARMUP" -gt 0 ] && [ -z "${READS_WARM:-}" ] || return 0
  READS_WARM=1
  local each=$(( (READS_WARMUP + 3) / 4 )) w
  say "reads: ${READS_WARMUP}s of unmeasured reads (JIT warm-up)"
  for w in "point.lua BENCH_NO_CACHE=1" "point.lua BENCH_SPAN=$HOT_SET" "page1.lua BENCH_NO_CACHE=1" "keyset.lua BENCH_NO_CACHE=1"; do
    set -- $w
    wrk_unmeasured "$each" "$1" "$WRK_CONNECTIONS" "$TMP/reads-warmup.txt" BENCH_SPAN="$SPAN" BENCH_LEADS="$LEADS" "${@:2}"
  done
  warm_until_steady point.lua BENCH_NO_CACHE=1
}

# warm_until_steady SCRIPT [VAR=value ...]: unmeasured 8-s rounds of one load until two rounds in a row agree
# within 5 % (at most BENCH_STEADY_ROUNDS rounds). A fresh gateway's uncached point read went 7.2k, 10.8k,
# 15.9k, 24.2k, 28.8k, 27.9k req/s in 8-s rounds on 2026-12-02: the fixed warm-up above left the first
# measured row at about 60 % of the steady figure, against a calibration server (70 lines) that warms at once.
warm_until_steady() {
  local script="$1"; shift
  local log="$TMP/steady-warmup.txt" prev=0 rps i
  for i in $(seq "$STEADY_ROUNDS"); do
    : >"$log"
    wrk_unmeasured 8 "$script" "$WRK_CONNECTIONS" "$log" BENCH_SPAN="$SPAN" BENCH_LEADS="$LEADS" "$@"
    rps="$(awk '/Requests\/sec/{printf "%d", $2}' "$log")"
    [ -n "$rps" ] || return 0
    if [ "$prev" -gt 0 ] && [ $(( rps * 100 )) -le $(( prev * 105 )) ] && [ $(( rps * 100 )) -ge $(( prev * 95 )) ]; then
      say "reads: $script steady after $i rounds of 8 s ($prev, $rps req/s)"; return 0
    fi
    prev="$rps"
  done
  say "reads: $script not steady after $STEADY_ROUNDS rounds of 8 s (last $rps req/s)"
}

scenario_reads() {
  warm_reads
  measure_read reads "point read, cache miss (no-cache)" point-miss "/v1/leads/1" point.lua -f "$SQL_DIR/point.sql"
  measure_calibration
  measure_read reads "keyset page 1, 20 rows, order=created_at.desc" page1 "/v1/leads?limit=20&order=created_at.desc" \
    page1.lua -f "$SQL_DIR/page1.sql"
  measure_read reads "keyset page, 20 rows, cursor walk" keyset "/v1/leads?limit=20" keyset.lua -f "$SQL_DIR/keyset.sql"
  measure_read reads "offset page, 20 rows, page 1..500" offset "/v1/leads?page=2&limit=20" offset.lua -f "$SQL_DIR/offset.sql"
  local emb=() s
  for s in new contacted qualified won lost; do emb+=(-f "$SQL_DIR/embedded-$s.sql"); done
  measure_read reads "filtered page + customer(id,name)" embedded \
    "/v1/leads?select=id,title,customer(id,name)&status=eq.new&order=created_at.desc&limit=20" embedded.lua "${emb[@]}"
}

scenario_cache() {
  warm_reads
  local code avail g b judged status note
  probe GET /v1/leads/1 demo-reader >/dev/null
  code="$(probe GET /v1/leads/1 demo-reader)"
  avail="$(availability "$code")"
  if [ "$avail" = ok ] && ! grep -qi '^x-cache: *hit' "$TMP/probe.headers"; then
    avail="not available (no X-Cache: hit on a repeated read)"
  fi
  say "cache / point read, cache hit: gateway ($avail)"
  timeout 120 redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t get -n 200000 -c 50 -P 1 --csv >"$TMP/redis.csv" 2>&1 || true
  b="$(py redis "$TMP/redis.csv" 2>/dev/null || echo '{}')"
  local rcmd="redis-benchmark -h 127.0.0.1 -p $REDIS_PORT -t get -n 200000 -c 50 -P 1 --csv"
  if [ "$avail" != ok ]; then
    row scenario=cache operation="point read, cache hit" status="$avail" baseline="$b" baseline_tool=redis-benchmark baseline_command="$rcmd"
    return 0
  fi
  wrk_run point-hit point.lua "$WRK_CONNECTIONS" "$DURATION" BENCH_SPAN="$HOT_SET"; g="$WRK_JSON"
  judged="$(wrk_note "$g")"; status="${judged%%|*}"; note="${judged#*|}"
  local hit_cmd="$WRK_CMD"   # the miss run below sets WRK_CMD again
  if [ -z "$POINT_MISS_RPS" ]; then
    say "cache / point read, cache miss (for the hit/miss ratio)"
    local m; wrk_run point-miss point.lua "$WRK_CONNECTIONS" "$DURATION" BENCH_SPAN="$SPAN" BENCH_NO_CACHE=1; m="$WRK_JSON"
    row scenario=cache operation="point read, cache miss (no-cache)" status="$(wrk_note "$m" | cut -d'|' -f1)" \
        gateway="$m" gateway_command="$WRK_CMD"
    POINT_MISS_RPS="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("throughput",""))' "$m")"
  fi
  local vs_miss
  vs_miss="$(python3 -c 'import json,sys
g=json.loads(sys.argv[1]); m=sys.argv[2]
print("%.2f x the cache-miss figure (goal >= 2.5 x)" % (g["throughput"]/float(m)) if m and g.get("throughput") else "")' "$g" "$POINT_MISS_RPS")"
  row scenario=cache operation="point read, cache hit ($HOT_SET hot ids)" status="$status" gateway="$g" gateway_command="$hit_cmd" \
      baseline="$b" baseline_tool=redis-benchmark baseline_command="$rcmd" note="${vs_miss}${note:+; $note}"
  cache_page1
  cache_mix
}

# Keyset page 1 from the cache against the same page from PostgreSQL, side by side (goal: >= 2 x).
cache_page1() {
  local hit miss hit_cmd ratio
  say "cache / keyset page 1: cached, then no-cache"
  wrk_run page1-hit page1.lua "$WRK_CONNECTIONS" "$DURATION"; hit="$WRK_JSON"; hit_cmd="$WRK_CMD"
  wrk_run page1-miss page1.lua "$WRK_CONNECTIONS" "$DURATION" BENCH_NO_CACHE=1; miss="$WRK_JSON"
  ratio="$(python3 -c 'import json,sys
h=json.loads(sys.argv[1]); m=json.loads(sys.argv[2])
print("%.2f x the uncached page (goal >= 2 x)" % (h["throughput"]/m["throughput"]) if h.get("throughput") and m.get("throughput") else "")' "$hit" "$miss")"
  row scenario=cache operation="keyset page 1, 20 rows, cached" status="$(wrk_note "$hit" | cut -d'|' -f1)" gateway="$hit" \
      gateway_command="$hit_cmd" baseline="$miss" baseline_tool="wrk, the same page with Cache-Control: no-cache" \
      baseline_command="$WRK_CMD" note="$ratio"
}

restore_titles() {
  # Through the gateway, so its cache learns of it; the demo loader's titles on tenant 1's first HOT_SET leads.
  local r
  r="$(py restore "$BASE" "$HOT_SET" 2>&1 || true)"
  TITLES_DIRTY=0
  say "put the demo titles back on the $HOT_SET hot leads (PATCH through the gateway): $r"
}

# The read-heavy mix of issue 8: 95 % point reads / 5 % PATCH on the hot set (wrk cachemix.lua), the
# hit rate over the run (gateway /metrics delta and wrk's X-Cache counts), and, at the same time, the
# staleness checker: PATCH a title, then read it back (point and page) right after the 200.
cache_mix() {
  local op="read-heavy mix: 95 % point reads / 5 % PATCH title ($HOT_SET hot ids)"
  local op2="read right after own PATCH, point + page, during that mix"
  local code avail g judged status note ids k
  printf '{"title":"Solar install #1"}' >"$TMP/patch1.json"   # lead 1's demo title: the probe changes nothing
  code="$(probe PATCH "/v1/leads?id=eq.1" demo-writer "$TMP/patch1.json")"
  avail="$(availability "$code")"
  say "cache / $op: gateway ($avail)"
  if [ "$avail" != ok ]; then
    row scenario=cache operation="$op" status="$avail"
    return 0
  fi
  ids=""; for k in $(seq 0 $((CHECK_IDS - 1))); do ids="${ids:+$ids,}$((4 * k + 1))"; done
  local lua_env=(BENCH_SPAN="$HOT_SET" BENCH_CHECK_IDS="$CHECK_IDS" BENCH_WRITE_PCT=5)
  TITLES_DIRTY=1
  [ "$WARMUP" -eq 0 ] || wrk_unmeasured "$WARMUP" cachemix.lua "$WRK_CONNECTIONS" "$TMP/cachemix.warmup.txt" "${lua_env[@]}"
  py cachemetrics "$BASE" >"$TMP/cachemix.metrics-before.json" 2>"$TMP/cachemix.metrics.err" || true
  timeout $((CACHE_MIX_DURATION + 90)) python3 "$LIB" staleness "$BASE" "$ids" "$CACHE_MIX_DURATION" 100000 \
    >"$TMP/cachemix.staleness.json" 2>"$TMP/cachemix.staleness.err" &
  local checker=$!
  local saved="$WARMUP"; WARMUP=0   # warmed up above, before the counters' first reading
  wrk_run cachemix cachemix.lua "$WRK_CONNECTIONS" "$CACHE_MIX_DURATION" "${lua_env[@]}"; g="$WRK_JSON"
  WARMUP="$saved"
  wait "$checker" || warn "the staleness checker failed: $(tail -2 "$TMP/cachemix.staleness.err")"
  py cachemetrics "$BASE" >"$TMP/cachemix.metrics-after.json" 2>>"$TMP/cachemix.metrics.err" || true
  local hr st
  hr="$(py cachedelta "$TMP/cachemix.metrics-before.json" "$TMP/cachemix.metrics-after.json" "$TMP/cachemix.wrk.txt" 2>/dev/null || echo '{}')"
  st="$(cat "$TMP/cachemix.staleness.json" 2>/dev/null)"; [ -n "$st" ] || st='{}'
  restore_titles
  judged="$(wrk_note "$g")"; status="${judged%%|*}"; note="${judged#*|}"
  local hnote snote sstatus
  hnote="$(python3 -c 'import json,sys
d=json.loads(sys.argv[1]); m=d.get("metrics") or {}; x=d.get("xcache") or {}
p=lambda v: "%.1f %%" % (100*v) if isinstance(v,(int,float)) else "?"
out=[]
if "hit_rate" in m: out.append("hit rate %s by the gateway counters (/metrics delta: %d hits, %d misses; all cached reads in the window, the checker'"'"'s too)" % (p(m["hit_rate"]), m["hits"], m["misses"]))
errs={k: v for k, v in (m.get("errors_by_layer") or {}).items() if v}
if errs: out.append("cache layer errors in the window: %s (sluice_cache_errors_total)" % ", ".join("%s %d" % kv for kv in sorted(errs.items())))
if "hit_rate" in x: out.append("%s by the X-Cache headers wrk saw (%d hit, %d miss; %d PATCH sent)" % (p(x["hit_rate"]), x["xcache_hit"], x["xcache_miss"], x["writes_sent"]))
print("; ".join(out) + " (goal >= 85 %)" if out else "hit rate: not measured")' "$hr")"
  row scenario=cache operation="$op" status="$status" gateway="$g" gateway_command="$WRK_CMD" \
      note="$hnote${note:+; $note}" extra="{\"hit_rate\": $hr}"
  snote="$(python3 -c 'import json,sys
d=json.loads(sys.argv[1])
if "checks" not in d: print("error|the checker reported nothing"); raise SystemExit
print("%s|%d stale of %d reads after a PATCH reply (point %d/%d, page %d/%d; goal 0) on ids %s over %.0f s; %d request errors; the old value was a cache hit just before the PATCH in %d of %d point and %d of %d page pre-reads" % (
  "ok" if d["checks"] > 0 else "error", d["stale"], d["checks"], d["point_stale"], d["point_checks"], d["page_stale"], d["page_checks"],
  ",".join(map(str, d["ids"])), d["seconds"], d["errors"], d["pre_point_hits"], d["rounds"], d["pre_page_hits"], d["rounds"]))' "$st")"
  sstatus="${snote%%|*}"; snote="${snote#*|}"
  row scenario=cache operation="$op2" status="$sstatus" \
      gateway="$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(json.dumps({k: d[k] for k in ("tool","checks","stale") if k in d}))' "$st")" \
      gateway_command="python3 load-tests/bench/benchlib.py staleness $BASE $ids $CACHE_MIX_DURATION 100000 (alongside the wrk run above)" \
      note="$snote" extra="{\"staleness\": $st}"
}

scenario_vector() {
  # One gateway/pgbench pair per ANN index of documents.embedding (BENCH_VECTOR_INDEXES), same run.
  # The baseline runs the gateway's own statement (benchlib.py ANN_SQL) with the settings the gateway's
  # search connections have (GET /admin/vector "session"), BENCH_EF_SEARCH over them when given; both
  # sides have PGBENCH_CLIENTS backends at work (the gateway: vector.instances x vector.poolSize).
  local code kind
  code="$(probe GET /admin/vector demo-admin)"
  if [ "$code" = 200 ]; then
    VEC_SESSION="$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); s=dict(d.get("session") or {})
if sys.argv[2]: s["hnsw.ef_search"] = sys.argv[2]
print(" ".join("-c %s=%s" % (k, v) for k, v in sorted(s.items()) if k.startswith(("hnsw.", "ivfflat."))))' "$TMP/probe.body" "$EF_SEARCH")"
    VEC_RERANK="$(python3 -c 'import json,sys
print(next((c.get("rerank") for c in json.load(open(sys.argv[1]))["columns"] if c["resource"] == "documents"), None) or 40)' "$TMP/probe.body")"
    VEC_DEFAULT_EF="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["knobs"]["efSearch"]["default"])' "$TMP/probe.body")"
  else
    warn "GET /admin/vector: HTTP $code; the baseline gets hnsw.ef_search ${EF_SEARCH:-100} only"
    VEC_SESSION="-c hnsw.ef_search=${EF_SEARCH:-100}"; VEC_RERANK=40; VEC_DEFAULT_EF="${EF_SEARCH:-100}"
  fi
  if [ -n "$EF_SEARCH" ]; then VEC_EF_LABEL="efSearch $EF_SEARCH (requested)"; else VEC_EF_LABEL="efSearch $VEC_DEFAULT_EF (the gateway default)"; fi
  if [ "$VECTOR_WARMUP" -gt 0 ]; then
    rm -rf "$TMP/vec"
    py vectors "$DATASET" "$TMP/vec" "$EF_SEARCH" >/dev/null || die "cannot read the dev queries in $DATASET"
    say "vector: ${VECTOR_WARMUP}s of unmeasured searches (JIT warm-up)"
    wrk_unmeasured "$VECTOR_WARMUP" search.lua "$WRK_CONNECTIONS" "$TMP/vector-warmup.txt" BENCH_BODIES_FILE="$TMP/vec/search-bodies.txt"
  fi
  for kind in ${BENCH_VECTOR_INDEXES:-vector halfvec binary}; do scenario_vector_index "$kind"; done
}

scenario_vector_index() { # vector|halfvec|binary
  local kind="$1" code avail g b judged status note n
  rm -rf "$TMP/vec"
  n="$(py vectors "$DATASET" "$TMP/vec" "$EF_SEARCH" "$kind" "$VEC_RERANK")" || die "cannot read the dev queries in $DATASET"
  head -n 1 "$TMP/vec/search-bodies.txt" >"$TMP/vec/one.json"
  code="$(probe POST /v1/documents/search demo-reader "$TMP/vec/one.json")"
  avail="$(availability "$code")"
  say "vector / ANN top-10 through the $kind index, $VEC_EF_LABEL: gateway ($avail)"
  local scripts=() f
  for f in "$TMP"/vec/ann/q*.sql; do scripts+=(-f "$f"); done
  PGOPTIONS="$VEC_SESSION" pgbench_run "ann-$kind" "$PGBENCH_CLIENTS" "${scripts[@]}"; b="$PGB_JSON"
  local bcmd="PGOPTIONS='$VEC_SESSION' pgbench -n -M prepared -c $PGBENCH_CLIENTS -j 2 -T $DURATION -f <one script per dev query, the first $n: the gateway's own top-10 statement through the $kind index (load-tests/bench/benchlib.py ANN_SQL)> $PG_URL"
  if [ "$avail" != ok ]; then
    row scenario=vector operation="ANN top-10, $kind index, $VEC_EF_LABEL" status="$avail" baseline="$b" baseline_tool=pgbench baseline_command="$bcmd"
    return 0
  fi
  wrk_run "search-$kind" search.lua "$WRK_CONNECTIONS" "$DURATION" BENCH_BODIES_FILE="$TMP/vec/search-bodies-$n.txt"; g="$WRK_JSON"
  judged="$(wrk_note "$g")"; status="${judged%%|*}"; note="${judged#*|}"
  local rc_ef="{}" rc_default
  [ -z "$EF_SEARCH" ] || rc_ef="$(py recall "$BASE" "$DATASET" "$EF_SEARCH" "$kind" || echo '{}')"
  rc_default="$(py recall "$BASE" "$DATASET" "" "$kind" || echo '{}')"
  local rnote
  rnote="$(python3 -c 'import json,sys
a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2])
print(("recall@10 %s at efSearch %s, " % (a.get("recall_at_10"), sys.argv[3]) if sys.argv[3] else "") + "recall@10 %s with the gateway default" % b.get("recall_at_10"))' "$rc_ef" "$rc_default" "$EF_SEARCH")"
  row scenario=vector operation="ANN top-10, $kind index, $VEC_EF_LABEL" status="$status" gateway="$g" gateway_command="$WRK_CMD" \
      baseline="$b" baseline_tool=pgbench baseline_command="$bcmd" note="$rnote${note:+; $note}" \
      extra="{\"index\": \"$kind\", \"recall_requested_ef\": $rc_ef, \"recall_gateway_default\": $rc_default}"
}

delete_bench_rows() {
  # Through the gateway when it can delete (its cache then learns of it), else straight in SQL.
  local code
  code="$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X DELETE -H 'Authorization: Bearer demo-writer' \
          "$BASE/v1/leads?title=like.bench-*" 2>/dev/null || echo 000)"
  sql "DELETE FROM leads WHERE title LIKE 'bench-%'" >/dev/null 2>&1 || warn "could not delete the bench rows: DELETE FROM leads WHERE title LIKE 'bench-%'"
  sql "DROP TABLE IF EXISTS leads_copy" >/dev/null 2>&1 || true
  sql "VACUUM (ANALYZE) leads" >/dev/null 2>&1 || true
  WRITES_DIRTY=0
  say "removed the rows the bench inserted (gateway DELETE: HTTP $code; then SQL), dropped leads_copy"
}

scenario_writes() {
  local code avail g b judged status note
  WRITES_DIRTY=1
  local customers=$((LEADS / 20))
  py rows 100 bulk "$customers" "$TMP/bulk100"
  py rows 1 write "$customers" "$TMP/write1"
  # An identical table for the raw baselines (same columns, defaults, checks and indexes; no FKs).
  sql "DROP TABLE IF EXISTS leads_copy; CREATE TABLE leads_copy (LIKE leads INCLUDING ALL)" >/dev/null

  # --- bulk insert of 100 rows
  code="$(probe POST /v1/leads/bulk demo-writer "$TMP/bulk100/rows.json")"
  avail="$(availability "$code")"
  say "writes / bulk insert 100 rows: gateway ($avail)"
  pgbench_run bulk100 "$BULK_CONNECTIONS" -f "$TMP/bulk100/rows.sql"; b="$PGB_JSON"
  local bcmd="pgbench -n -M prepared -c $BULK_CONNECTIONS -j 2 -T $DURATION -f <INSERT INTO leads_copy (org_id, customer_id, title, status, priority) VALUES <the same 100 rows>> $PG_URL"
  if [ "$avail" != ok ]; then
    row scenario=writes operation="bulk insert, 100 rows (JSON array)" status="$avail" baseline="$b" baseline_tool=pgbench baseline_command="$bcmd"
  else
    wrk_run bulk100 bulk.lua "$BULK_CONNECTIONS" "$DURATION" BENCH_BODY_FILE="$TMP/bulk100/rows.json"; g="$WRK_JSON"
    judged="$(wrk_note "$g")"; status="${judged%%|*}"; note="${judged#*|}"
    row scenario=writes operation="bulk insert, 100 rows (JSON array)" status="$status" gateway="$g" gateway_command="$WRK_CMD" \
        baseline="$b" baseline_tool=pgbench baseline_command="$bcmd" note="req/s × 100 = rows/s; baseline into leads_copy${note:+; $note}"
  fi

  # --- NDJSON import of IMPORT_ROWS rows vs psql \copy of the same rows
  say "writes / NDJSON import of $IMPORT_ROWS rows: generating the rows"
  py rows "$IMPORT_ROWS" ndjson "$customers" "$TMP/import"
  head -n 2 "$TMP/import/rows.ndjson" >"$TMP/import/two.ndjson"
  code="$(probe POST /v1/leads/bulk demo-writer "$TMP/import/two.ndjson" application/x-ndjson)"
  avail="$(availability "$code")"
  say "writes / NDJSON import: gateway ($avail)"
  sql "TRUNCATE leads_copy" >/dev/null
  local c0 c1 copy_s
  c0=$(date +%s%N)
  "$PSQL" -X -q -v ON_ERROR_STOP=1 "$PG_URL" \
    -c "\\copy leads_copy (org_id, customer_id, title, status, priority) FROM '$TMP/import/rows.csv' CSV" >"$TMP/copy.txt" 2>&1 \
    || warn "psql \\copy failed: $(tail -2 "$TMP/copy.txt")"
  c1=$(date +%s%N)
  copy_s="$(python3 -c "print(round(($c1 - $c0) / 1e9, 3))")"
  b="{\"throughput\": $(python3 -c "print(round($IMPORT_ROWS / (($c1 - $c0) / 1e9), 1))"), \"unit\": \"rows/s\", \"seconds\": $copy_s}"
  local ccmd="psql $PG_URL -c \"\\copy leads_copy (org_id, customer_id, title, status, priority) FROM 'rows.csv' CSV\" ($IMPORT_ROWS rows)"
  if [ "$avail" != ok ]; then
    row scenario=writes operation="NDJSON import, $IMPORT_ROWS rows" status="$avail" baseline="$b" baseline_tool="psql \\copy" baseline_command="$ccmd"
  else
    local out http secs
    out="$(curl -s -m 300 -o "$TMP/import/response.json" -w '%{http_code} %{time_total}' -X POST \
            -H 'Authorization: Bearer demo-writer' -H 'Content-Type: application/x-ndjson' \
            --data-binary "@$TMP/import/rows.ndjson" "$BASE/v1/leads/bulk" || echo "000 0")"
    http="${out%% *}"; secs="${out#* }"
    local gcmd="curl -X POST -H 'Content-Type: application/x-ndjson' --data-binary @rows.ndjson $BASE/v1/leads/bulk ($IMPORT_ROWS rows, $(du -h "$TMP/import/rows.ndjson" | cut -f1))"
    if [ "$http" = 200 ]; then
      g="{\"tool\": \"curl\", \"throughput\": $(python3 -c "print(round($IMPORT_ROWS / max($secs, 1e-6), 1))"), \"unit\": \"rows/s\", \"seconds\": $secs}"
      row scenario=writes operation="NDJSON import, $IMPORT_ROWS rows" status=ok gateway="$g" gateway_command="$gcmd" \
          baseline="$b" baseline_tool="psql \\copy" baseline_command="$ccmd" note="goal ≥ 0.3 × \\copy (long-term 0.7 ×); response $(head -c 120 "$TMP/import/response.json" | tr -d '|')"
    else
      row scenario=writes operation="NDJSON import, $IMPORT_ROWS rows" status="error (HTTP $http: $(head -c 160 "$TMP/import/response.json" | tr -d '\n"|'))" \
          gateway_command="$gcmd" baseline="$b" baseline_tool="psql \\copy" baseline_command="$ccmd"
    fi
  fi
  delete_bench_rows
}

heap_after_gc() { # pid label -> prints {"heap_used_kb":..} or {}
  local pid="$1" label="$2"
  if [ -z "$pid" ] || ! command -v jcmd >/dev/null 2>&1; then echo '{}'; return 0; fi
  { jcmd "$pid" GC.run && jcmd "$pid" GC.heap_info; } >"$TMP/heap-$label.txt" 2>&1 || { echo '{}'; return 0; }
  py heap "$TMP/heap-$label.txt" 2>/dev/null || echo '{}'
}

scenario_mixed() {
  local missing=() code g judged status note
  py vectors "$DATASET" "$TMP/vec" "$EF_SEARCH" >/dev/null || die "cannot read the dev queries in $DATASET"
  py rows 1 mixed "$((LEADS / 20))" "$TMP/mixed"
  head -n 1 "$TMP/vec/search-bodies.txt" >"$TMP/vec/one.json"
  code="$(probe GET /v1/leads/1 demo-reader)";                                   [ "$(availability "$code")" = ok ] || missing+=("point read: HTTP $code")
  code="$(probe POST /v1/documents/search demo-reader "$TMP/vec/one.json")";    [ "$(availability "$code")" = ok ] || missing+=("search: HTTP $code")
  WRITES_DIRTY=1
  code="$(probe POST /v1/leads/bulk demo-writer "$TMP/mixed/rows.json")";       [ "$(availability "$code")" = ok ] || missing+=("bulk write: HTTP $code")
  local op="mixed 70 % reads / 20 % search / 10 % writes"
  if [ "${#missing[@]}" -gt 0 ] && [ "${BENCH_MIXED_PARTIAL:-0}" != 1 ]; then
    say "mixed: not available (${missing[*]})"
    row scenario=mixed operation="$op" status="not available (${missing[*]})" \
        note="BENCH_MIXED_PARTIAL=1 runs it anyway (the missing parts then count as errors)"
    delete_bench_rows
    return 0
  fi
  # Warm up first (JIT, pools, caches), so start and end compare the same steady state and a
  # growing heap means a leak rather than warm-up.
  [ "$WARMUP" -eq 0 ] || wrk_unmeasured $((WARMUP * 2)) mixed.lua "$WRK_CONNECTIONS" "$TMP/mixed.warmup.txt" BENCH_SPAN="$SPAN" \
    BENCH_LEADS="$LEADS" BENCH_BODIES_FILE="$TMP/vec/search-bodies.txt" BENCH_WRITE_BODY_FILE="$TMP/mixed/rows.json"
  local h0 h1
  h0="$(heap_after_gc "$GW_PID" start)"
  say "mixed: heap after GC at start (after $((WARMUP * 2))s of warm-up): $h0"
  local saved="$WARMUP"; WARMUP=0   # warmed up above, before the start figure
  wrk_run mixed mixed.lua "$WRK_CONNECTIONS" "$MIXED_DURATION" BENCH_SPAN="$SPAN" BENCH_LEADS="$LEADS" \
        BENCH_BODIES_FILE="$TMP/vec/search-bodies.txt" BENCH_WRITE_BODY_FILE="$TMP/mixed/rows.json"; g="$WRK_JSON"
  WARMUP="$saved"
  h1="$(heap_after_gc "$GW_PID" end)"
  say "mixed: heap after GC at end: $h1"
  judged="$(wrk_note "$g")"; status="${judged%%|*}"; note="${judged#*|}"
  [ "${#missing[@]}" -gt 0 ] && note="PARTIAL: ${missing[*]}${note:+; $note}"
  local hnote
  hnote="$(python3 -c 'import json,sys
a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2])
if "heap_used_kb" in a and "heap_used_kb" in b:
    print("heap after GC %.1f MB at start, %.1f MB at end (jcmd GC.run + GC.heap_info)" % (a["heap_used_kb"]/1024, b["heap_used_kb"]/1024))
else:
    print("heap after GC: not measured (jcmd)")' "$h0" "$h1")"
  row scenario=mixed operation="$op" status="$status" gateway="$g" gateway_command="$WRK_CMD" \
      note="$hnote${note:+; $note}" extra="{\"heap_after_gc_start\": $h0, \"heap_after_gc_end\": $h1}"
  delete_bench_rows
}

# ------------------------------------------------------------------------------------- change feed
# End-to-end latency of the change feed (SLO "realtime": p95 < 50 ms at 2,000 changes/s), measured
# by dev.sluice.changes.ChangeLatencyBench (in target/sluice-tools.jar): SSE stream open, single-row PATCHes
# at a fixed rate (open model), commit -> delivery and write -> delivery per event. Its baseline,
# the same tool with --baseline: the same UPDATE + pg_notify in one transaction through a Vert.x pg
# pool and a PgSubscriber. Rates are tried in turn (BENCH_CHANGES_RATES) until the gateway sustains one.
CHANGES_CLASS=dev.sluice.changes.ChangeLatencyBench

restore_priorities() {
  # Only after an interrupted run (the tool itself puts back what it found): the demo loader's priorities.
  local n
  n="$(sql "WITH u AS (UPDATE leads SET priority = 1 + (id * 13) % 5
              WHERE id IN (SELECT $CHANGES_FIRST_ID + 4 * k FROM generate_series(0, $((CHANGES_IDS - 1))) k)
                AND priority <> 1 + (id * 13) % 5 RETURNING 1) SELECT count(*) FROM u" 2>/dev/null || echo '?')"
  CHANGES_DIRTY=0
  say "put the demo priorities back on the change-feed rows in SQL after an interrupted run: $n rows"
}

# changes_run NAME RATE [--baseline] -> sets CH_JSON (the tool's JSON line, {} on failure) and CH_CMD
changes_run() {
  local name="$1" rate="$2"; shift 2
  local args=(--rate "$rate" --duration "$CHANGES_DURATION" --warmup "$CHANGES_WARMUP" --ids "$CHANGES_IDS"
              --first-id "$CHANGES_FIRST_ID" --pg "$PG_URL" "$@")
  [ "${1:-}" = --baseline ] || args=(--url "$BASE" "${args[@]}")
  local cp; cp="$(tools_cp)"
  CH_CMD="java -cp ${cp//$ROOT\//} $CHANGES_CLASS ${args[*]}"
  CHANGES_DIRTY=1
  if timeout $((CHANGES_WARMUP + CHANGES_DURATION + 240)) java -cp "$cp" "$CHANGES_CLASS" "${args[@]}" \
       >"$TMP/$name.out" 2>"$TMP/$name.err"; then
    CH_JSON="$(tail -n 1 "$TMP/$name.out")"
    if python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]).get("restore",{}).get("ok") else 1)' "$CH_JSON" 2>/dev/null; then
      CHANGES_DIRTY=0
    else
      warn "$name: the tool did not put the priorities back: $(tail -2 "$TMP/$name.err")"
    fi
  else
    warn "$name failed: $(grep -v '^change-bench: \(sub\|list\|all\)' "$TMP/$name.err" | tail -3)"
    CH_JSON='{}'
  fi
  [ "$CHANGES_DIRTY" -eq 0 ] || restore_priorities
  python3 -c 'import json,sys; json.loads(sys.argv[1])' "$CH_JSON" 2>/dev/null || CH_JSON='{}'
  say "  $(grep -m1 'sustained:' "$TMP/$name.err" | sed 's/^change-bench: //' | cut -c1-220)"
}

scenario_changes() {
  local code avail rate g b judged status note ratio best="" tried="" cp
  cp="$(tools_cp)"
  if ! python3 -c 'import sys, zipfile; sys.exit(0 if any(sys.argv[1] in zipfile.ZipFile(j).namelist() for j in sys.argv[2].split(":")) else 1)' \
         "${CHANGES_CLASS//.//}.class" "$cp" 2>/dev/null; then
    avail="not available (no $CHANGES_CLASS in ${cp//$ROOT\//}: rebuild with mvn -DskipTests package)"
  else
    code="$(curl -s -m 2 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer demo-reader' "$BASE/v1/leads/changes" || true)"
    avail="$(availability "${code:-000}")"
  fi
  for rate in $CHANGES_RATES; do
    local op="change feed, commit → delivery, $rate writes/s"
    say "changes / $op: gateway ($avail)"
    if [ "$avail" = ok ]; then changes_run "changes-$rate" "$rate"; g="$CH_JSON"; local gcmd="$CH_CMD"; fi
    say "changes / $op: baseline (LISTEN/NOTIFY)"
    changes_run "changes-$rate-baseline" "$rate" --baseline; b="$CH_JSON"
    if [ "$avail" != ok ]; then
      row scenario=changes operation="$op" status="$avail" baseline="$b" baseline_command="$CH_CMD"
      return 0
    fi
    tried="${tried:+$tried, }$rate"
    # status | ratio | note
    judged="$(python3 - "$g" "$b" <<'PY'
import json, sys
g, b = json.loads(sys.argv[1] or "{}"), json.loads(sys.argv[2] or "{}")
if not g.get("due"):
    print("error|null|the tool measured nothing (see its .err file)"); raise SystemExit
def f(v): return "—" if v is None else "%.1f" % v
c, w, wl = g.get("commit_to_delivery", {}), g.get("write_to_delivery", {}), g.get("write_latency", {})
bc, bw = b.get("commit_to_delivery", {}), b.get("write_to_delivery", {})
ratio = round(bc["p95_ms"] / c["p95_ms"], 3) if b.get("p95_ms") and c.get("p95_ms") and bc["p95_ms"] > 0 and c["p95_ms"] > 0 else None
wratio = round(bw["p95_ms"] / w["p95_ms"], 3) if bw.get("p95_ms") and w.get("p95_ms") else None
status = "ok" if g.get("sustained") else "not sustained at %d/s: %s" % (g["target_rate"], "; ".join(g.get("not_sustained_because", [])))
if c.get("p95_ms") is None:
    slo = "no events"
elif not g.get("sustained"):
    slo = "SLO (p95 < 50 ms at 2,000/s) not met at %d/s: the rate was not sustained (the p95 is of the writes that got through)" % g["target_rate"]
else:
    slo = "commit → delivery p95 %s 50 ms at %d/s%s" % ("<" if c["p95_ms"] < 50 else "≥", g["target_rate"],
        "" if g["target_rate"] >= 2000 else " (the SLO asks for it at 2,000/s)")
note = ("%s; achieved %s of %d writes/s (%d due, %d ok, %d errors, %d skipped), events %d received, %d missing; "
        "write → delivery p95 %s ms (baseline %s, ratio %s); write reply p95 %s ms; max commit → delivery %s ms; "
        "ratio = baseline p95 / gateway p95 of commit → delivery (below 1: the gateway is slower)") % (
    slo, f(g.get("achieved_rate")), g["target_rate"], g["due"], g["ok"], g["errors"], g["skipped"], g["received"], g["missing"],
    f(w.get("p95_ms")), f(bw.get("p95_ms")), wratio if wratio is not None else "—", f(wl.get("p95_ms")), f(c.get("max_ms")))
if b and not b.get("sustained", True):
    note += "; the baseline did not sustain it either: " + "; ".join(b.get("not_sustained_because", []))
if g.get("first_error"):
    note += "; first error: " + g["first_error"][:160]
print("%s|%s|%s" % (status.replace("|", "/"), "null" if ratio is None else ratio, note.replace("|", "/")))
PY
)"
    status="${judged%%|*}"; judged="${judged#*|}"; ratio="${judged%%|*}"; note="${judged#*|}"
    [ "$status" = ok ] && best="$rate"
    row scenario=changes operation="$op" status="$status" show_figures=true \
        gateway="$g" gateway_command="$gcmd" baseline="$b" baseline_command="$CH_CMD" ratio="$ratio" note="$note" \
        extra="{\"gateway_write_to_delivery\": $(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]).get("write_to_delivery")))' "$g"), \"baseline_write_to_delivery\": $(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]).get("write_to_delivery")))' "$b")}"
    [ -n "$best" ] && break
  done
  if [ "$best" != "$(awk '{print $1}' <<<"$CHANGES_RATES")" ]; then
    row scenario=changes operation="change feed, highest sustained write rate" \
        status="$([ -n "$best" ] && echo ok || echo "none of $tried writes/s sustained")" \
        gateway="{\"tool\": \"ChangeLatencyBench\", \"throughput\": ${best:-null}, \"unit\": \"writes/s\"}" \
        note="tried $tried writes/s in turn (BENCH_CHANGES_RATES), highest first; sustained = every due write sent and answered 2xx, ≥ 99 % delivered, replies keeping up, write reply p95 within the writes SLO (200 ms)"
  fi
}

# ------------------------------------------------------------------------------------- cluster
# Throughput of 2 clustered gateway nodes vs 1, same wrk loads as the reads / cache scenarios:
# (a) one plain (non-clustered) node, the baseline; (b) one clustered node; (c) two clustered nodes,
# the connections split across both (two wrk processes started together: summed req/s, worst
# percentiles). All nodes run the same jar from the same folder and are stopped by pid (also on
# failure, in cleanup). Hazelcast on BENCH_CLUSTER_HZ_PORT.. (+4), a cluster name of this run only.
# Every fresh node first gets each load for BENCH_CLUSTER_WARMUP s, so no JVM is measured cold.
port_free() { [ -z "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]; }

start_node() { # name port [--cluster] -> NODE_PID (also in CLUSTER_PIDS); one retry if PostgreSQL was restarting
  local name="$1" port="$2" try; shift 2
  port_free "$port" || die "port $port is busy (BENCH_CLUSTER_PORTS): stop what listens there or choose others"
  for try in 1 2; do
    START_SOFT=1
    if start_gateway "$port" "$TMP/$name.log" "$@"; then
      START_SOFT=0; NODE_PID="$STARTED_PID"; CLUSTER_PIDS+=("$NODE_PID"); return 0
    fi
    START_SOFT=0
    warn "node $name exited during start (try $try): $(grep -m1 'failed to start' "$TMP/$name.log" || tail -1 "$TMP/$name.log")"
    wait_for_postgres 60 || break
    sleep 2
  done
  die "node $name did not start (log $TMP/$name.log)"
}

stop_nodes() {
  local p
  for p in "${CLUSTER_PIDS[@]}"; do stop_pid "$p"; done
  CLUSTER_PIDS=()
}

warm_node() { # url: a fresh JVM gets every load for CLUSTER_WARMUP s (JIT, pools, caches) before any measurement
  local l
  for l in point-miss keyset point-hit; do
    # shellcheck disable=SC2046
    env BENCH_LUA_DIR="$LUA_DIR" $(lua_env "$l") timeout $((CLUSTER_WARMUP + 20)) \
      wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${CLUSTER_WARMUP}s" --timeout 5s -s "$LUA_DIR/$(lua_of "$l")" "$1" \
      >>"$TMP/cluster-warmup.txt" 2>&1 || true
  done
}

lua_env() { # load -> the wrk environment of that load (as in the reads and cache scenarios)
  case "$1" in
    point-miss|keyset) echo "BENCH_SPAN=$SPAN BENCH_LEADS=$LEADS BENCH_NO_CACHE=1" ;;
    point-hit) echo "BENCH_SPAN=$HOT_SET" ;;
  esac
}

lua_of() { case "$1" in keyset) echo keyset.lua ;; *) echo point.lua ;; esac; }

# The 95/5 read/PATCH mix split over both clustered nodes: stale reads after the writer's reply on
# node 1 (the staleness checker, goal 0) and the window in which the other node can still serve an
# old value (the delivery of the cache bump broadcast, from both nodes' /metrics).
cluster_mix() { # url1 url2
  local u1="$1" u2="$2" ids k st d judged
  local op="95/5 read/PATCH mix on 2 clustered nodes ($HOT_SET hot ids): cross-node stale window"
  ids=""; for k in $(seq 0 $((CHECK_IDS - 1))); do ids="${ids:+$ids,}$((4 * k + 1))"; done
  TITLES_DIRTY=1
  say "cluster / $op"
  timeout $((CACHE_MIX_DURATION + 90)) python3 "$LIB" staleness "$u1" "$ids" "$CACHE_MIX_DURATION" 100000 \
    >"$TMP/cluster-mix.staleness.json" 2>"$TMP/cluster-mix.staleness.err" &
  local checker=$!
  wrk_pair cluster-two-mix cachemix.lua "$u1" "$u2" BENCH_SPAN="$HOT_SET" BENCH_CHECK_IDS="$CHECK_IDS" BENCH_WRITE_PCT=5
  wait "$checker" || warn "the staleness checker failed: $(tail -2 "$TMP/cluster-mix.staleness.err")"
  d="$(py delivery "$u1" "$u2" 2>/dev/null || echo '{}')"
  st="$(cat "$TMP/cluster-mix.staleness.json" 2>/dev/null)"; [ -n "$st" ] || st='{}'
  local saved_base="$BASE"; BASE="$u1"; restore_titles; BASE="$saved_base"
  judged="$(wrk_note "$WRK_JSON")"
  local note
  note="$(python3 -c 'import json,sys
d=json.loads(sys.argv[1]); s=json.loads(sys.argv[2])
out=["broadcast delivery (the other node'"'"'s stale window) p50 %s ms, p95 %s ms, p99 %s ms over %s deliveries" % (d.get("p50_ms"), d.get("p95_ms"), d.get("p99_ms"), d.get("deliveries"))]
if "checks" in s: out.append("writer'"'"'s node: %d stale of %d reads after a PATCH reply (goal 0)" % (s["stale"], s["checks"]))
print("; ".join(out))' "$d" "$st")"
  row scenario=cluster operation="$op" status="${judged%%|*}" gateway="$WRK_JSON" gateway_tool="wrk ×2 (one per node)" \
      gateway_command="$WRK_CMD" note="$note" extra="{\"delivery\": $d, \"staleness\": $st}"
}

cluster_members() { # log -> the size of the last Hazelcast member list the node printed
  grep -o 'Members {size:[0-9]*' "$1" 2>/dev/null | tail -n 1 | grep -o '[0-9]*$' || echo 0
}

# wrk_pair NAME SCRIPT URL1 URL2 [VAR=value ...] -> WRK_JSON (sum of both: req/s, requests, errors;
# worst p50/p95/p99/max) and WRK_CMD. Half the threads and connections each, started together.
wrk_pair() {
  local name="$1" script="$2" u1="$3" u2="$4"; shift 4
  local conns=$((WRK_CONNECTIONS / 2)) threads=$((WRK_THREADS / 2)) pa pb
  [ "$conns" -ge 1 ] || conns=1
  [ "$threads" -ge 1 ] || threads=1
  [ "$threads" -le "$conns" ] || threads="$conns"
  wrk_one() { # seconds seed url out: one wrk of the pair, in the background, with the env the caller passed
    env BENCH_LUA_DIR="$LUA_DIR" BENCH_SEED="$2" "${envs[@]}" timeout $(($1 + 30)) \
      wrk -t"$threads" -c"$conns" -d"$1s" --timeout 5s -s "$LUA_DIR/$script" "$3" >"$4" 2>&1 &
  }
  local envs=("$@")
  if [ "$WARMUP" -gt 0 ]; then
    wrk_one "$WARMUP" 1 "$u1" "$TMP/$name.a.warmup.txt"; pa=$!
    wrk_one "$WARMUP" 2 "$u2" "$TMP/$name.b.warmup.txt"; pb=$!
    wait "$pa" || true; wait "$pb" || true
  fi
  wrk_one "$DURATION" 1 "$u1" "$TMP/$name.a.wrk.txt"; pa=$!
  wrk_one "$DURATION" 2 "$u2" "$TMP/$name.b.wrk.txt"; pb=$!
  wait "$pa" || warn "wrk (node 1) failed for $name: $(tail -2 "$TMP/$name.a.wrk.txt")"
  wait "$pb" || warn "wrk (node 2) failed for $name: $(tail -2 "$TMP/$name.b.wrk.txt")"
  WRK_CMD="$* wrk -t$threads -c$conns -d${DURATION}s --timeout 5s -s load-tests/bench/wrk/$script $u1 & (same, BENCH_SEED=2) $u2, started together"
  WRK_JSON="$(py wrksum "$TMP/$name.a.wrk.txt" "$TMP/$name.b.wrk.txt" || echo '{}')"
}

scenario_cluster() {
  local p1 p2 cname hz_members members judged status note g b a loads l
  read -r p1 p2 <<<"$CLUSTER_PORTS"
  local hz_last=$((CLUSTER_HZ_PORT + 4)) p
  hz_members="127.0.0.1:$CLUSTER_HZ_PORT-$hz_last"
  for p in "$p1" "$p2" $(seq "$CLUSTER_HZ_PORT" "$hz_last"); do
    port_free "$p" || die "port $p is busy: the cluster scenario needs $p1, $p2 and $CLUSTER_HZ_PORT-$hz_last (BENCH_CLUSTER_PORTS, BENCH_CLUSTER_HZ_PORT)"
  done
  if [ "$GW_STARTED" -eq 1 ] && [ -n "$GW_PID" ]; then
    # It only checked the demo data here: free its share of the 2 cores, the scenario starts its own nodes.
    say "cluster: stopping the gateway this run started for the data check (pid $GW_PID); the scenario starts its own nodes"
    stop_pid "$GW_PID"; GW_STARTED=0; GW_ORIGIN="$GW_ORIGIN, stopped before the cluster runs"
  elif [ -n "$GW_PID" ]; then
    warn "the gateway already running on :$PORT (pid $GW_PID) stays up during the cluster runs (idle, but it shares the machine)"
  fi
  cname="sluice-bench-$STAMP-$$"
  loads=(point-miss keyset point-hit)
  declare -A OPS=([point-miss]="point read, cache miss (no-cache)" [keyset]="keyset page, 20 rows, cursor walk"
                  [point-hit]="point read, cache hit ($HOT_SET hot ids)")
  declare -A J C
  local saved_base="$BASE"
  # (a) one plain node: the baseline
  NODE_ENV=(SLUICE_DEMO_LOAD=false)
  start_node plain "$p1"
  warm_node "http://127.0.0.1:$p1"
  BASE="http://127.0.0.1:$p1"
  for l in "${loads[@]}"; do
    say "cluster / ${OPS[$l]}: 1 plain node (:$p1)"
    # shellcheck disable=SC2046
    wrk_run "cluster-plain-$l" "$(lua_of "$l")" "$WRK_CONNECTIONS" "$DURATION" $(lua_env "$l"); J[a,$l]="$WRK_JSON"; C[a,$l]="$WRK_CMD"
  done
  stop_nodes
  # (b) one clustered node
  NODE_ENV=(SLUICE_DEMO_LOAD=false SLUICE_CLUSTER_NAME="$cname" SLUICE_CLUSTER_PORT="$CLUSTER_HZ_PORT"
            SLUICE_CLUSTER_MEMBERS="$hz_members")
  start_node node1 "$p1" --cluster
  warm_node "http://127.0.0.1:$p1"
  for l in "${loads[@]}"; do
    say "cluster / ${OPS[$l]}: 1 clustered node (:$p1)"
    # shellcheck disable=SC2046
    wrk_run "cluster-one-$l" "$(lua_of "$l")" "$WRK_CONNECTIONS" "$DURATION" $(lua_env "$l"); J[b,$l]="$WRK_JSON"; C[b,$l]="$WRK_CMD"
  done
  # (c) a second clustered node joins; the load is split across both
  start_node node2 "$p2" --cluster
  local waited=0
  until [ "$(cluster_members "$TMP/node2.log")" -ge 2 ] || [ "$waited" -ge 30 ]; do sleep 1; waited=$((waited + 1)); done
  members="$(cluster_members "$TMP/node2.log")"
  [ "$members" -ge 2 ] || warn "node 2 does not list 2 cluster members (Hazelcast log: $TMP/node2.log)"
  say "cluster: $members Hazelcast members (cluster $cname, $hz_members)"
  warm_node "http://127.0.0.1:$p2"   # node 1 is warm from (b)
  for l in "${loads[@]}"; do
    say "cluster / ${OPS[$l]}: 2 clustered nodes (:$p1 + :$p2)"
    # shellcheck disable=SC2046
    wrk_pair "cluster-two-$l" "$(lua_of "$l")" "http://127.0.0.1:$p1" "http://127.0.0.1:$p2" $(lua_env "$l")
    J[c,$l]="$WRK_JSON"; C[c,$l]="$WRK_CMD"
  done
  cluster_mix "http://127.0.0.1:$p1" "http://127.0.0.1:$p2"
  stop_nodes
  BASE="$saved_base"
  for l in "${loads[@]}"; do
    a="${J[a,$l]}"; b="${J[b,$l]}"; g="${J[c,$l]}"
    judged="$(wrk_note "$b")"; status="${judged%%|*}"; note="${judged#*|}"
    row scenario=cluster operation="${OPS[$l]}: 1 clustered node vs 1 plain node" status="$status" \
        gateway="$b" gateway_command="SLUICE_CLUSTER_NAME=$cname SLUICE_CLUSTER_PORT=$CLUSTER_HZ_PORT SLUICE_CLUSTER_MEMBERS=$hz_members java -jar ${JAR#$ROOT/} --cluster (:$p1); ${C[b,$l]}" \
        baseline="$a" baseline_tool="wrk, 1 plain node" baseline_command="java -jar ${JAR#$ROOT/} (:$p1, not clustered); ${C[a,$l]}" \
        note="ratio = clustered / plain req/s (the cost of the clustered event bus)${note:+; $note}"
    judged="$(wrk_note "$g")"; status="${judged%%|*}"; note="${judged#*|}"
    local vs_plain
    vs_plain="$(python3 -c 'import json,sys
g=json.loads(sys.argv[1]); a=json.loads(sys.argv[2])
print("%.2f x the plain node" % (g["throughput"]/a["throughput"]) if g.get("throughput") and a.get("throughput") else "")' "$g" "$a")"
    row scenario=cluster operation="${OPS[$l]}: 2 clustered nodes vs 1 clustered node" status="$status" \
        gateway="$g" gateway_tool="wrk ×2 (one per node)" gateway_command="node 2: the same on :$p2; $members Hazelcast members; ${C[c,$l]}" \
        baseline="$b" baseline_tool="wrk, 1 clustered node" baseline_command="${C[b,$l]}" \
        note="ratio = 2 nodes / 1 node req/s; ${vs_plain}; 2 nodes: summed req/s of both wrk runs, worst of their percentiles; both nodes share the 2 cores, PostgreSQL and Redis${note:+; $note}"
  done
}

# ------------------------------------------------------------------------------------- machine
extra_settings() {
  case "$SCENARIO" in
    changes) echo ", change feed: rates $CHANGES_RATES writes/s tried in turn, ${CHANGES_DURATION}s each (+${CHANGES_WARMUP}s warm-up), $CHANGES_IDS leads from $CHANGES_FIRST_ID" ;;
    cluster) echo ", cluster: nodes on :${CLUSTER_PORTS// / and :}, Hazelcast from $CLUSTER_HZ_PORT, ${CLUSTER_WARMUP}s per load to warm each fresh node, 2 nodes: 2 wrk -t$(( WRK_THREADS / 2 > 0 ? WRK_THREADS / 2 : 1 )) -c$((WRK_CONNECTIONS / 2))" ;;
  esac
}

machine_info() {
  local commit dirty jar_time java_v pg_v vec_v redis_v wrk_v
  commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  dirty="$(git -C "$ROOT" status --porcelain -- src pom.xml conf 2>/dev/null | head -c 1)"
  if [ -n "${BENCH_GATEWAY_LABEL:-}" ]; then
    commit="$commit; gateway: $BENCH_GATEWAY_LABEL"
  elif [ "$GW_DIR" != "$ROOT" ]; then
    commit="$commit (gateway jar from $GW_DIR)"
  elif [ -n "$dirty" ]; then
    commit="$commit (+ uncommitted changes in src/pom/conf)"
  fi
  jar_time="$(date -u -r "$JAR" +%FT%TZ 2>/dev/null || echo '?')"
  java_v="$(java -version 2>&1 | head -n 1)"
  pg_v="$(sql "SELECT 'PostgreSQL ' || current_setting('server_version')")"
  vec_v="$(sql "SELECT extversion FROM pg_extension WHERE extname = 'vector'")"
  redis_v="$(redis_cli info server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p')"
  wrk_v="$( (wrk --version 2>&1 || true) | head -n 1 | awk '{print $2}')"
  py kv "$TMP/machine.json" \
    nproc="$(nproc)" memory_total="$(free -h | awk '/^Mem:/ {print $2}')" \
    os="$(. /etc/os-release && echo "$PRETTY_NAME")" kernel="$(uname -r)" \
    java="$java_v" postgresql="$pg_v" pgvector="$vec_v" redis="$redis_v" wrk="$wrk_v" \
    git_commit="$commit" jar_built_utc="$jar_time" gateway_process="$GW_ORIGIN" \
    started_utc="$(date -u -d "@$T0" +%FT%TZ)" finished_utc="$(date -u +%FT%TZ)" \
    load_average_start="$LOAD_START" load_average_end="$(cut -d' ' -f1-3 /proc/loadavg)" \
    elapsed_s="$(( $(date +%s) - T0 ))" demo_load_s="$DATA_LOAD_SECONDS" \
    settings="duration ${DURATION}s (+${WARMUP}s warm-up), wrk -t$WRK_THREADS -c$WRK_CONNECTIONS, bulk -c$BULK_CONNECTIONS, pgbench -c$PGBENCH_CLIENTS -j2, ef_search ${EF_SEARCH:-the gateway default}, mixed ${MIXED_DURATION}s$(extra_settings)"
}

# ------------------------------------------------------------------------------------- main
say "scenario: $SCENARIO (working files: ${TMP#$ROOT/})"
ensure_data_and_gateway
: >"$ROWS"
case "$SCENARIO" in
  reads) scenario_reads ;;
  cache) scenario_cache ;;
  vector) scenario_vector ;;
  writes) scenario_writes ;;
  mixed) scenario_mixed ;;
  changes) scenario_changes ;;
  cluster) scenario_cluster ;;
  all) scenario_reads; scenario_cache; scenario_vector; scenario_writes; scenario_mixed ;;
esac
machine_info
OUT="$RESULTS/$DAY-$SCENARIO"
echo
py report "$ROWS" "$TMP/machine.json" "$OUT" "$SCENARIO"
echo
say "wrote ${OUT#$ROOT/}.json and ${OUT#$ROOT/}.md in $(( $(date +%s) - T0 ))s"
