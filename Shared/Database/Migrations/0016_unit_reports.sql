-- 0016: sign-off of campaign figures by reporting units (issue 21).
--
-- A reporting unit is a district of a campaign's area or a zone with facilities in it. Its
-- officer submits the unit's figures: a frozen snapshot that never changes. The province
-- accepts or returns it; only the province reopens an accepted one.
--
-- `unit_reports` holds each unit's current state (the row a transition locks);
-- `unit_report_events` every transition, so that "who had reported at instant T" is a query
-- over the history; `unit_report_submissions` the snapshots; `unit_report_facilities` each
-- snapshot's facilities with the level frozen (for "changed since") and, for those on R4 or
-- R5, the frozen list row.
CREATE TABLE unit_report_submissions (
  province_code text NOT NULL,
  submission_id uuid NOT NULL,
  campaign_id uuid NOT NULL,
  unit_kind text NOT NULL CHECK (unit_kind IN ('DISTRICT', 'ZONE')),
  unit_code text NOT NULL,
  submitted_by uuid NOT NULL,
  submitted_at timestamptz NOT NULL,
  comment text NOT NULL CHECK (length(comment) <= 1000),
  -- A serialized safemap.reporting.v1.UnitReportSnapshot.
  snapshot bytea NOT NULL,
  -- SHA-256 of the snapshot and its facilities' entries (UnitSnapshot.contentHash).
  content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
  PRIMARY KEY (province_code, submission_id),
  FOREIGN KEY (province_code, campaign_id) REFERENCES campaigns (province_code, campaign_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('unit_report_submissions');
CREATE INDEX unit_report_submissions_unit_idx
  ON unit_report_submissions (province_code, campaign_id, unit_kind, unit_code, submitted_at);

CREATE TABLE unit_report_facilities (
  province_code text NOT NULL,
  submission_id uuid NOT NULL,
  facility_id uuid NOT NULL,
  map_level text NOT NULL,
  -- A serialized safemap.reporting.v1.FacilityStatusRow for facilities on R4 or R5.
  list_row bytea,
  PRIMARY KEY (province_code, submission_id, facility_id),
  FOREIGN KEY (province_code, submission_id)
    REFERENCES unit_report_submissions (province_code, submission_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('unit_report_facilities');

CREATE TABLE unit_reports (
  province_code text NOT NULL,
  campaign_id uuid NOT NULL,
  unit_kind text NOT NULL CHECK (unit_kind IN ('DISTRICT', 'ZONE')),
  unit_code text NOT NULL,
  state text NOT NULL CHECK (state IN ('SUBMITTED', 'RETURNED', 'ACCEPTED', 'REOPENED')),
  -- The latest submission (what a returned or reopened unit last sent).
  submission_id uuid NOT NULL,
  updated_by uuid NOT NULL,
  updated_at timestamptz NOT NULL,
  reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
  PRIMARY KEY (province_code, campaign_id, unit_kind, unit_code),
  FOREIGN KEY (province_code, submission_id)
    REFERENCES unit_report_submissions (province_code, submission_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('unit_reports');

CREATE TABLE unit_report_events (
  province_code text NOT NULL,
  campaign_id uuid NOT NULL,
  unit_kind text NOT NULL CHECK (unit_kind IN ('DISTRICT', 'ZONE')),
  unit_code text NOT NULL,
  event_id uuid NOT NULL,
  state text NOT NULL CHECK (state IN ('SUBMITTED', 'RETURNED', 'ACCEPTED', 'REOPENED')),
  submission_id uuid NOT NULL,
  actor uuid NOT NULL,
  at timestamptz NOT NULL,
  -- The submission's comment, or the reason of a return or reopening.
  text text NOT NULL DEFAULT '' CHECK (length(text) <= 1000),
  PRIMARY KEY (province_code, event_id),
  FOREIGN KEY (province_code, submission_id)
    REFERENCES unit_report_submissions (province_code, submission_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('unit_report_events');
CREATE INDEX unit_report_events_unit_idx
  ON unit_report_events (province_code, campaign_id, unit_kind, unit_code, at);

-- Snapshots and events are never updated or deleted: no UPDATE, no DELETE.
GRANT SELECT, INSERT ON unit_report_submissions TO safemap_reporting;
GRANT SELECT, INSERT ON unit_report_facilities TO safemap_reporting;
GRANT SELECT, INSERT ON unit_report_events TO safemap_reporting;
GRANT SELECT, INSERT, UPDATE ON unit_reports TO safemap_reporting;
