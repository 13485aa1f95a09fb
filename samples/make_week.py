#!/usr/bin/env python3
"""Derives the exports for `vpp demo` (a week of operations, 14 dongs) from the REAL data in ../shared/data.

Usage: python3 samples/make_week.py OUTDIR [--config site-configs/seodaemun.toml] [--shared ../shared/data]
Writes into OUTDIR (generated at demo time, not kept in git):
  history/ami-2022-07.csv        AMI of every dong's feeder meter, July 2022 (01:00 .. 24:00 hour-ending stamps)
  history/pv-2022-07.csv         metered rooftop PV of every dong, same span
  day/ami-2022-08-DD.csv          each simulated day's AMI export (DD = 01 .. 07), hour-ending 01:00 .. 24:00
  day/pv-2022-08-DD.csv           each simulated day's PV export
  pv.map.toml                     mapping for the PV files (hour-ending, 1 h; GIST register glitches bounded)
  weather/kma-standin-2022.csv    KMA short-range forecast (Dangjin layout), see below
  monthly/yeonhui-apt-xperp-2022-07.xlsx   an office's monthly upload for July, ingested on the 1st of August
  SOURCE.txt                      what each file is derived from (DERIVED, not measured in Seodaemun)

How (nothing invented beyond the two ESTIMATEs named here, which are the dispatcher's):
  * Load shape: GIST campus residential feeders (gist-campus/load_hourly_by_feeder.csv, active_power_kw read at hh:00,
    used as the kWh of the hour ending at hh:00), one feeder per dong in turn, each normalised to its Jul–Aug mean.
    Size: the dong's households x 5 % participation x 0.42 kW mean household load (ESTIMATES of
    Dispatcher.SiteProblemBuilder), i.e. the part of the dong behind the VPP's feeder meters.
  * PV: the 15 GIST rooftop arrays (pv_hourly_by_building.csv cum_diff_kwh, energy of the hour ENDING at the stamp),
    one array per dong's rooftop fleet, divided by the array's largest hourly value over Jul–Aug and multiplied by the
    fleet's kWp x 0.867 (the largest hourly output / nameplate of the EWP Dangjin 1,000 kW plant, pv-dangjin SOURCE.txt).
    Mini-solar fleets get no file: they are unmetered, as in Seoul.
  * Weather: the REAL KMA forecast for Dangjin (pv-dangjin/dangjin_fcst.csv) for 2019-06-20 .. 2019-08-12, values
    unchanged, re-dated to 2022 (no Seoul forecast for 2022 is in shared/data): a stand-in, labelled as such.
  * Monthly upload: the two example rows of the XpERP manual (apartment-exports), billing month 2022-07.
"""
import csv, datetime, os, sys, tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_samples import write_xlsx  # noqa: E402  (one .xlsx writer for both scripts)

HERE = os.path.dirname(os.path.abspath(__file__))
RESIDENTIAL = ["교원아파트", "기혼자아파트E동", "대학기숙사A동", "기숙사9동", "대학A동", "대학B동", "대학C동"]
PARTICIPATION, MEAN_HOUSEHOLD_KW = 0.05, 0.42     # ESTIMATES (Dispatcher.SiteProblemBuilder)
DANGJIN_PEAK_PER_KWP = 867 / 1000                # pv-dangjin/SOURCE.txt: max hourly 867 kWh of 1,000 kW
FIRST = datetime.datetime(2022, 7, 1, 1)          # first hour-ending stamp kept
DAYS = [datetime.date(2022, 8, d) for d in range(1, 8)]


def stamp(t):
    """Hour-ending stamp the way Korean AMI exports write it: 01:00 .. 24:00."""
    if t.hour == 0:
        return f"{(t - datetime.timedelta(days=1)).date().isoformat()} 24:00"
    return t.strftime("%Y-%m-%d %H:%M")


