#!/usr/bin/env python3
"""Helpers of load-tests/bench.sh: test data, tool output parsing, recall, and the report.

Standard library only (Debian's python3). Every network call goes to 127.0.0.1.

  benchlib.py vectors DATASET OUTDIR [EF]          search bodies for wrk + one pgbench script per dev query (first 100)
  benchlib.py rows N TAG CUSTOMERS OUTDIR          the same N new leads as JSON array, NDJSON, CSV and SQL VALUES
  benchlib.py wrk FILE                             the JSON line of a wrk run (printed by the Lua done())
  benchlib.py wrksum FILE...                       wrk runs side by side: summed req/s, worst percentiles
  benchlib.py pgbench FILE LOG_PREFIX              tps and latency percentiles of a pgbench run
  benchlib.py redis FILE                           throughput and percentiles of redis-benchmark --csv
  benchlib.py heap FILE                            heap used after GC (KB) from jcmd GC.heap_info
  benchlib.py recall BASE_URL DATASET [EF]         recall@10 of the gateway's search on the dev queries
  benchlib.py cachemetrics BASE_URL                sluice_cache_hits_total / misses_total from /metrics, summed
  benchlib.py cachedelta BEFORE AFTER WRK_FILE     hit rate of a run: metrics delta + wrk's X-Cache counts
  benchlib.py staleness BASE_URL IDS SECONDS MAX   PATCH then GET (point and page) per id: stale reads after a write
  benchlib.py restore BASE_URL SPAN                put the demo titles back on the first SPAN tenant-1 leads (PATCH)
  benchlib.py row ROWS_FILE key=value ...          append one result row (values: JSON or text)
  benchlib.py kv OUT_FILE key=value ...            write a flat JSON object (the machine)
  benchlib.py report ROWS_FILE MACHINE_FILE OUT_PREFIX SCENARIO   write OUT_PREFIX.json and .md
"""
import glob
import json
import math
import os
import re
import http.client
import struct
import sys
import threading
import time
import uuid
import urllib.error
import urllib.request


def die(msg):
    print("benchlib: " + msg, file=sys.stderr)
    sys.exit(1)


# --------------------------------------------------------------------------- data

def read_fvecs(path):
    with open(path, "rb") as f:
        data = f.read()
    dim = struct.unpack_from("<i", data, 0)[0]
    row = 4 + 4 * dim
    out = []
    for off in range(0, len(data), row):
        if struct.unpack_from("<i", data, off)[0] != dim:
            die(path + ": a row with another dimension")
        out.append(struct.unpack_from("<%df" % dim, data, off + 4))
    return out


def read_ivecs(path):
    with open(path, "rb") as f:
        data = f.read()
    out, off = [], 0
    while off < len(data):
        k = struct.unpack_from("<i", data, off)[0]
        out.append(struct.unpack_from("<%di" % k, data, off + 4))
        off += 4 + 4 * k
    return out


def vec_text(v):
    # repr of a float32 widened to double would carry noise digits; 9 significant digits round-trip float32.
    return "[" + ",".join("%.9g" % x for x in v) + "]"


def search_body(v, ef, index=""):
    body = '{"vector":%s,"k":10,"select":"id,package"' % vec_text(v)
    if ef:
        body += ',"efSearch":%d' % int(ef)
    if index:
        body += ',"index":"%s"' % index
    return body + "}"


# The gateway's own statement for {"k": 10, "select": "id,package"} through each ANN index of
# documents.embedding, as SearchSql writes it and PostgreSQL logs it (log_statement), with the bound
# values written in: the column itself; its halfvec expression (the k found re-sorted by the full
# vectors); its binary quantisation (k x rerank candidates by Hamming distance, re-ranked by the full
# vectors). The query vector goes in as float4[] cast to vector, as the gateway binds it; each row's
# JSON is built by PostgreSQL, as for the gateway. So the baseline does exactly the database's share
# of a search (until 2026-12-02 it was a plainer statement, with 40 binary candidates where the
# gateway asks for 400).
_ROWS = ("SELECT json_build_object('id', t.id, 'package', t.package, 'distance', t.\"sluice.distance\")::text "
         "FROM ({inner}) t ORDER BY t.\"sluice.distance\" + 0;\n")
