#!/usr/bin/env bash
# Load benchmark of `vpp serve` (issue 7), loopback only, bounded in time and count.
#
#   Benchmarks/serve-load.sh [DURATION_S]      (default 10)
#
# 1. Read API: a district-year of rollups (14 dongs × 8,784 h of SYNTHETIC rollups for 2024),
#    wrk against 127.0.0.1 for each dashboard JSON endpoint: first a paced run at ~200 req/s
#    (8 connections, each waiting 40 ms between requests via a wrk Lua `delay()`), then an
#    unpaced saturation run (`wrk -t2 -c8 -d…s --latency`). wrk reports latency percentiles.
# 2. Upload: a 100,000-row hourly interval CSV ingested by the CLI (`vpp ingest`) and through
#    HTTP (`curl --data-binary` to POST /api/v1/uploads), each into a fresh database, 3 runs, median.
# Release build in .build-serve-release unless $VPP_BIN is set. Needs wrk and curl (apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk"; exit 1; }
if [ -z "${VPP_BIN:-}" ]; then
  swift build -c release --scratch-path .build-serve-release --product vpp >/dev/null
  VPP_BIN="$(swift build -c release --scratch-path .build-serve-release --show-bin-path)/vpp"
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start_server() { # db portfile extra...   (sets SERVER_PORT; not in a subshell, so PIDS is kept)
  local db=$1 pf=$2; shift 2
  "$VPP_BIN" serve --db "$db" --bind 127.0.0.1:0 --port-file "$pf" --rate-limit-per-s 100000 --rate-burst 100000 "$@" \
    >/dev/null 2>>"$WORK/serve.log" &
  PIDS+=($!)
  for _ in $(seq 1 600); do [ -s "$pf" ] && break; sleep 0.1; done
  SERVER_PORT=$(cat "$pf")
}

echo "== vpp serve load benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, binary $VPP_BIN)"
DB="$WORK/read.sqlite"
"$VPP_BIN" site load --db "$DB" site-configs/seodaemun.toml >/dev/null
TOKEN=$("$VPP_BIN" tokens create --db "$DB" --operator 2>/dev/null)
start_server "$DB" "$WORK/port" --seed-synthetic-year 2024
BASE="http://127.0.0.1:$SERVER_PORT"
CODE=1141069000
cat >"$WORK/paced.lua" <<'LUA'
function delay() return 40 end
LUA
ENDPOINTS=(
  "/api/v1/report?period=2024"
  "/api/v1/report?period=2024-07"
  "/api/v1/dongs/$CODE/series?from=2024-01-01&to=2025-01-01&quantity=generation"
  "/api/v1/dongs/$CODE/series?from=2024-07-01&to=2024-07-08&quantity=consumption"
  "/api/v1/dongs"
  "/api/v1/schedules/latest"
  "/api/v1/forecasts"
)
for ep in "${ENDPOINTS[@]}"; do
  bytes=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE$ep" | wc -c)
  echo
  echo "-- GET $ep ($bytes bytes)"
  echo "paced ~200 req/s: wrk -t2 -c8 -d${DUR}s --latency -s paced.lua"
  wrk -t2 -c8 -d"${DUR}s" --latency -s "$WORK/paced.lua" -H "Authorization: Bearer $TOKEN" "$BASE$ep" \
    | grep -E "Latency|50%|90%|99%|requests in|Requests/sec|Non-2xx|Socket errors"
  echo "saturation: wrk -t2 -c8 -d${DUR}s --latency"
  wrk -t2 -c8 -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" "$BASE$ep" \
    | grep -E "Latency|50%|90%|99%|requests in|Requests/sec|Non-2xx|Socket errors"
done

echo
echo "== upload of a 100,000-row interval CSV: CLI vs HTTP (fresh database each run)"
python3 - "$WORK/interval-100k.csv" <<'PY'
import sys, datetime
t = datetime.datetime(2020, 1, 1)
with open(sys.argv[1], "w") as f:
    f.write("검침일시,사용량(kWh)\n")
    for i in range(100_000):
        f.write(f"{t:%Y-%m-%d %H}:00,{(100 + (i * 37) % 900) / 10}\n")
        t += datetime.timedelta(hours=1)
PY
ls -l "$WORK/interval-100k.csv" | awk '{print "file bytes:", $5}'
now() { date +%s.%N; }
cli=(); http=()
for run in 1 2 3; do
  d="$WORK/cli$run.sqlite"; "$VPP_BIN" site load --db "$d" site-configs/seodaemun.toml >/dev/null
  t0=$(now); "$VPP_BIN" ingest --db "$d" --kind interval --source bench --meter cheonyeon-feeder --convention hour-beginning "$WORK/interval-100k.csv" >/dev/null; t1=$(now)
  cli+=("$(echo "$t1 - $t0" | bc)")
  d="$WORK/http$run.sqlite"; "$VPP_BIN" site load --db "$d" site-configs/seodaemun.toml >/dev/null
  tok=$("$VPP_BIN" tokens create --db "$d" --operator 2>/dev/null)
  start_server "$d" "$WORK/port-http$run"; p=$SERVER_PORT
  t0=$(now)
  code=$(curl -sS -o "$WORK/up$run.json" -w "%{http_code}" -H "Authorization: Bearer $tok" -H "Content-Type: text/csv" \
    --data-binary @"$WORK/interval-100k.csv" "http://127.0.0.1:$p/api/v1/uploads?kind=interval&complex=cheonyeon-feeder&convention=hour-beginning&filename=interval-100k.csv")
  t1=$(now)
  http+=("$(echo "$t1 - $t0" | bc)")
  echo "run $run: cli ${cli[-1]} s, http ${http[-1]} s (HTTP $code, $(grep -o '"rows_accepted":[0-9]*' "$WORK/up$run.json"))"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
mc=$(median "${cli[@]}"); mh=$(median "${http[@]}")
echo "median: cli $mc s, http $mh s, ratio $(echo "scale=2; $mh / $mc" | bc) (target ≤ 1.5)"