def day_of(t):
    """KST day an hour-ending stamp belongs to (24:00 closes the previous day)."""
    return (t - datetime.timedelta(hours=1)).date()


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out = args[0]
    config = os.path.join(HERE, "..", "site-configs", "seodaemun.toml")
    shared = os.path.join(HERE, "..", "..", "shared", "data")
    for i, a in enumerate(args):
        if a == "--config": config = args[i + 1]
        if a == "--shared": shared = args[i + 1]
    if not os.path.isdir(shared):
        sys.exit(f"make_week.py: {shared} not found: the demo samples are derived from ../shared/data")
    site = tomllib.load(open(config, "rb"))
    dongs = site["dong"]
    for sub in ["history", "day", "weather", "monthly"]:
        os.makedirs(os.path.join(out, sub), exist_ok=True)

    # --- load ---
    feeders = {}
    with open(os.path.join(shared, "gist-campus", "load_hourly_by_feeder.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["feeder_ko"] in RESIDENTIAL and r["active_power_kw"] not in ("", None):
                t = datetime.datetime.fromisoformat(r["timestamp_kst"])
                feeders.setdefault(r["feeder_ko"], {})[t] = float(r["active_power_kw"])
    load_rows = []   # (t, meter alias, kWh)
    for k, d in enumerate(dongs):
        meter = next((m for m in d.get("meter", []) if m["id"].endswith("-feeder")), None)
        if meter is None:
            continue
        series = feeders[RESIDENTIAL[k % len(RESIDENTIAL)]]
        positive = [v for v in series.values() if v > 0]
        mean = sum(positive) / len(positive)
        size_kw = d["households"] * PARTICIPATION * MEAN_HOUSEHOLD_KW
        alias = (meter.get("aliases") or [meter["id"]])[0]
        for t, v in sorted(series.items()):
            if t >= FIRST and day_of(t) <= DAYS[-1] and v > 0:
                load_rows.append((t, alias, round(v / mean * size_kw, 3)))

    # --- PV ---
    arrays = {}
    with open(os.path.join(shared, "gist-campus", "pv_hourly_by_building.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["cum_diff_kwh"] in ("", None):
                continue
            v = float(r["cum_diff_kwh"])
            if 0 <= v <= 200:   # gist-campus/SOURCE.txt: |cum_diff| > 200 kWh are register glitches
                arrays.setdefault(r["building_en"], {})[datetime.datetime.fromisoformat(r["timestamp_kst"])] = v
    names = sorted(arrays)
    pv_rows = []
    for k, d in enumerate(dongs):
        fleet = next((p for p in d.get("pv", []) if p["kind"] == "rooftop"), None)
        if fleet is None:
            continue
        kwp = fleet["units"] * fleet["unit_w"] / 1000
        series = arrays[names[k % len(names)]]
        peak = max(series.values())
        for t, v in sorted(series.items()):
            if t >= FIRST and day_of(t) <= DAYS[-1]:
                pv_rows.append((t, fleet["id"], round(v / peak * kwp * DANGJIN_PEAK_PER_KWP, 3)))

    def write(path, header, rows):
        with open(path, "w", encoding="utf-8", newline="") as o:
            o.write(header + "\n")
            for t, who, v in rows:
                o.write(f"{stamp(t)},{who},{v}\n")

    first_day = DAYS[0]
    write(os.path.join(out, "history", "ami-2022-07.csv"), "검침일시,계량기번호,사용량(kWh)", [r for r in load_rows if day_of(r[0]) < first_day])
    write(os.path.join(out, "history", "pv-2022-07.csv"), "일시,발전소,발전량(kWh)", [r for r in pv_rows if day_of(r[0]) < first_day])
    for day in DAYS:
        write(os.path.join(out, "day", f"ami-{day.isoformat()}.csv"), "검침일시,계량기번호,사용량(kWh)", [r for r in load_rows if day_of(r[0]) == day])
        write(os.path.join(out, "day", f"pv-{day.isoformat()}.csv"), "일시,발전소,발전량(kWh)", [r for r in pv_rows if day_of(r[0]) == day])
    with open(os.path.join(out, "pv.map.toml"), "w", encoding="utf-8") as o:
        o.write('# Derived GIST rooftop PV: energy of the hour ENDING at the stamp.\nconvention = "hour-ending"\nslot = "1h"\n')

    # --- weather stand-in ---
    with open(os.path.join(shared, "pv-dangjin", "dangjin_fcst.csv"), encoding="utf-8") as f, \
         open(os.path.join(out, "weather", "kma-standin-2022.csv"), "w", encoding="utf-8", newline="") as o:
        rd = csv.reader(f)
        o.write(",".join(next(rd)) + "\n")
        for r in rd:
            if "2019-06-20" <= r[0][:10] <= "2019-08-12":
                o.write(",".join(["2022" + r[0][4:]] + r[1:]) + "\n")

    # --- monthly upload (the XpERP manual's two example rows) ---
    rows = list(csv.reader(open(os.path.join(shared, "apartment-exports", "xperp_electric_upload_example_noheader.csv"), encoding="utf-8")))
    write_xlsx(os.path.join(out, "monthly", "yeonhui-apt-xperp-2022-07.xlsx"), rows, (2022, 8, 1, 0, 0, 0))

    with open(os.path.join(out, "SOURCE.txt"), "w", encoding="utf-8") as o:
        o.write("DERIVED demo exports made by samples/make_week.py from ../shared/data; not measured in Seodaemun.\n")
        o.write(__doc__)
    print(f"make_week.py: {len(load_rows)} AMI rows for {len({r[1] for r in load_rows})} meters, "
          f"{len(pv_rows)} PV rows for {len({r[1] for r in pv_rows})} fleets, {len(DAYS)} days → {out}")



if __name__ == "__main__":
    main()
