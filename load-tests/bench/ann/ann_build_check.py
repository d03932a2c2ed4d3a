"""Recall@10 and pages per query of one ANN ORDER BY over the debian-minilm dev queries, straight in SQL.

How the halfvec build of migration V71 was chosen (README "Halfvec build"): build a candidate index on
a copy of the documents, then for each ef_search

    python3 load-tests/bench/ann/ann_build_check.py recall docs_exp "embedding::halfvec(384) <=> {q}::vector::halfvec(384)" 100
    python3 load-tests/bench/ann/ann_build_check.py pages  docs_exp "embedding::halfvec(384) <=> {q}::vector::halfvec(384)" 100

recall: the top 10 of all 200 dev queries against dev-groundtruth.ivecs; pages: shared buffers hit + read
per query (EXPLAIN ANALYZE BUFFERS, the first 40 queries), a cost that does not move with the machine's
load. Throughput was measured with pgbench running the gateway's statement (bench.sh's vector scenario
writes those scripts). Environment: BENCH_DATA (default ../shared/data/debian-minilm), PG_URL (default
postgresql://postgres@127.0.0.1:55432/sluice). Only psql is needed.
"""
import json, os, struct, subprocess, sys

DATA = os.environ.get("BENCH_DATA", "../shared/data/debian-minilm")
PG_URL = os.environ.get("PG_URL", "postgresql://postgres@127.0.0.1:55432/sluice")
DIM = 384


def vectors(path, n=None):
    b = open(path, "rb").read()
    rows = len(b) // (4 + 4 * DIM)
    return [struct.unpack_from("<%df" % DIM, b, i * (4 + 4 * DIM) + 4) for i in range(rows if n is None else n)]


def ids(path):
    b = open(path, "rb").read()
    return [struct.unpack_from("<100i", b, i * 404 + 4) for i in range(len(b) // 404)]


def psql(statements):
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", PG_URL], input="\n".join(statements),
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    return out.stdout


def literal(q):
    return "'[%s]'" % ",".join("%.9g" % x for x in q)


def main(kind, table, expr, ef):
    setting = "SET hnsw.ef_search = %d;" % int(ef)
    if kind == "recall":
        queries = vectors(os.path.join(DATA, "dev-queries.fvecs"))
        truth = ids(os.path.join(DATA, "dev-groundtruth.ivecs"))
        lines = [l for l in psql([setting] + ["SELECT string_agg(id::text, ',') FROM (SELECT id FROM %s ORDER BY %s LIMIT 10) s;"
                                              % (table, expr.format(q=literal(q))) for q in queries]).splitlines() if l.strip()]
        found = sum(len(set(map(int, l.split(","))) & set(t[:10])) for l, t in zip(lines, truth))
        print("%s ef_search %s: recall@10 %.4f over %d queries" % (table, ef, found / (10.0 * len(lines)), len(lines)))
    elif kind == "pages":
        queries = vectors(os.path.join(DATA, "dev-queries.fvecs"), 40)
        out = psql([setting] + ["EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id FROM %s ORDER BY %s LIMIT 10;"
                                % (table, expr.format(q=literal(q))) for q in queries])
        total, n, i, dec = 0, 0, 0, json.JSONDecoder()
        while (j := out.find("[", i)) >= 0:
            plan, i = dec.raw_decode(out, j)
            total += plan[0]["Plan"]["Shared Hit Blocks"] + plan[0]["Plan"]["Shared Read Blocks"]
            n += 1
        print("%s ef_search %s: %d pages per query over %d queries" % (table, ef, total / n, n))
    else:
        sys.exit("usage: ann_build_check.py recall|pages TABLE 'ORDER BY expression with {q}' EF_SEARCH")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: ann_build_check.py recall|pages TABLE 'ORDER BY expression with {q}' EF_SEARCH")
    main(*sys.argv[1:])
