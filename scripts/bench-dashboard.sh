#!/usr/bin/env bash
# Server time of each dashboard page for a district-year (issue 16): `vpp serve` on 127.0.0.1 over
# a fresh store with the Seodaemun site and 14 dongs × 8,784 h of SYNTHETIC rollups for 2024
# (--seed-synthetic-year, seeded), pages fetched with curl and a bearer token. The first request of
# a period builds its tracking report (cold); later ones reuse it until the data change (warm).
# The pages build only the report sections they show (summary and chart buckets); /city (issue 14)
# is the city view of the one loaded district.
#
#   scripts/bench-dashboard.sh [RUNS]        (VPP_BIN defaults to the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
VPP_BIN=${VPP_BIN:-.build/release/vpp}
W=$(mktemp -d)
PID=""
cleanup() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi; rm -rf "$W"; }
trap cleanup EXIT
"$VPP_BIN" site load --db "$W/db.sqlite" site-configs/seodaemun.toml >/dev/null
TOKEN=$("$VPP_BIN" tokens create --db "$W/db.sqlite" --operator 2>/dev/null)
"$VPP_BIN" serve --db "$W/db.sqlite" --bind 127.0.0.1:0 --port-file "$W/port" --seed-synthetic-year 2024 2>"$W/log" &
PID=$!
for _ in $(seq 1 300); do [ -s "$W/port" ] && break; sleep 0.1; done
BASE="http://127.0.0.1:$(cat "$W/port")"
printf '%-48s %8s %8s %8s %8s\n' page cold_ms p50_ms max_ms bytes
for path in "/dashboard?scope=year&period=2024" "/dashboard?scope=year&period=2024&measure=soc" \
            "/dashboard?scope=month&period=2024-07" "/dashboard?scope=week&period=2024-07-15" "/dashboard?scope=day&period=2024-07-15" \
            "/dong/1141058500?scope=year&period=2024" "/dong/1141058500?scope=month&period=2024-07" \
            "/battery/sinchon-ess?scope=year&period=2024" "/completeness?scope=year&period=2024" \
            "/completeness?scope=month&period=2024-07" "/uploads" "/city?scope=year&period=2024"; do
  ts=()
  for i in $(seq 0 "$RUNS"); do
    t=$(curl -s -o "$W/page" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$BASE$path")
    ts+=("$(awk -v t="$t" 'BEGIN { printf "%.1f", t * 1000 }')")
  done
  cold=${ts[0]}
  sorted=$(printf '%s\n' "${ts[@]:1}" | sort -n)
  p50=$(echo "$sorted" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  max=$(echo "$sorted" | tail -1)
  printf '%-48s %8s %8s %8s %8s\n' "$path" "$cold" "$p50" "$max" "$(stat -c %s "$W/page")"
done
