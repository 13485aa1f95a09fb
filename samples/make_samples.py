#!/usr/bin/env python3
"""Derives the demo sample exports in samples/ from the real data in ../shared/data (run from the repo root).
See samples/SOURCE.txt. Nothing is invented: values are copied (units converted where stated)."""
import csv, os, zipfile
from xml.sax.saxutils import escape

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
OUT = os.path.dirname(os.path.abspath(__file__))

def ami():
    # GIST residential feeders -> Seodaemun AMI feeder meters. active_power_kw is the reading at hh:00; it is used as
    # the energy of the hour ENDING at hh:00 (kW x 1 h), written the way Korean AMI exports do: 01:00 .. 24:00.
    import datetime
    feeders = {"기혼자아파트E동": "YEONHUI-FEEDER", "교원아파트": "CHEONYEON-FEEDER", "대학기숙사A동": "SINCHON-FEEDER"}
    lo, hi = "2022-07-01 01:00", "2022-08-01 00:00"
    with open(os.path.join(SHARED, "gist-campus", "load_hourly_by_feeder.csv"), encoding="utf-8") as f, \
         open(os.path.join(OUT, "ami-feeders-2022-07.csv"), "w", encoding="utf-8", newline="") as o:
        o.write("검침일시,계량기번호,사용량(kWh)\n")
        for r in csv.DictReader(f):
            ts = r["timestamp_kst"]
            if r["feeder_ko"] in feeders and lo <= ts <= hi:
                if ts.endswith(" 00:00"):
                    prev = datetime.date.fromisoformat(ts[:10]) - datetime.timedelta(days=1)
                    ts = f"{prev.isoformat()} 24:00"
                o.write(f"{ts},{feeders[r['feeder_ko']]},{r['active_power_kw']}\n")

def pv():
    # GIST rooftop arrays -> Seodaemun rooftop fleets; cum_diff_kwh is the energy of the hour ending at the stamp.
    arrays = {"Soccer field": "yeonhui-rooftop", "Student union": "cheonyeon-rooftop", "Central library": "sinchon-rooftop"}
    with open(os.path.join(SHARED, "gist-campus", "pv_hourly_by_building.csv"), encoding="utf-8") as f, \
         open(os.path.join(OUT, "pv-rooftops-2022-07.csv"), "w", encoding="utf-8", newline="") as o:
        o.write("일시,발전소,발전량(kWh)\n")
        for r in csv.DictReader(f):
            if r["building_en"] in arrays and r["timestamp_kst"].startswith("2022-07-"):
                o.write(f"{r['timestamp_kst']},{arrays[r['building_en']]},{r['cum_diff_kwh']}\n")

def xperp():
    # The two example rows printed on XpERP manual p.26 (shared/data/apartment-exports), no header, as .xlsx.
    rows = list(csv.reader(open(os.path.join(SHARED, "apartment-exports", "xperp_electric_upload_example_noheader.csv"))))
    write_xlsx(os.path.join(OUT, "yeonhui-apt-xperp-2025-08.xlsx"), rows, (2025, 9, 1, 0, 0, 0))

def write_xlsx(path, rows, date_time):
    """A one-sheet workbook (sheet 전기검침) of `rows` as numbers, no header; fixed zip dates: reproducible bytes."""
    sheet = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for i, r in enumerate(rows, start=1):
        cells = "".join(f'<c r="{chr(65 + j)}{i}"><v>{escape(v)}</v></c>' for j, v in enumerate(r) if v != "")
        sheet.append(f'<row r="{i}">{cells}</row>')
    sheet.append("</sheetData></worksheet>")
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="전기검침" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": "".join(sheet),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            zi = zipfile.ZipInfo(name, date_time=date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, text)

if __name__ == "__main__":
    ami(); pv(); xperp()