_RERANKED = ("SELECT t.*, t.embedding <=> {q}::vector AS \"sluice.distance\" FROM (SELECT t.*, {approx} "
             "AS \"sluice.approx\" FROM documents t WHERE TRUE ORDER BY \"sluice.approx\" LIMIT {cand}) t "
             "ORDER BY \"sluice.distance\" LIMIT 10")
ANN_SQL = {
    "vector": _ROWS.format(inner="SELECT t.*, t.embedding <=> {q}::vector AS \"sluice.distance\" FROM documents t "
                                 "WHERE TRUE ORDER BY \"sluice.distance\" LIMIT 10"),
    "halfvec": _ROWS.format(inner=_RERANKED.format(q="{q}", cand="{cand}",
                                                   approx="t.embedding::halfvec(384) <=> {q}::vector::halfvec(384)")),
    "binary": _ROWS.format(inner=_RERANKED.format(q="{q}", cand="{cand}",
                                                  approx="binary_quantize(t.embedding)::bit(384) <~> binary_quantize({q}::vector)")),
}


PGBENCH_QUERIES = 100


def cmd_vectors(dataset, outdir, ef="", index="", rerank="40"):
    queries = read_fvecs(os.path.join(dataset, "dev-queries.fvecs"))
    os.makedirs(os.path.join(outdir, "ann"), exist_ok=True)
    with open(os.path.join(outdir, "search-bodies.txt"), "w") as f:
        for q in queries:
            f.write(search_body(q, ef, index) + "\n")
    # pgbench takes at most 128 scripts: the first PGBENCH_QUERIES dev queries, for both sides.
    with open(os.path.join(outdir, "search-bodies-%d.txt" % PGBENCH_QUERIES), "w") as f:
        for q in queries[:PGBENCH_QUERIES]:
            f.write(search_body(q, ef, index) + "\n")
    kind = index or "vector"
    # the gateway's candidates: k for vector and halfvec, k x rerank for binary (SearchRequest.candidates)
    cand = 10 * int(rerank) if kind == "binary" else 10
    for i, q in enumerate(queries[:PGBENCH_QUERIES]):
        lit = "'{%s}'::float4[]" % vec_text(q)[1:-1]
        with open(os.path.join(outdir, "ann", "q%03d.sql" % i), "w") as f:
            # The same top-10 the search endpoint answers: nearest first by cosine distance.
            f.write(ANN_SQL[kind].format(q=lit, cand=cand))
    print(min(len(queries), PGBENCH_QUERIES))


STATUSES = ["new", "contacted", "qualified", "won", "lost"]


