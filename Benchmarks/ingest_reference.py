#!/usr/bin/env python3
"""Reference for `vpp bench ingest`: the same interval CSV ingested with Python's csv module and
sqlite3 into the same reading/rollup schema, with the same validation (column count, time stamp,
known meter, number, non-negative), upsert by (asset, slot), rejects stored, hourly per-dong
rollups, one transaction. Usage: ingest_reference.py FILE.csv DB.sqlite METER_MAP.json
Prints: python rows=N ok=N rejected=N seconds=S
"""
import calendar, csv, json, sqlite3, sys, time
from collections import defaultdict

def main():
    path, db, map_path = sys.argv[1:4]
    meters = json.load(open(map_path))  # alias -> [asset_id, dong_code]
    t0 = time.perf_counter()
    c0 = time.process_time()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript("""
        CREATE TABLE IF NOT EXISTS reading (asset_id TEXT NOT NULL, slot_start INTEGER NOT NULL, duration_s INTEGER NOT NULL,
            energy_wh INTEGER NOT NULL, quality INTEGER NOT NULL DEFAULT 0, upload_id INTEGER,
            PRIMARY KEY (asset_id, slot_start, duration_s)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rollup_hourly (dong_code TEXT NOT NULL, hour_start INTEGER NOT NULL,
            consumption_wh INTEGER NOT NULL DEFAULT 0, consumption_covered_s INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (dong_code, hour_start)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rejected_row (id INTEGER PRIMARY KEY, upload_id INTEGER, line INTEGER, "column" INTEGER,
            raw TEXT, reason TEXT);
    """)
    upsert = ("INSERT INTO reading VALUES (?, ?, 900, ?, 0, 1) ON CONFLICT (asset_id, slot_start, duration_s) "
              "DO UPDATE SET energy_wh = excluded.energy_wh, quality = excluded.quality, upload_id = excluded.upload_id")
    con.execute("BEGIN")
    rollup = defaultdict(int)
    covered = defaultdict(int)
    batch, rejects = [], []
    ok = n = 0
    with open(path, newline="", encoding="utf-8-sig") as f:
        r = csv.reader(f)
        header = next(r)
        for line, row in enumerate(r, start=2):
            n += 1
            if len(row) != 3:
                rejects.append((line, None, ",".join(row), "wrong column count")); continue
            ts, meter, v = row
            try:
                epoch = calendar.timegm((int(ts[0:4]), int(ts[5:7]), int(ts[8:10]), int(ts[11:13]), int(ts[14:16]), 0)) - 9 * 3600
            except ValueError:
                rejects.append((line, 1, ",".join(row), "bad time")); continue
            a = meters.get(meter)
            if a is None:
                rejects.append((line, 2, ",".join(row), "unknown meter")); continue
            try:
                kwh = float(v)
            except ValueError:
                rejects.append((line, 3, ",".join(row), "not a number")); continue
            if kwh < 0:
                rejects.append((line, 3, ",".join(row), "negative")); continue
            wh = round(kwh * 1000)
            batch.append((a[0], epoch, wh))
            key = (a[1], epoch - epoch % 3600)
            rollup[key] += wh
            covered[key] += 900
            ok += 1
            if len(batch) >= 10000:
                con.executemany(upsert, batch); batch.clear()
    if batch:
        con.executemany(upsert, batch)
    con.executemany("INSERT INTO rejected_row (upload_id, line, \"column\", raw, reason) VALUES (1, ?, ?, ?, ?)", rejects)
    con.executemany("INSERT INTO rollup_hourly VALUES (?, ?, ?, ?) ON CONFLICT (dong_code, hour_start) DO UPDATE SET "
                    "consumption_wh = consumption_wh + excluded.consumption_wh, "
                    "consumption_covered_s = consumption_covered_s + excluded.consumption_covered_s",
                    [(k[0], k[1], v, covered[k]) for k, v in rollup.items()])
    con.execute("COMMIT")
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(f"python rows={n} ok={ok} rejected={len(rejects)} seconds={dt:.3f} cpu_seconds={cpu:.3f}")

if __name__ == "__main__":
    main()
