import Tracking
import Ingestion
import VPPAuth
import VPPCore
import VPPStore
/// The OpenAPI 3.1 description of `vpp serve`, served at `/api/v1/openapi.json`.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "vpp — Seodaemun-gu virtual power plant API",
        "version": "1.0.0",
        "description": "Uploads for apartment management offices and read access for energy-centre operators. Authenticate with `Authorization: Bearer <token>` (created by `vpp tokens create`). Times are UTC epoch seconds with hour-beginning stamps unless stated; query dates are KST (Asia/Seoul). Errors are JSON `{\"error\":{\"code\",\"message\"}}` with a stable code."
      },
      "servers": [{"url": "http://127.0.0.1:8080"}],
      "security": [{"bearer": []}],
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "vpp_<16 hex>_<43 base64url>"}},
        "schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": ["auth_missing", "auth_invalid", "auth_revoked", "forbidden", "not_found", "method_not_allowed", "bad_request", "bad_kind", "bad_month", "bad_encoding", "bad_convention", "bad_unit", "bad_dong", "bad_quantity", "bad_time", "bad_range", "range_too_long", "bad_period", "bad_granularity", "bad_upload_id", "bad_limit", "bad_offset", "bad_file_name", "malformed_request", "missing_file", "empty_upload", "malformed_multipart", "bad_upload_parameters", "upload_unreadable", "body_too_large", "unsupported_media_type", "unsupported_encoding", "unsupported_charset", "rate_limited", "timeout", "not_ready", "busy", "internal"]},
            "message": {"type": "string"}, "parameter": {"type": "string", "description": "the request parameter at fault, when there is one"},
            "request_id": {"type": "string"}}}}},
          "Reject": {"type": "object", "properties": {"line": {"type": "integer"}, "column": {"type": ["integer", "null"]}, "reason": {"type": "string"}, "raw": {"type": "string", "maxLength": 300}}},
          "UploadLinks": {"type": "object", "properties": {"self": {"type": "string"}, "rejects": {"type": "string"}}},
          "UploadResult": {"type": "object", "properties": {
            "upload_id": {"type": "integer"}, "duplicate": {"type": "boolean"}, "status": {"type": "string", "enum": ["ok", "partial", "rejected", "duplicate"]},
            "file": {"type": "string"}, "kind": {"type": "string"}, "sha256": {"type": "string"},
            "rows_accepted": {"type": "integer"}, "rows_rejected": {"type": "integer"}, "rows_changed": {"type": "integer"},
            "rows_flagged": {"type": "integer"}, "rows_skipped": {"type": "integer"},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "first_rejects": {"type": "array", "items": {"$ref": "#/components/schemas/Reject"}},
            "seconds": {"type": "number", "description": "ingest time [s]"}, "message": {"type": "string"},
            "links": {"$ref": "#/components/schemas/UploadLinks"}}},
          "Upload": {"type": "object", "properties": {
            "upload_id": {"type": "integer"}, "file": {"type": "string"}, "kind": {"type": "string"}, "source": {"type": "string"},
            "sha256": {"type": "string"}, "received_at": {"type": "integer", "description": "UTC epoch s"}, "status": {"type": "string"},
            "rows_accepted": {"type": "integer"}, "rows_rejected": {"type": "integer"}, "rows_changed": {"type": "integer"},
            "message": {"type": ["string", "null"]},
            "office": {"type": ["string", "null"], "description": "uploads made over HTTP"}, "complex": {"type": ["string", "null"]},
            "offset": {"type": "integer", "description": "with rejects"},
            "rejects": {"type": "array", "items": {"$ref": "#/components/schemas/Reject"}},
            "links": {"$ref": "#/components/schemas/UploadLinks"}}},
          "Dong": {"type": "object", "properties": {
            "code": {"type": "string"}, "name_ko": {"type": "string"}, "name": {"type": "string"}, "households": {"type": "integer"},
            "pv_kwp": {"type": "number"}, "mini_solar_units": {"type": "integer"}, "battery_kwh": {"type": "number"},
            "battery_kw": {"type": "number"}, "meters": {"type": "integer"}}},
          "Dongs": {"type": "object", "properties": {"dongs": {"type": "array", "items": {"$ref": "#/components/schemas/Dong"}}}},
          "Series": {"type": "object", "properties": {
            "dong": {"type": "string"}, "quantity": {"type": "string"}, "unit": {"type": "string", "enum": ["Wh"]},
            "stamp_convention": {"type": "string", "enum": ["hour-beginning"]}, "from": {"type": "integer"}, "to": {"type": "integer"},
            "count": {"type": "integer"},
            "points": {"type": "array", "description": "[hour_start (UTC epoch s), Wh]", "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}}}},
          "ForecastRun": {"type": "object", "properties": {
            "id": {"type": "integer"}, "issued_at": {"type": "integer"}, "kind": {"type": "string"}, "horizon_s": {"type": "integer"},
            "step_s": {"type": "integer"}, "model": {"type": "string"}}},
          "ForecastPoint": {"type": "object", "properties": {
            "dong": {"type": "string"}, "quantity": {"type": "string", "enum": ["pv", "load"]}, "slot_start": {"type": "integer"},
            "duration_s": {"type": "integer"}, "value_wh": {"type": "integer"}}},
          "Forecasts": {"type": "object", "properties": {
            "run": {"oneOf": [{"$ref": "#/components/schemas/ForecastRun"}, {"type": "null"}]}, "unit": {"type": "string"},
            "stamp_convention": {"type": "string"}, "points": {"type": "array", "items": {"$ref": "#/components/schemas/ForecastPoint"}}}},
          "DispatchRun": {"type": "object", "properties": {
            "id": {"type": "integer"}, "started_at": {"type": "integer"}, "finished_at": {"type": "integer"}, "status": {"type": "string"},
            "objective": {"type": "string"}, "objective_value": {"type": "number"}, "horizon_s": {"type": "integer"}, "step_s": {"type": "integer"},
            "solve_ms": {"type": "number"}, "message": {"type": "string"}}},
          "ScheduleSlot": {"type": "object", "properties": {
            "battery_id": {"type": "string"}, "dong_code": {"type": "string"}, "slot_start": {"type": "integer"}, "duration_s": {"type": "integer"},
            "charge_w": {"type": "number"}, "discharge_w": {"type": "number"}, "soc_wh": {"type": "integer"}}},
          "Schedule": {"type": "object", "properties": {
            "run": {"oneOf": [{"$ref": "#/components/schemas/DispatchRun"}, {"type": "null"}]},
            "units": {"type": "object", "properties": {"power": {"type": "string"}, "soc": {"type": "string"}}},
            "stamp_convention": {"type": "string"}, "slots": {"type": "array", "items": {"$ref": "#/components/schemas/ScheduleSlot"}}}},
          "AuditEvent": {"type": "object", "properties": {
            "id": {"type": "integer"}, "at": {"type": "integer"}, "actor": {"type": "string"}, "token_id": {"type": "integer"},
            "action": {"type": "string"}, "target": {"type": "string"}, "outcome": {"type": "string"}, "detail": {"type": "string"}}},
          "AuditEvents": {"type": "object", "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}}}},
          "Health": {"type": "object", "properties": {"status": {"type": "string"}}}
        },
        "responses": {
          "Unauthorized": {"description": "missing, invalid or revoked token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Forbidden": {"description": "the token may not do this", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "NotFound": {"description": "no such resource (or not yours)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "BadRequest": {"description": "bad parameters", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "TooMany": {"description": "per-token rate limit; see Retry-After", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      },
      "paths": {
        "/api/v1/uploads": {"post": {
          "summary": "Upload an ERP/AMI export; runs the same ingestion as `vpp ingest` in one transaction",
          "description": "Office tokens may upload only for their own complexes: the whole file is booked to `complex` (a meter id of the token). Identical bytes are ingested once.",
          "parameters": [
            {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["monthly", "interval", "pv", "telemetry"]}, "description": "required for a raw body; a form field for multipart"},
            {"name": "month", "in": "query", "schema": {"type": "string", "pattern": "^\\d{4}-\\d{2}$"}, "description": "billing month of a monthly upload"},
            {"name": "complex", "in": "query", "schema": {"type": "string"}, "description": "meter id the file belongs to"},
            {"name": "filename", "in": "query", "schema": {"type": "string", "maxLength": 255}, "description": "label only; never a path; at most 255 UTF-8 bytes"},
            {"name": "encoding", "in": "query", "schema": {"type": "string", "enum": ["utf-8", "cp949"]}},
            {"name": "convention", "in": "query", "schema": {"type": "string", "enum": ["hour-beginning", "hour-ending"]}},
            {"name": "unit", "in": "query", "schema": {"type": "string", "enum": ["Wh", "kWh", "MWh", "W", "kW", "MW"]}}
          ],
          "requestBody": {"required": true, "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {"kind": {"type": "string"}, "month": {"type": "string"}, "complex": {"type": "string"}, "file": {"type": "string", "format": "binary"}}, "required": ["kind", "file"]}},
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}},
          "responses": {
            "201": {"description": "ingested", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UploadResult"}}}},
            "200": {"description": "the same bytes were ingested before; nothing changed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UploadResult"}}}},
            "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
            "409": {"description": "already uploaded by another account (duplicate, status, message only)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UploadResult"}}}},
            "413": {"description": "body larger than the limit (default 20 MiB)"},
            "415": {"description": "unsupported Content-Type, Content-Encoding or charset"},
            "422": {"description": "the file cannot be read as the given kind (Error), or every row was rejected (body: UploadResult with its first rejects); nothing ingested"},
            "429": {"$ref": "#/components/responses/TooMany"}}}},
        "/api/v1/telemetry": {"post": {
          "summary": "Post battery telemetry (CSV battery_id,time_kst,soc_kwh|soc_pct,power_kw[,charged_kwh,discharged_kwh]; power > 0 discharge, < 0 charge)",
          "description": "The same ingestion as `vpp ingest --kind telemetry`. Operators post for any battery; battery tokens only for their own batteries (one row naming another battery: 403, nothing ingested); office tokens: 403. Rows with an unknown battery, a future or out-of-order time, SoC outside [0, capacity] or power beyond the battery's limits are rejects with reasons.",
          "parameters": [{"name": "filename", "in": "query", "schema": {"type": "string", "maxLength": 255}, "description": "label only"}],
          "requestBody": {"required": true, "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}},
          "responses": {
            "201": {"description": "ingested", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UploadResult"}}}},
            "200": {"description": "the same bytes were ingested before; nothing changed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UploadResult"}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
            "409": {"description": "already uploaded by another account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UploadResult"}}}},
            "415": {"description": "unsupported Content-Type"},
            "422": {"description": "unreadable header, or every row rejected; nothing ingested"},
            "429": {"$ref": "#/components/responses/TooMany"}}}},
        "/api/v1/uploads/{id}": {"get": {"summary": "One upload (offices: only their own)",
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
          "responses": {"200": {"description": "the upload", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Upload"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}},
        "/api/v1/uploads/{id}/rejects": {"get": {"summary": "Rejected rows of an upload in file order",
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                         {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100, "minimum": 1, "maximum": 1000}},
                         {"name": "offset", "in": "query", "schema": {"type": "integer", "default": 0, "minimum": 0, "maximum": 1000000}}],
          "responses": {"200": {"description": "the upload with `rejects`", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Upload"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}},
        "/api/v1/dongs": {"get": {"summary": "Dongs of the site with installed capacity (operators)",
          "responses": {"200": {"description": "the dongs", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dongs"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"}}}},
        "/api/v1/dongs/{code}/series": {"get": {"summary": "Hourly rollup series of one dong, Wh per hour-beginning slot (operators)",
          "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^\\d{10}$"}},
                         {"name": "from", "in": "query", "schema": {"type": "string"}, "description": "YYYY-MM-DD or YYYY-MM-DDTHH:MM (KST) or epoch s, 1900-01-01..2200-12-31 KST; default 7 days before `to`"},
                         {"name": "to", "in": "query", "schema": {"type": "string"}, "description": "exclusive; default end of stored data"},
                         {"name": "quantity", "in": "query", "schema": {"type": "string", "enum": ["generation", "consumption", "charge", "discharge", "import", "export"], "default": "consumption"}}],
          "responses": {"200": {"description": "the series", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Series"}}}}, "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}}}},
        "/api/v1/forecasts": {"get": {"summary": "Points of the latest forecast run (operators)",
          "parameters": [{"name": "dong", "in": "query", "schema": {"type": "string"}}, {"name": "quantity", "in": "query", "schema": {"type": "string", "enum": ["pv", "load"]}}],
          "responses": {"200": {"description": "the latest run and its points", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Forecasts"}}}}}}},
        "/api/v1/schedules/latest": {"get": {"summary": "The latest battery schedule (operators)", "responses": {"200": {"description": "the latest run and its slots", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Schedule"}}}}}}},
        "/api/v1/report": {"get": {"summary": "Tracking report (schema vpp.tracking-report/2, as `vpp report --format json`): RE100 share, tCO2 avoided, targets, per dong and district (operators)",
          "parameters": [{"name": "period", "in": "query", "schema": {"type": "string"}, "description": "YYYY-MM, YYYY or YYYY-MM-DD..YYYY-MM-DD (KST, end inclusive); default the year of the latest data"},
                         {"name": "by", "in": "query", "schema": {"type": "string", "enum": ["period", "day", "month", "year"], "default": "period"}},
                         {"name": "dong", "in": "query", "schema": {"type": "string"}}],
          "responses": {"200": {"description": "the tracking report JSON"}, "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}}}},
        "/api/v1/city": {"get": {"summary": "City view (schema vpp.city-report/1, as `vpp report --scope city --format json`): every loaded district against the city targets, with shares (operators)",
          "parameters": [{"name": "period", "in": "query", "schema": {"type": "string"}, "description": "YYYY or YYYY-MM (KST); default the year of the latest data"}],
          "responses": {"200": {"description": "the city report JSON"}, "400": {"$ref": "#/components/responses/BadRequest"}}}},
        "/api/v1/audit": {"get": {"summary": "Audit trail of uploads and token actions, newest first (operators)",
          "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100, "minimum": 1, "maximum": 1000}}], "responses": {"200": {"description": "the events", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuditEvents"}}}}}}},
        "/healthz": {"get": {"summary": "Liveness", "security": [], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/dashboard": {"get": {"summary": "Operator dashboard (HTML, inline SVG); bearer header or the cookie set by POST /login", "parameters": [{"name": "period", "in": "query", "schema": {"type": "string"}}], "responses": {"200": {"description": "HTML"}}}},
        "/upload": {"get": {"summary": "Upload form for offices (HTML)", "security": [], "responses": {"200": {"description": "HTML"}}},
                    "post": {"summary": "Form post (multipart, token as a field); HTML result", "security": [], "responses": {"201": {"description": "HTML"}}}}
      }
    }
    """#
}

extension OpenAPIDocument {
    /// The Codable type behind each schema of `components.schemas`, as sample values with every
    /// optional set (and, where a response has variants, one value per variant). A test encodes
    /// them and compares the key sets with the schemas' `properties`, so the hand-written
    /// document cannot drift from the payloads (VPPStore/API).
    static var schemaExamples: [String: [any Encodable & Sendable]] {
        let reject = RejectedRow(line: 41, column: 3, raw: "2024-01-01 01:00,cheonyeon-apt,x", reason: "energy is not a number")
        let upload = UploadSummary(id: 7, fileName: "jan.csv", sha256: String(repeating: "a", count: 64), source: "천연동 관리사무소",
                                   kind: "interval", receivedAt: 1_700_000_000, rowsOK: 40, rowsRejected: 2, rowsChanged: 0,
                                   status: "partial", message: "2 rows rejected")
        let dong = DongSummary(code: "1141052000", nameKo: "천연동", name: "Cheonyeon-dong", households: 7768, pvKWp: 120.5,
                               miniSolarUnits: 30, batteryKWh: 500, batteryKW: 250, meters: 3)
        let forecastRun = StoredForecastRun(id: 3, issuedAt: 1_700_000_000, kind: "day-ahead", horizonS: 172_800, stepS: 3600, model: "pv-clearsky")
        let point = ForecastPointPayload(dong: "1141052000", quantity: "pv", slotStart: 1_700_000_000, durationS: 3600, valueWh: 12_000)
        let dispatchRun = DispatchRunRecord(id: 2, startedAt: 1_700_000_000, finishedAt: 1_700_000_001, status: "ok", objective: "cost",
                                          objectiveValue: 12.5, horizonS: 86_400, stepS: 3600, solveMs: 4.2, message: "ok")
        let slot = ScheduleSlot(batteryID: "bat0", dongCode: "1141052000", slotStart: 1_700_000_000, durationS: 3600, chargeW: 1000,
                                dischargeW: 0, socWh: 50_000)
        let event = AuditEvent(id: 1, at: 1_700_000_000, actor: "cli", tokenID: 4, action: "token.create", target: "token:0123456789abcdef",
                               outcome: "ok", detail: "operator")
        return [
            "Error": [ErrorPayload(code: "bad_time", message: "from: out of range", parameter: "from", requestID: "req-1")],
            "Reject": [RejectPayload(reject)],
            "UploadLinks": [UploadLinks(uploadID: 7)],
            "UploadResult": [
                UploadResultPayload(uploadID: 7, duplicate: false, status: "partial", file: "jan.csv", kind: "interval", sha256: upload.sha256,
                                    rowsAccepted: 40, rowsRejected: 2, rowsChanged: 0, rowsFlagged: 1, rowsSkipped: 0,
                                    warnings: ["hour-ending stamps"], firstRejects: [reject], seconds: 0.25),
                UploadResultPayload(uploadID: 7, duplicate: true, status: "ok", file: "jan.csv", kind: "interval", sha256: upload.sha256,
                                    rowsAccepted: 40, rowsRejected: 2, rowsChanged: 0,
                                    message: "these exact bytes were already ingested; nothing changed"),
                UploadResultPayload(duplicate: true, status: "duplicate", message: "already uploaded by another account"),
            ],
            "Upload": [UploadPayload(upload, owner: UploadOwner(uploadID: 7, tokenID: 2, office: "천연동 관리사무소", complex: "cheonyeon-apt"),
                                     rejects: [reject], offset: 0)],
            "Dong": [dong],
            "Dongs": [DongsPayload(dongs: [dong])],
            "Series": [SeriesPayload(dong: dong.code, quantity: "consumption", from: 1_700_000_000, to: 1_700_003_600,
                                     hourStart: [1_700_000_000], wh: [5000])],
            "ForecastRun": [forecastRun],
            "ForecastPoint": [point],
            "Forecasts": [ForecastsPayload(run: forecastRun, points: [point]), ForecastsPayload(run: nil, points: [])],
            "DispatchRun": [dispatchRun],
            "ScheduleSlot": [slot],
            "Schedule": [SchedulePayload(run: dispatchRun, slots: [slot]), SchedulePayload(run: nil, slots: [])],
            "AuditEvent": [event],
            "AuditEvents": [AuditPayload(events: [event])],
            "Health": [HealthPayload()],
        ]
    }
}
