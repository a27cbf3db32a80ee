-- 0016: sign-off of campaign figures by reporting units (issue 21).
--
-- A reporting unit is a district of a campaign's area or a zone with facilities in it. Its
-- officer submits the unit's figures: a frozen snapshot that never changes. The province
-- accepts or returns it; only the province reopens an accepted one.
--
-- `unit_reports` holds each unit's current state (the row a transition locks);
-- `unit_report_events` every transition, so that "who had reported at instant T" is a query
-- over the history; `unit_report_submissions` the snapshots, each in one row: every active
-- facility with the level frozen (for "changed since") and the frozen R4/R5 rows, as arrays in
-- facility id order. One row, not one per facility: a row per facility cost ≈ 40 µs each to
-- insert (foreign key, policy and index per row), 255 ms for the largest district.
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
  -- Every active facility of the unit and its level, by facility id.
  facility_ids uuid[] NOT NULL,
  facility_levels text[] NOT NULL,
  -- The facilities on R4 or R5, by facility id: level and serialized FacilityStatusRow.
  listed_ids uuid[] NOT NULL,
  listed_levels text[] NOT NULL,
  listed_rows bytea[] NOT NULL,
  CHECK (cardinality(facility_ids) = cardinality(facility_levels)),
  CHECK (cardinality(listed_ids) = cardinality(listed_levels)
    AND cardinality(listed_ids) = cardinality(listed_rows)),
  PRIMARY KEY (province_code, submission_id),
  FOREIGN KEY (province_code, campaign_id) REFERENCES campaigns (province_code, campaign_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('unit_report_submissions');
CREATE INDEX unit_report_submissions_unit_idx
  ON unit_report_submissions (province_code, campaign_id, unit_kind, unit_code, submitted_at);

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
GRANT SELECT, INSERT ON unit_report_events TO safemap_reporting;
GRANT SELECT, INSERT, UPDATE ON unit_reports TO safemap_reporting;
