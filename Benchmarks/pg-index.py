#!/usr/bin/env python3
"""BRIN vs btree for the PostgreSQL `reading` table (issue 14), measured, not assumed.

The table is the driver's own (PostgresMigrations.swift: partitioned by KST month, primary key
btree (asset_key, slot_start, duration_s)). The question is which *extra* index, if any, the
queries that do not lead with asset_key need:
  - time only: every asset over one day (a completeness grid, a rollup rebuild);
  - by upload: every reading of one upload (deleting or auditing an upload).
Variants: no extra index; BRIN or btree on slot_start; BRIN or btree on upload_id. For each
variant the same 1M rows (40 assets x 25,000 quarter-hours from 2024-01-01 KST; one upload per
asset-month, loaded month by month as offices upload them, so upload ids follow the physical
order) are loaded by COPY into an empty table, and each query runs 7 times (median of the
server's EXPLAIN ANALYZE execution time). The data are SYNTHETIC (a benchmark, not a district).

  python3 Benchmarks/pg-index.py postgresql://postgres@127.0.0.1:5432/postgres

A throw-away database is created on the server and dropped at the end.
"""
import os, statistics, subprocess, sys, tempfile, time

URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("VPP_TEST_POSTGRES_URL", "")
if not URL:
    sys.exit("usage: pg-index.py postgresql://user@host:port/db (or set VPP_TEST_POSTGRES_URL)")
DB = "vpp_pg_index_%d" % os.getpid()
BASE = URL.rsplit("/", 1)[0]
TARGET = BASE + "/" + DB

def psql(url, sql, *extra):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, *extra, "-c", sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("psql failed: %s\n%s" % (sql[:200], r.stderr))
    return r.stdout

ASSETS, SLOTS = 40, 25_000
T0 = 1704034800  # 2024-01-01 00:00 KST
MONTH_S = 30 * 86400  # upload granularity: one upload per asset and 30 days (synthetic)

def kst_month_bounds():
    # Monthly partitions covering the data (KST calendar months), as the driver creates them.
    import datetime
    kst = datetime.timezone(datetime.timedelta(hours=9))
    out, y, m = [], 2024, 1
    end = T0 + SLOTS * 900
    while True:
        lo = int(datetime.datetime(y, m, 1, tzinfo=kst).timestamp())
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        hi = int(datetime.datetime(ny, nm, 1, tzinfo=kst).timestamp())
        out.append(("reading_y%04dm%02d" % (y, m), lo, hi))
        if hi >= end:
            return out
        y, m = ny, nm

def main():
    psql(URL, "DROP DATABASE IF EXISTS %s" % DB)
    psql(URL, "CREATE DATABASE %s" % DB)
    tmp = tempfile.mkdtemp(prefix="vpp-pg-index-")
    data = os.path.join(tmp, "rows.copy")
    try:
        # Rows in upload order: month window by month window, asset by asset.
        upload = 0
        with open(data, "w") as f:
            for w0 in range(0, SLOTS, MONTH_S // 900):
                for a in range(1, ASSETS + 1):
                    upload += 1
                    for i in range(w0, min(SLOTS, w0 + MONTH_S // 900)):
                        f.write("%d\t%d\t900\t%d\t0\t%d\n" % (a, T0 + i * 900, 500 + (i * 7 + a) % 900, upload))
        print("pg-index bench: %d rows (%d assets x %d quarter-hours, %d uploads; SYNTHETIC), server %s"
              % (ASSETS * SLOTS, ASSETS, SLOTS, upload, BASE.split("@")[-1]))
        variants = [
            ("primary key only", None),
            ("+ BRIN (slot_start)", "CREATE INDEX ON reading USING brin (slot_start)"),
            ("+ btree (slot_start)", "CREATE INDEX ON reading (slot_start)"),
            ("+ BRIN (upload_id)", "CREATE INDEX ON reading USING brin (upload_id)"),
            ("+ btree (upload_id)", "CREATE INDEX ON reading (upload_id)"),
        ]
        day = T0 + 100 * 86400
        queries = [
            ("one asset, one month (pk)", "SELECT count(*), sum(energy_wh) FROM reading WHERE asset_key = 7 AND slot_start >= %d AND slot_start < %d" % (day, day + 30 * 86400)),
            ("all assets, one day", "SELECT count(*), sum(energy_wh) FROM reading WHERE slot_start >= %d AND slot_start < %d" % (day, day + 86400)),
            ("one upload", "SELECT count(*), sum(energy_wh) FROM reading WHERE upload_id = %d" % (upload // 2)),
        ]
        print("%-22s %9s %10s | %s" % ("variant", "load s", "index MB", " | ".join("%s ms" % q[0] for q in queries)))
        for name, ddl in variants:
            parts = "; ".join("CREATE TABLE %s PARTITION OF reading FOR VALUES FROM (%d) TO (%d)" % p for p in kst_month_bounds())
            psql(TARGET, "DROP TABLE IF EXISTS reading; CREATE TABLE reading (asset_key INTEGER NOT NULL, slot_start BIGINT NOT NULL, "
                 "duration_s INTEGER NOT NULL CHECK (duration_s > 0), energy_wh BIGINT NOT NULL, quality SMALLINT NOT NULL DEFAULT 0, "
                 "upload_id BIGINT, PRIMARY KEY (asset_key, slot_start, duration_s)) PARTITION BY RANGE (slot_start); " + parts
                 + ("; " + ddl if ddl else ""))
            t = time.monotonic()
            psql(TARGET, "\\copy reading (asset_key, slot_start, duration_s, energy_wh, quality, upload_id) FROM '%s'" % data)
            load = time.monotonic() - t
            psql(TARGET, "VACUUM ANALYZE reading")
            size = int(psql(TARGET, "SELECT sum(pg_relation_size(i.indexrelid)) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid "
                                    "WHERE h.inhparent = 'reading'::regclass").strip() or 0)
            cells = []
            for qname, q in queries:
                times = []
                for _ in range(7):
                    out = psql(TARGET, "EXPLAIN (ANALYZE, TIMING OFF) " + q)
                    ms = [float(l.split(":")[1].split()[0]) for l in out.splitlines() if l.strip().startswith("Execution Time")]
                    times.append(ms[0])
                cells.append("%.2f" % statistics.median(times))
            print("%-22s %9.2f %10.1f | %s" % (name, load, size / 1e6, " | ".join(cells)))
    finally:
        psql(URL, "DROP DATABASE IF EXISTS %s" % DB)
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)

if __name__ == "__main__":
    main()
