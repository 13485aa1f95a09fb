#!/usr/bin/env bash
# Screenshot check of the HTML tracking report (issue 6), run by CI.
#
# 1. makes sure headless Chromium (and CJK fonts) are there, installing them with apt-get when
#    missing and possible; skips with a clear message (exit 0) when they cannot be had;
# 2. builds vpp (or uses $VPP_BIN) and fills a demo database: `vpp bench report --keep-db` =
#    14 Seodaemun dongs × a year of hourly rollups shaped from real data (Dangjin PV profile ×
#    each dong's kWp, GIST apartment-feeder load shape × households; see TrackingSampleData),
#    with deliberate data gaps in July;
# 3. writes the July report as HTML and screenshots it at 1280×2400;
# 4. checks the PNG exists, is a PNG of that size and is non-trivial (> 60 KB: a blank page is
#    a few KB).
#
# Environment: VPP_BIN (prebuilt binary), VPP_SCRATCH (build folder, default .build),
# VPP_SHARED_DATA (default ../shared/data), OUT_DIR (default out/screenshot), PERIOD (2024-07).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT_DIR=${OUT_DIR:-out/screenshot}
DATA=${VPP_SHARED_DATA:-../shared/data}
PERIOD=${PERIOD:-2024-07}
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)

skip() { echo "SKIP screenshot-report: $*" >&2; exit 0; }

find_chromium() {
    for c in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
    return 1
}

CHROMIUM=$(find_chromium || true)
FONTS=$(fc-list 2>/dev/null || true)
if [ -z "$CHROMIUM" ] || ! grep -qi "cjk" <<<"$FONTS"; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "installing chromium and fonts-noto-cjk with apt-get ..." >&2
        if ! { apt-get install -y chromium fonts-noto-cjk >/dev/null 2>&1 \
               || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium fonts-noto-cjk >/dev/null 2>&1; }; }; then
            [ -z "$CHROMIUM" ] && skip "chromium is not installed and apt-get could not install it"
            echo "warning: fonts-noto-cjk could not be installed; Korean may render as boxes" >&2
        fi
        CHROMIUM=$(find_chromium || true)
    fi
fi
[ -n "$CHROMIUM" ] || skip "chromium is not installed and cannot be installed here (need root + apt-get): apt-get install -y chromium fonts-noto-cjk"
[ -f "$DATA/pv-dangjin/energy.csv" ] || skip "shared data not found at $DATA (set VPP_SHARED_DATA)"

if [ -n "${VPP_BIN:-}" ]; then
    BIN=$VPP_BIN
else
    SCRATCH=${VPP_SCRATCH:-.build}
    swift build --scratch-path "$SCRATCH" --product vpp >&2
    BIN="$SCRATCH/debug/vpp"
fi

DB="$OUT_DIR/demo.sqlite"
HTML="$OUT_DIR/report.html"
PNG="$OUT_DIR/report.png"
rm -f "$PNG"
"$BIN" bench report --keep-db "$DB" --data-dir "$DATA" --iterations 1 >&2
"$BIN" report --db "$DB" --period "$PERIOD" --format html --out "$HTML"

# Chromium writes the file and may still exit non-zero on harmless sandbox/DBus noise.
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --screenshot="$PNG" --window-size=1280,2400 "file://$HTML" >/dev/null 2>&1 || true

fail() { echo "FAIL screenshot-report: $*" >&2; exit 1; }
[ -f "$PNG" ] || fail "no screenshot written at $PNG"
SIG=$(head -c 8 "$PNG" | od -An -tx1 | tr -d ' \n')
[ "$SIG" = "89504e470d0a1a0a" ] || fail "$PNG is not a PNG"
W=$(( $(od -An -tu1 -j16 -N4 "$PNG" | awk '{print ($1*16777216)+($2*65536)+($3*256)+$4}') ))
H=$(( $(od -An -tu1 -j20 -N4 "$PNG" | awk '{print ($1*16777216)+($2*65536)+($3*256)+$4}') ))
SIZE=$(wc -c < "$PNG")
[ "$W" -eq 1280 ] && [ "$H" -eq 2400 ] || fail "$PNG is ${W}x${H}, expected 1280x2400"
[ "$SIZE" -gt 60000 ] || fail "$PNG is only $SIZE bytes: the page looks blank"
grep -q "신촌동\|천연동" "$HTML" || fail "$HTML lacks the Korean dong names"
echo "ok screenshot-report: $PNG (${W}x${H}, $SIZE bytes) from $HTML"