def cmd_rows(n, tag, customers, outdir):
    n, customers = int(n), max(4, int(customers))
    os.makedirs(outdir, exist_ok=True)
    rows = []
    for i in range(n):
        # tenant 1's customers are 1, 5, 9, ... (customer c belongs to organization 1 + (c-1) % 4)
        c = 4 * ((i * 7919) % (customers // 4)) + 1
        rows.append((c, "bench-%s #%d" % (tag, i), STATUSES[i % 5], 1 + i % 5))
    with open(os.path.join(outdir, "rows.json"), "w") as f:
        f.write("[" + ",".join(json.dumps({"customer_id": c, "title": t, "status": s, "priority": p},
                                          separators=(",", ":")) for c, t, s, p in rows) + "]")
    with open(os.path.join(outdir, "rows.ndjson"), "w") as f:
        for c, t, s, p in rows:
            f.write(json.dumps({"customer_id": c, "title": t, "status": s, "priority": p}, separators=(",", ":")) + "\n")
    with open(os.path.join(outdir, "rows.csv"), "w") as f:
        for c, t, s, p in rows:
            f.write('1,%d,"%s",%s,%d\n' % (c, t, s, p))
    with open(os.path.join(outdir, "rows.sql"), "w") as f:
        f.write("INSERT INTO leads_copy (org_id, customer_id, title, status, priority) VALUES "
                + ", ".join("(1, %d, '%s', '%s', %d)" % (c, t, s, p) for c, t, s, p in rows) + ";\n")


# --------------------------------------------------------------------------- tool output

def cmd_wrk(path):
    text = open(path, errors="replace").read()
    m = re.search(r"^BENCH_JSON (\{.*\})\s*$", text, re.M)
    if not m:
        die("no BENCH_JSON line in " + path)
    print(m.group(1))


def cmd_wrksum(*paths):
    """Several wrk runs side by side (one per node): summed requests, req/s and errors; the worst
    of their percentiles (wrk prints percentiles, not its histogram, so they cannot be merged)."""
    parts = []
    for path in paths:
        text = open(path, errors="replace").read()
        m = re.search(r"^BENCH_JSON (\{.*\})\s*$", text, re.M)
        if not m:
            die("no BENCH_JSON line in " + path)
        parts.append(json.loads(m.group(1)))
    out = {"tool": "wrk x%d" % len(parts), "unit": "req/s"}
    for k in ("requests", "throughput", "non_2xx", "socket_errors", "timeouts"):
        out[k] = round(sum(p.get(k) or 0 for p in parts), 1)
    for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
        out[k] = max(p.get(k) or 0 for p in parts)
    out["duration_s"] = max(p.get("duration_s") or 0 for p in parts)
    out["per_node"] = parts
    print(json.dumps(out))


def percentile(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(math.ceil(p / 100.0 * len(sorted_vals))) - 1))
    return sorted_vals[k]


def cmd_pgbench(path, log_prefix):
    text = open(path, errors="replace").read()
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", text) or re.search(r"tps = ([0-9.]+)", text)
    if not m:
        die("no tps in " + path + ":\n" + text[-800:])
    tx = re.search(r"number of transactions actually processed: (\d+)", text)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    lat = []
    for f in glob.glob(log_prefix + "*"):
        with open(f) as fh:
            for line in fh:
                parts = line.split()
                # client_id transaction_no time_us script_no epoch epoch_us  (time in microseconds)
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]) / 1000.0)
    lat.sort()
    out = {"throughput": round(float(m.group(1)), 1), "unit": "tps",
           "transactions": int(tx.group(1)) if tx else None,
           "errors": int(failed.group(1)) if failed else 0,
           "latency_sample": len(lat)}
    for p in (50, 95, 99):
        v = percentile(lat, p)
        out["p%d_ms" % p] = None if v is None else round(v, 3)
    print(json.dumps(out))


def cmd_redis(path):
    rows = [l for l in open(path).read().splitlines() if l.startswith('"')]
    if len(rows) < 2:
        die("no CSV rows in " + path)
    head = [h.strip('"') for h in rows[0].split(",")]
    vals = [v.strip('"') for v in rows[1].split(",")]
    d = dict(zip(head, vals))
    out = {"throughput": round(float(d["rps"]), 1), "unit": "req/s"}
    for p in (50, 95, 99):
        key = "p%d_latency_ms" % p
        out["p%d_ms" % p] = float(d[key]) if key in d else None
    print(json.dumps(out))


def cmd_heap(path):
    text = open(path, errors="replace").read()
    # G1: " garbage-first heap   total 262144K, used 23412K [...]"; Parallel/Serial print per-generation lines.
    m = re.search(r"heap\s+total (\d+)K, used (\d+)K", text)
    if m:
        print(json.dumps({"heap_total_kb": int(m.group(1)), "heap_used_kb": int(m.group(2))}))
        return
    used = [int(x) for x in re.findall(r"total \d+K, used (\d+)K", text)]
    total = [int(x) for x in re.findall(r"total (\d+)K, used \d+K", text)]
    if not used:
        die("no heap figures in " + path)
    print(json.dumps({"heap_total_kb": sum(total), "heap_used_kb": sum(used)}))


# --------------------------------------------------------------------------- recall

