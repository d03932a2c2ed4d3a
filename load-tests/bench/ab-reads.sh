#!/usr/bin/env bash
# A/B of two running gateways (e.g. two commits' jars, both warm) with the calibration server and pgbench, in
# alternated rounds so that the machine's drift hits both alike. Prints one line per run.
#   load-tests/bench/ab-reads.sh PORT_A PORT_B [CALIBRATION_PORT] [ROUNDS] [SECONDS]
# Start the gateways first, e.g. SLUICE_HTTP_PORT=18601 SLUICE_DEMO_LOAD=false java -jar a.jar, and the calibration
# server with java -Dcoalesce=true -Dpg.port=55432 -Dpg.db=sluice -jar point-read-server.jar (:18090). pgbench -S
# runs on a database named pgbench of the same server when it exists (pgbench -i -s 10 .../pgbench).
# Every run is bounded (wrk -d, pgbench -T) and goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
A="$1"; B="$2"; CAL="${3:-}"; R="${4:-2}"; D="${5:-8}"
PG="${BENCH_PG_URL:-postgresql://postgres@127.0.0.1:55432}"
run() { # label lua span nocache port
  local j
  j=$(BENCH_LUA_DIR=load-tests/bench/wrk BENCH_SPAN="$3" BENCH_NO_CACHE="$4" timeout $((D + 20)) \
    wrk -t2 -c32 -d"${D}s" --timeout 5s -s "load-tests/bench/wrk/$2.lua" "http://127.0.0.1:$5" 2>/dev/null | sed -n 's/^BENCH_JSON //p')
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%-10s %-7s %9.0f req/s  p50 %.2f p95 %.2f p99 %.2f ms  non-2xx %d" % (sys.argv[2], sys.argv[3], d["throughput"], d["p50_ms"], d["p95_ms"], d["p99_ms"], d["non_2xx"]))' \
    "$j" "$2/$([ "$4" = 1 ] && echo nc || echo c)" "$1"
}
pgb() { # label db args...
  local label="$1" db="$2"; shift 2
  printf '%-10s %-7s %9.0f tps\n' "$label" pgbench \
    "$(pgbench -n -M prepared -c 8 -j 2 -T "$D" "$@" "$PG/$db" 2>&1 | awk '/^tps/{print $3}')"
}
for r in $(seq 1 "$R"); do
  echo "# round $r $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  for w in "point 250000 1" "point 1000 0" "page1 1 1" "page1 1 0" "keyset 250000 1"; do
    set -- $w
    run A "$1" "$2" "$3" "$A"
    run B "$1" "$2" "$3" "$B"
    if [ -n "$CAL" ] && [ "$1 $3" = "point 1" ]; then run calib "$1" "$2" "$3" "$CAL"; fi
  done
  pgb point.sql sluice -f load-tests/bench/sql/point.sql
  if psql -qAt "$PG/pgbench" -c 'SELECT 1 FROM pgbench_accounts LIMIT 1' >/dev/null 2>&1; then pgb select-S pgbench -S; fi
  pgb page1.sql sluice -f load-tests/bench/sql/page1.sql
  pgb keyset.sql sluice -f load-tests/bench/sql/keyset.sql
done
