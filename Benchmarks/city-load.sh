#!/usr/bin/env bash
# Load benchmark of the city JSON (issue 14: "dashboard city JSON p99 under 50 ms at 100 req/s"),
# loopback only, bounded in time and connections.
#
#   Benchmarks/city-load.sh [DURATION_S] [RATE_PER_S] [CONNECTIONS]      (defaults 15, 100, 8)
#
# The 25-district SYNTHETIC city of `vpp bench city` (its configs written with --configs-out and
# loaded into one store; `vpp serve --seed-synthetic-year 2024` fills every dong with a year of
# SYNTHETIC hourly rollups), then GET /api/v1/city?period=2024 (and ?period=2024-07) with an
# operator token. The first request builds the payload (cold, printed); the load then runs
# open-loop: request i is due at t0 + i/RATE and is sent by the next free one of CONNECTIONS
# keep-alive connections; latency is measured from when it was due (so a stalled server is not
# hidden by requests that were never sent) and, separately, from when it was sent.
# Release build (.build/release/vpp) unless $VPP_BIN is set. Needs python3 and curl.
# CITY_PG=postgresql://user@host:port/db: the city store is a fresh database on that PostgreSQL
# server (created with psql, dropped afterwards) instead of a SQLite file.
# CACHE_MB=0: the server caches no response, so every request builds the payload.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-15}
RATE=${2:-100}
CONNS=${3:-8}
VPP_BIN=${VPP_BIN:-.build/release/vpp}
[ -x "$VPP_BIN" ] || { echo "no $VPP_BIN: swift build -c release --product vpp (or set VPP_BIN)"; exit 1; }
W=$(mktemp -d)
PID=""
PGDB=""
DB="$W/city.sqlite"
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -n "$PGDB" ]; then psql "$CITY_PG" -X -q -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null || true; fi
  rm -rf "$W"
}
trap cleanup EXIT
if [ -n "${CITY_PG:-}" ]; then
  [[ "$CITY_PG" =~ ^postgres(ql)?://[^/?]+/[A-Za-z0-9_]+$ ]] || { echo "CITY_PG must be postgresql://user@host:port/database"; exit 1; }
  psql "$CITY_PG" -X -q -c "CREATE DATABASE vpp_cityload_$$" >/dev/null
  PGDB="vpp_cityload_$$"
  DB="${CITY_PG%/*}/$PGDB"
fi

echo "== city JSON load benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, binary $VPP_BIN, store ${PGDB:+PostgreSQL }${PGDB:-SQLite}, response cache ${CACHE_MB:-64} MiB)"
"$VPP_BIN" bench city --districts 25 --iterations 3 --dir "$W" --configs-out "$W/configs" | sed 's/^/bench city: /'
for f in "$W"/configs/*.toml; do "$VPP_BIN" site load --db "$DB" "$f" >/dev/null; done
TOKEN=$("$VPP_BIN" tokens create --db "$DB" --operator 2>/dev/null)
FIRST=$(sed -n 's/^id = "\(synthetic-[0-9]*\)"/\1/p' "$(ls "$W"/configs/*.toml | head -1)")
"$VPP_BIN" serve --db "$DB" --site "$FIRST" --cache-max-mb "${CACHE_MB:-64}" --bind 127.0.0.1:0 --port-file "$W/port" --seed-synthetic-year 2024 \
  --rate-limit-per-s 100000 --rate-burst 100000 2>"$W/log" &
PID=$!
for _ in $(seq 1 1200); do [ -s "$W/port" ] && break; sleep 0.1; done
[ -s "$W/port" ] || { echo "server did not start:"; cat "$W/log"; exit 1; }
grep -h "seeded" "$W/log" | sed 's/^/server: /' || true
# PostgreSQL: the seeded year is millions of fresh rows, which autovacuum would visit during the
# load (300 ms stalls seen); settle the store first, as a city store is between bulk loads.
if [ -n "$PGDB" ]; then psql "$DB" -X -q -c "VACUUM (ANALYZE) rollup_hourly, rollup_monthly" >/dev/null; echo "settled: VACUUM (ANALYZE) of the rollup tables after the seeding"; fi
BASE="http://127.0.0.1:$(cat "$W/port")"
for path in "/api/v1/city?period=2024" "/api/v1/city?period=2024-07"; do
  cold=$(curl -fsS -o "$W/body" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$BASE$path")
  echo
  echo "-- GET $path: $(stat -c %s "$W/body") bytes, $(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d['districts']), 'districts,', d['city']['dongs'], 'dongs')" "$W/body"); cold (first, builds the payload) $(awk -v t="$cold" 'BEGIN { printf "%.1f", t * 1000 }') ms"
  python3 - "$BASE" "$path" "$TOKEN" "$DUR" "$RATE" "$CONNS" <<'PY'
import http.client, sys, threading, time
from urllib.parse import urlparse
base, path, token, dur, rate, conns = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
u = urlparse(base)
n = int(dur * rate)
lock = threading.Lock()
nxt = [0]
due_lat, svc_lat, errors = [], [], []
t0 = time.monotonic() + 0.2
def worker():
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    while True:
        with lock:
            i = nxt[0]; nxt[0] += 1
        if i >= n:
            break
        due = t0 + i / rate
        d = due - time.monotonic()
        if d > 0:
            time.sleep(d)
        sent = time.monotonic()
        try:
            c.request("GET", path, headers={"Authorization": "Bearer " + token})
            r = c.getresponse(); r.read()
            end = time.monotonic()
            if r.status != 200:
                errors.append(r.status)
        except Exception as e:
            end = time.monotonic(); errors.append(repr(e))
            c.close(); c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        with lock:
            due_lat.append((end - due) * 1000); svc_lat.append((end - sent) * 1000)
    c.close()
ts = [threading.Thread(target=worker) for _ in range(conns)]
for t in ts: t.start()
for t in ts: t.join()
wall = time.monotonic() - t0
def pct(a, q):
    a = sorted(a); return a[min(len(a) - 1, int(q / 100 * len(a)))]
print(f"open loop: {n} requests at {rate:.0f}/s over {dur:.0f} s target ({wall:.1f} s wall, {n / wall:.1f} req/s achieved), {conns} connections, {len(errors)} errors {sorted(set(map(str, errors)))[:3]}")
for name, a in (("latency from due time", due_lat), ("latency from send    ", svc_lat)):
    print(f"  {name}: p50 {pct(a, 50):.2f} ms  p90 {pct(a, 90):.2f} ms  p99 {pct(a, 99):.2f} ms  max {max(a):.2f} ms  (target p99 < 50 ms)")
PY
done