def cmd_recall(base, dataset, ef="", index=""):
    if not re.match(r"^http://127\.0\.0\.1:\d+$", base):
        die("recall only talks to http://127.0.0.1:PORT")
    queries = read_fvecs(os.path.join(dataset, "dev-queries.fvecs"))
    truth = read_ivecs(os.path.join(dataset, "dev-groundtruth.ivecs"))
    hits, asked, errors, lat = 0, 0, 0, []
    deadline = time.time() + 60  # bounded: 200 sequential requests, one minute at most
    for q, t in zip(queries, truth):
        if time.time() > deadline:
            break
        req = urllib.request.Request(base + "/v1/documents/search", data=search_body(q, ef, index).encode(),
                                     headers={"Authorization": "Bearer demo-reader",
                                              "Content-Type": "application/json"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                ids = [int(x["id"]) for x in json.load(r)["data"]]
        except (urllib.error.URLError, ValueError, KeyError, TypeError):
            errors += 1
            continue
        lat.append((time.perf_counter() - start) * 1000)
        asked += 1
        hits += len(set(ids[:10]) & set(t[:10]))
    out = {"queries": asked, "errors": errors,
           "recall_at_10": round(hits / (10.0 * asked), 4) if asked else None, "ef_search": int(ef) if ef else "default"}
    print(json.dumps(out))


# --------------------------------------------------------------------------- cache: hit rate, staleness

def local_base(base):
    m = re.match(r"^http://127\.0\.0\.1:(\d+)$", base)
    if not m:
        die("only http://127.0.0.1:PORT is allowed (got %s)" % base)
    return int(m.group(1))


def cmd_cachemetrics(base):
    """sluice_cache_hits_total and sluice_cache_misses_total from /metrics, summed over their labels,
    with hits split by layer and both split by kind (entity, page, count)."""
    local_base(base)
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode("utf-8", "replace")
    out = {"hits": 0.0, "misses": 0.0, "hits_by_layer": {}, "by_kind": {}, "errors_by_layer": {}}
    for line in text.splitlines():
        e = re.match(r'^sluice_cache_errors_total\{[^}]*layer="([^"]*)"[^}]*\}\s+([0-9.eE+-]+)', line)
        if e:
            out["errors_by_layer"][e.group(1)] = out["errors_by_layer"].get(e.group(1), 0.0) + float(e.group(2))
            continue
        m = re.match(r"^sluice_cache_(hits|misses)_total(\{[^}]*\})?\s+([0-9.eE+-]+)", line)
        if not m:
            continue
        what, labels, v = m.group(1), dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")), float(m.group(3))
        out[what] += v
        if what == "hits":
            layer = labels.get("layer", "?")
            out["hits_by_layer"][layer] = out["hits_by_layer"].get(layer, 0.0) + v
        kind = labels.get("kind", "?")
        k = out["by_kind"].setdefault(kind, {"hits": 0.0, "misses": 0.0})
        k[what] += v
    print(json.dumps(out))


def cmd_delivery(*bases):
    """The cross-node stale window: sluice_cache_invalidation_delivery_seconds (a write's cache bump on one
    node to its arrival on another) from each node's /metrics, buckets summed over the nodes; p50/p99 in ms
    (the upper bound of the bucket holding the quantile, as Prometheus' histogram_quantile would bound it)."""
    buckets, count = {}, 0.0
    for base in bases:
        local_base(base)
        with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
            text = r.read().decode("utf-8", "replace")
        for line in text.splitlines():
            m = re.match(r'^sluice_cache_invalidation_delivery_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\}\s+([0-9.eE+-]+)', line)
            if m:
                le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
                buckets[le] = buckets.get(le, 0.0) + float(m.group(2))
            c = re.match(r'^sluice_cache_invalidation_delivery_seconds_count(\{[^}]*\})?\s+([0-9.eE+-]+)', line)
            if c:
                count += float(c.group(2))
    out = {"tool": "/metrics sluice_cache_invalidation_delivery_seconds", "deliveries": int(count)}
    if count > 0:
        ordered = sorted(buckets.items())
        for q in (50, 95, 99):
            need = count * q / 100.0
            le = next((le for le, n in ordered if n >= need), float("inf"))
            out["p%d_ms" % q] = None if le == float("inf") else round(le * 1000, 3)
    print(json.dumps(out))


def rate(h, m):
    return round(h / (h + m), 4) if h + m > 0 else None


def cmd_cachedelta(before_file, after_file, wrk_file):
    """The run's hit rate, twice: from the gateway's counters (delta of /metrics; counts every cached
    read the gateway served in the window, the checker's too) and from the X-Cache headers wrk saw."""
    out = {}
    try:
        a, b = json.load(open(before_file)), json.load(open(after_file))
        h, m = b["hits"] - a["hits"], b["misses"] - a["misses"]
        out["metrics"] = {"tool": "gateway /metrics (sluice_cache_hits_total, sluice_cache_misses_total)",
                          "hits": int(h), "misses": int(m), "hit_rate": rate(h, m),
                          "hits_by_layer": {k: int(v - a["hits_by_layer"].get(k, 0)) for k, v in b["hits_by_layer"].items()},
                          "by_kind": {},
                          "errors_by_layer": {k: int(v - a.get("errors_by_layer", {}).get(k, 0))
                                              for k, v in b.get("errors_by_layer", {}).items()}}
        for kind, v in b["by_kind"].items():
            o = a["by_kind"].get(kind, {"hits": 0, "misses": 0})
            kh, km = v["hits"] - o["hits"], v["misses"] - o["misses"]
            if kh or km:
                out["metrics"]["by_kind"][kind] = {"hits": int(kh), "misses": int(km), "hit_rate": rate(kh, km)}
    except (OSError, ValueError, KeyError) as e:
        out["metrics"] = {"error": str(e)}
    text = open(wrk_file, errors="replace").read()
    mm = re.search(r"^BENCH_CACHE (\{.*\})\s*$", text, re.M)
    if mm:
        w = json.loads(mm.group(1))
        w["tool"] = "wrk cachemix.lua response() counting X-Cache"
        w["hit_rate"] = rate(w["xcache_hit"], w["xcache_miss"])
        out["xcache"] = w
    print(json.dumps(out))


class Client:
    """One keep-alive HTTP/1.1 connection to the gateway (127.0.0.1 only), reopened after an error."""

    def __init__(self, port):
        self.port, self.conn = port, None

    def call(self, method, path, key, body=None):
        headers = {"Authorization": "Bearer " + key, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, (r.getheader("X-Cache") or ""), data
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    return 0, "", b""


def title_of(data):
    try:
        d = json.loads(data)
    except ValueError:
        return None
    if isinstance(d, dict) and "data" in d:
        d = d["data"]
    if isinstance(d, list):
        d = d[0] if d else {}
    return d.get("title") if isinstance(d, dict) else None


def cmd_staleness(base, ids, seconds, max_rounds):
    """Per id, one thread, rounds of: GET point + GET page (the old value is now cached), PATCH the title
    to a fresh "chk-<uuid>" and wait for its 200, then at once GET point and GET page again: each must
    show the new title. A read after the write's reply showing any other title is stale. No other
    writer touches these ids (cachemix.lua skips them), so there is no other title it could rightly
    show. Bounded by SECONDS and MAX rounds per id."""
    port = local_base(base)
    ids = [int(x) for x in ids.split(",") if x]
    deadline = time.time() + float(seconds)
    max_rounds = int(max_rounds)
    lock = threading.Lock()
    tot = {"rounds": 0, "point_checks": 0, "point_stale": 0, "page_checks": 0, "page_stale": 0,
           "pre_read_hits": 0, "pre_reads": 0, "pre_point_hits": 0, "pre_page_hits": 0,
           "post_read_hits": 0, "post_reads": 0,
           "errors": 0, "stale_examples": []}

    def worker(i):
        c = Client(port)
        point, page = "/v1/leads/%d" % i, "/v1/leads?id=eq.%d&select=id,title" % i
        n = {k: 0 for k in tot if k != "stale_examples"}
        ex = []
        while n["rounds"] < max_rounds and time.time() < deadline:
            n["rounds"] += 1
            for kind, path in (("point", point), ("page", page)):
                st, xc, _ = c.call("GET", path, "demo-reader")
                if st != 200:
                    n["errors"] += 1
                    continue
                n["pre_reads"] += 1
                n["pre_read_hits"] += xc == "hit"
                n["pre_%s_hits" % kind] += xc == "hit"
            new = "chk-" + uuid.uuid4().hex
            st, _, body = c.call("PATCH", "/v1/leads?id=eq.%d" % i, "demo-writer", json.dumps({"title": new}))
            try:
                updated = json.loads(body).get("updated")
            except (ValueError, AttributeError):
                updated = None
            if st != 200 or updated != 1:
                n["errors"] += 1
                continue
            for kind, path in (("point", point), ("page", page)):
                st, xc, data = c.call("GET", path, "demo-reader")
                if st != 200:
                    n["errors"] += 1
                    continue
                n["post_reads"] += 1
                n["post_read_hits"] += xc == "hit"
                n[kind + "_checks"] += 1
                got = title_of(data)
                if got != new:
                    n[kind + "_stale"] += 1
                    if len(ex) < 5:
                        ex.append({"id": i, "path": kind, "wrote": new, "read": got, "x_cache": xc})
        with lock:
            for k, v in n.items():
                tot[k] += v
            tot["stale_examples"] += ex[: max(0, 10 - len(tot["stale_examples"]))]

    start = time.time()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(float(seconds) + 60)
    tot["ids"] = ids
    tot["seconds"] = round(time.time() - start, 2)
    tot["checks"] = tot["point_checks"] + tot["page_checks"]
    tot["stale"] = tot["point_stale"] + tot["page_stale"]
    tot["tool"] = "benchlib.py staleness (Python http.client, one keep-alive connection per id)"
    print(json.dumps(tot))


DEMO_TITLES = ["Roof repair", "Solar install", "Kitchen remodel", "Window replacement", "HVAC service",
               "Garden design", "Plumbing check", "Office fit-out"]


def cmd_restore(base, span, workers="8"):
    """Puts the demo loader's titles back on tenant 1's first SPAN leads, through the gateway (so its
    cache learns of it): (ARRAY[...])[1 + g % 8] || ' #' || g. Bounded: 120 s."""
    port = local_base(base)
    ids = [4 * k + 1 for k in range(int(span))]
    deadline = time.time() + 120
    done, failed = [0], [0]
    lock = threading.Lock()

    def worker(part):
        c = Client(port)
        for g in part:
            if time.time() > deadline:
                with lock:
                    failed[0] += 1
                continue
            st, _, _ = c.call("PATCH", "/v1/leads?id=eq.%d" % g, "demo-writer",
                              json.dumps({"title": "%s #%d" % (DEMO_TITLES[g % 8], g)}))
            with lock:
                if st == 200:
                    done[0] += 1
                else:
                    failed[0] += 1

    w = int(workers)
    threads = [threading.Thread(target=worker, args=(ids[k::w],), daemon=True) for k in range(w)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(130)
    print(json.dumps({"restored": done[0], "failed": failed[0]}))


# --------------------------------------------------------------------------- rows and report

def parse_value(v):
    if v == "":
        return None
    try:
        return json.loads(v)
    except ValueError:
        return v


def cmd_kv(out_file, *pairs):
    """A flat JSON object of key=value pairs (the machine description)."""
    d = {}
    for p in pairs:
        k, _, v = p.partition("=")
        d[k] = v
    with open(out_file, "w") as f:
        json.dump(d, f)


def cmd_row(rows_file, *pairs):
    """One result row. gateway=/baseline= take JSON objects; gateway_X=/baseline_X= set field X of
    them (tool, command). The ratio is gateway / baseline throughput when both were measured."""
    row = {}
    for p in pairs:
        k, _, v = p.partition("=")
        val = parse_value(v)
        side, _, field = k.partition("_")
        if side in ("gateway", "baseline") and field:
            row.setdefault(side, {})
            if row[side] is None:
                row[side] = {}
            row[side][field] = val
        elif k in ("gateway", "baseline") and isinstance(val, dict):
            row.setdefault(k, {})
            row[k] = dict(val, **(row[k] or {}))
        else:
            row[k] = val
    for side in ("gateway", "baseline"):
        if isinstance(row.get(side), dict) and not row[side].get("throughput") and set(row[side]) <= {"tool", "command"}:
            row[side]["throughput"] = None
    g, b = row.get("gateway") or {}, row.get("baseline") or {}
    if not isinstance(g, dict) or not isinstance(b, dict):
        die("gateway= and baseline= must be JSON objects")
    if "ratio" not in row:
        gt, bt = g.get("throughput"), b.get("throughput")
        row["ratio"] = round(gt / bt, 3) if row.get("status", "ok") == "ok" and gt and bt else None
    row.setdefault("status", "ok")
    with open(rows_file, "a") as f:
        f.write(json.dumps(row) + "\n")


def fmt_num(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, (int, float)):
        s = ("{:,.0f}".format(v) if abs(v) >= 100 else "{:,.2f}".format(v).rstrip("0").rstrip("."))
        return s + (" " + unit if unit else "")
    return str(v)


def fmt_lat(side):
    if not side or side.get("p50_ms") is None:
        return "—"
    return " / ".join(("%.2f" % side[k]) if side.get(k) is not None else "—" for k in ("p50_ms", "p95_ms", "p99_ms"))


def md_table(rows):
    lines = ["| scenario | operation | gateway (tool) | throughput | p50 / p95 / p99 ms | baseline (tool) | baseline throughput | baseline p50 / p95 / p99 ms | ratio | note |",
             "| --- | --- | --- | ---: | --- | --- | ---: | --- | ---: | --- |"]
    for r in rows:
        g = r.get("gateway") or {}
        b = r.get("baseline") or {}
        status = r.get("status", "ok")
        if status == "ok":
            thr = fmt_num(g.get("throughput"), g.get("unit", ""))
            lat = fmt_lat(g)
        elif r.get("show_figures") and g.get("throughput") is not None:
            # measured, but short of what was asked (e.g. a rate not sustained): the figures and why
            thr = "%s (%s)" % (fmt_num(g.get("throughput"), g.get("unit", "")), status)
            lat = fmt_lat(g)
        else:
            thr, lat = status, "—"
        ratio = r.get("ratio")
        note = r.get("note") or ""
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r.get("scenario", ""), r.get("operation", ""), g.get("tool", "—"), thr, lat,
            b.get("tool", "—") if b else "—", fmt_num(b.get("throughput"), b.get("unit", "")) if b else "—",
            fmt_lat(b), ("%.2f ×" % ratio) if isinstance(ratio, (int, float)) else "—", note.replace("|", "\\|")))
    return "\n".join(lines)


def cmd_report(rows_file, machine_file, out_prefix, scenario):
    rows = [json.loads(l) for l in open(rows_file) if l.strip()] if os.path.exists(rows_file) else []
    machine = json.load(open(machine_file))
    doc = {"scenario": scenario, "machine": machine, "results": rows}
    with open(out_prefix + ".json", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    m = machine
    md = ["# Sluice bench: %s — %s" % (scenario, m.get("finished_utc", "")), "",
          md_table(rows), "",
          "Machine: %s cores, %s memory, %s; %s; %s; pgvector %s; Redis %s; wrk %s; load average %s at start, %s at end. "
          "Gateway: %s, commit %s (jar built %s). Settings: %s." % (
              m.get("nproc"), m.get("memory_total"), m.get("os"), m.get("java"), m.get("postgresql"),
              m.get("pgvector"), m.get("redis"), m.get("wrk"), m.get("load_average_start"), m.get("load_average_end"),
              m.get("gateway_process"), m.get("git_commit"), m.get("jar_built_utc"), m.get("settings")),
          "",
          "Commands:", ""]
    for r in rows:
        for side in ("gateway", "baseline"):
            s = r.get(side) or {}
            if s.get("command"):
                md.append("- %s, %s (%s): `%s`" % (r.get("operation"), side, s.get("tool"), s["command"]))
    extra = [r for r in rows if r.get("extra")]
    if extra:
        md += ["", "Also measured:", ""]
        for r in extra:
            md.append("- %s: `%s`" % (r.get("operation"), json.dumps(r["extra"])))
    with open(out_prefix + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    print(md_table(rows))


COMMANDS = {"kv": cmd_kv, "wrksum": cmd_wrksum, "vectors": cmd_vectors, "rows": cmd_rows, "wrk": cmd_wrk, "pgbench": cmd_pgbench, "redis": cmd_redis,
            "heap": cmd_heap, "recall": cmd_recall, "row": cmd_row, "report": cmd_report,
            "cachemetrics": cmd_cachemetrics, "cachedelta": cmd_cachedelta, "staleness": cmd_staleness,
            "restore": cmd_restore, "delivery": cmd_delivery}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        die("usage: " + __doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
