#!/usr/bin/env python3
"""Drives `vpp serve` as an OpenADR 3 client with python-oa3 (PyPI `openadr3` 0.5.0), a client
nobody in vpp wrote (issue 13). Run by Tests/vppTests/OpenADRClientInteropTests.swift from a
virtualenv; usable by hand too:

  python openadr3-client-session.py bl  BASE_URL OPERATOR_TOKEN PROGRAM_NAME
  python openadr3-client-session.py ven BASE_URL VEN_TOKEN RESOURCE SOC_FRACTION

BASE_URL is http://HOST:PORT/openadr3/3.1.0. Every step prints one line `STEP <json>`.
"""
import datetime
import json
import sys

import openadr3
from openadr3 import create_bl_client, create_ven_client


def out(step, **kv):
    print("STEP " + json.dumps({"step": step, **kv}, sort_keys=True, default=str), flush=True)


def bl(base, token, program_name):
    with create_bl_client(base, token) as c:
        r = c.create_program({"programName": program_name, "programDescriptions": None,
                              "payloadDescriptors": [{"objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                                                      "payloadType": "PRICE", "units": "KWH", "currency": "KRW"}]})
        out("bl.create_program", status=r.status_code, id=r.json().get("id"))
        r.raise_for_status()
        progs = c.programs()
        out("bl.programs", count=len(progs), names=sorted(p.program_name for p in progs))
        found = c.find_program_by_name(program_name)
        out("bl.find_program_by_name", found=found is not None and found.id == r.json()["id"])


def ven(base, token, resource, soc):
    with create_ven_client(base, token) as c:
        vens = c.vens()
        out("ven.vens", names=[v.ven_name for v in vens])
        res = c.resources()
        out("ven.resources", names=[r.resource_name for r in res])
        events = c.events()
        out("ven.events", count=len(events), names=sorted(e.event_name or "" for e in events),
            targets=sorted({t for e in events for t in (e.targets or [])}))
        dispatch = [e for e in events if (e.event_name or "").startswith("dispatch") and resource in (e.targets or [])]
        if not dispatch:
            out("ven.no_dispatch_event")
            sys.exit(2)
        e = dispatch[0]
        first = e.intervals[0]
        payloads = {p.type: p.values for p in first.payloads}
        out("ven.dispatch_event", id=e.id, program=e.program_id, intervals=len(e.intervals),
            interval_start=str(e.interval_period.start) if e.interval_period else None,
            first_payloads=payloads)
        end = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(minutes=1)
        start = end - datetime.timedelta(minutes=15)
        report = {
            "eventID": e.id, "clientName": "battery-controller", "reportName": "soc",
            "payloadDescriptors": [{"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "STORAGE_CHARGE_LEVEL",
                                    "readingType": "DIRECT_READ", "units": "PERCENT"}],
            "resources": [{"resourceName": resource, "intervals": [{
                "id": 0, "intervalPeriod": {"start": start.isoformat().replace("+00:00", "Z"), "duration": "PT15M"},
                "payloads": [{"type": "STORAGE_CHARGE_LEVEL", "values": [soc]}]}]}],
        }
        r = c.create_report(report)
        out("ven.create_report", status=r.status_code, id=r.json().get("id"), client_id=r.json().get("clientID"))
        r.raise_for_status()
        reps = c.reports()
        out("ven.reports", count=len(reps))
        # Another VEN's resource in a report is refused with a problem body.
        bad = dict(report)
        bad["resources"] = [dict(report["resources"][0], resourceName="someone-elses-battery")]
        r = c.create_report(bad)
        out("ven.foreign_report", status=r.status_code, problem=r.json())


if __name__ == "__main__":
    out("client", openadr3=getattr(openadr3, "__version__", None) or __import__("importlib.metadata").metadata.version("openadr3"))
    if sys.argv[1] == "bl":
        bl(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "ven":
        ven(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    else:
        sys.exit("usage: bl|ven ...")
