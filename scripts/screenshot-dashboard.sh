#!/usr/bin/env bash
# Screenshots of the operator dashboard and the office upload page (issue 7), taken with
# headless Chromium against `vpp serve` on 127.0.0.1 over a fresh demo database.
#
#   scripts/screenshot-dashboard.sh [OUT_DIR]        (default out/screenshots)
#
# Installs chromium and fonts-noto-cjk with apt-get when missing (root only); skips with a
# clear message (exit 0) if Chromium cannot be had. Builds vpp unless $VPP_BIN is set.
# The dashboard needs an operator token, which Chromium's command line cannot send: the page is
# fetched with curl and the bearer header, saved, and rendered from the file (it is
# self-contained: inline CSS and SVG, no scripts). The upload page is public and rendered live.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/screenshots}
mkdir -p "$OUT"

chromium_bin() { command -v chromium || command -v chromium-browser || true; }
if [ -z "$(chromium_bin)" ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "screenshot: installing chromium fonts-noto-cjk (apt-get)…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk curl >/dev/null) \
      || echo "screenshot: apt-get install failed"
  fi
fi
CHROME=$(chromium_bin)
if [ -z "$CHROME" ]; then
  echo "screenshot: SKIPPED — chromium is not installed and could not be installed"
  exit 0
fi

if [ -z "${VPP_BIN:-}" ]; then
  swift build ${SCRATCH:+--scratch-path "$SCRATCH"} --product vpp >/dev/null
  VPP_BIN="$(swift build ${SCRATCH:+--scratch-path "$SCRATCH"} --show-bin-path)/vpp"
fi

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

DB="$WORK/demo.sqlite"
"$VPP_BIN" site load --db "$DB" site-configs/seodaemun.toml >/dev/null
TOKEN=$("$VPP_BIN" tokens create --db "$DB" --operator 2>/dev/null)
OFFICE=$("$VPP_BIN" tokens create --db "$DB" --office "천연동 관리사무소" --complex cheonyeon-apt 2>/dev/null)
"$VPP_BIN" serve --db "$DB" --bind 127.0.0.1:0 --port-file "$WORK/port" --seed-synthetic-year 2024 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port" 2>/dev/null || true)
if [ -z "$PORT" ]; then echo "screenshot: server did not start"; cat "$WORK/serve.log"; exit 1; fi
BASE="http://127.0.0.1:$PORT"

# One office upload so the dashboard's upload table and the reject path have something real.
printf '101,1001,1200,1450,250\n101,1002,980,1111,131\n101,1003,abc,1200,\n' >"$WORK/erp-2025-08.csv"
curl -fsS -H "Authorization: Bearer $OFFICE" -H "Content-Type: text/csv" \
  --data-binary @"$WORK/erp-2025-08.csv" "$BASE/api/v1/uploads?kind=monthly&month=2025-08&filename=erp-2025-08.csv" >"$WORK/upload.json"
echo "screenshot: upload → $(cat "$WORK/upload.json" | head -c 200)…"

# A forecast (PV physical model, Dangjin forecast weather of 2019-07-01 as a stand-in) and a
# dispatch plan, so the dashboard shows its forecast and battery-plan charts. Optional.
if [ -f ../shared/data/pv-dangjin/dangjin_fcst.csv ]; then
  "$VPP_BIN" forecast run --db "$DB" --date 2019-07-01 --horizon 48h --step 1h \
    --weather-csv ../shared/data/pv-dangjin/dangjin_fcst.csv >/dev/null 2>&1 || echo "screenshot: (forecast step skipped)"
fi
"$VPP_BIN" dispatch run --db "$DB" --horizon 24h --step 1h --outbox "$WORK/outbox" >/dev/null 2>&1 || echo "screenshot: (dispatch step skipped)"

curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/dashboard?period=2024" -o "$WORK/dashboard.html"
shoot() { # url png height
  "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=1240,"$3" --screenshot="$2" "$1" >/dev/null 2>&1
}
shoot "file://$WORK/dashboard.html" "$OUT/dashboard.png" 3000
shoot "$BASE/upload" "$OUT/upload.png" 900

ok=1
for f in "$OUT/dashboard.png" "$OUT/upload.png"; do
  size=$(stat -c %s "$f" 2>/dev/null || echo 0)
  if [ "$size" -lt 20000 ]; then echo "screenshot: $f is missing or too small ($size bytes)"; ok=0
  else echo "screenshot: $f ($size bytes)"; fi
done
[ "$ok" = 1 ] || exit 1
