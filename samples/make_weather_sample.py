#!/usr/bin/env python3
"""Weather stand-in for the demo's forecast step (run from the repo root).

No KMA forecast for Seoul in 2022-08 is in ../shared/data, so the demo uses the REAL KMA
short-range forecast for Dangjin (pv-dangjin/dangjin_fcst.csv, interpolated hourly by the data
set's author) for 2019-08-01 00:00 .. 2019-08-03 23:00 KST, with the year changed to 2022 so it
lines up with the day after the demo's ingested July 2022 data. Values are copied unchanged.
"""
import csv

src = "../shared/data/pv-dangjin/dangjin_fcst.csv"
dst = "samples/weather-standin-2022-08-01.csv"
with open(src, newline="") as f, open(dst, "w", newline="") as g:
    r = csv.reader(f)
    w = csv.writer(g, lineterminator="\n")
    w.writerow(next(r))
    for row in r:
        if row[0] >= "2019-08-01" and row[0] < "2019-08-04":
            w.writerow(["2022" + row[0][4:]] + row[1:])

# Second stand-in, for the demo's scoring step (issue 11): day-ahead runs for 2022-07-25..31 are
# issued on D-1 as `forecast run` would have been, on the same Dangjin KMA forecast for
# 2019-07-24 00:00 .. 2019-07-31 23:00 KST re-dated to 2022, values unchanged.
dst2 = "samples/weather-standin-2022-07.csv"
with open(src, newline="") as f, open(dst2, "w", newline="") as g:
    r = csv.reader(f)
    w = csv.writer(g, lineterminator="\n")
    w.writerow(next(r))
    for row in r:
        if row[0] >= "2019-07-24" and row[0] < "2019-08-01":
            w.writerow(["2022" + row[0][4:]] + row[1:])
