-- 0004: catalogues, assessments, current status, inspections and province settings
-- (assessment-service).

-- Versioned criteria catalogues: reference data shared by every province.
CREATE TABLE catalogues (
  kind text NOT NULL CHECK (kind IN ('WORKPLACE', 'DORMITORY')),
  version integer NOT NULL CHECK (version > 0),
  title text NOT NULL,
  source_note text NOT NULL,
  state text NOT NULL CHECK (state IN ('DRAFT', 'ACTIVE', 'RETIRED')),
  -- Criteria, options, thresholds and level mapping as the protobuf JSON of the Catalogue.
  definition jsonb NOT NULL,
  max_points integer NOT NULL CHECK (max_points > 0),
  request_id text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz,
  PRIMARY KEY (kind, version)
);
-- At most one active version per kind.
CREATE UNIQUE INDEX catalogues_active_idx ON catalogues (kind) WHERE state = 'ACTIVE';

-- Immutable submissions. A correction is a new row; the same request id returns the first.
CREATE TABLE assessments (
  province_code text NOT NULL,
  assessment_id uuid NOT NULL,
  facility_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('WORKPLACE', 'DORMITORY')),
  catalogue_version integer NOT NULL,
  request_id text NOT NULL,
  -- Per-unit answers and results as protobuf JSON.
  units jsonb NOT NULL,
  score integer NOT NULL,
  max_points integer NOT NULL,
  index_percent double precision NOT NULL,
  risk_level text NOT NULL,
  map_level text NOT NULL CHECK (map_level IN ('SAFE', 'AT_RISK', 'UNSAFE')),
  top_criteria jsonb NOT NULL DEFAULT '[]',
  submitted_by uuid NOT NULL,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  valid_until timestamptz NOT NULL,
  PRIMARY KEY (province_code, assessment_id),
  UNIQUE (province_code, facility_id, request_id),
  FOREIGN KEY (province_code, facility_id) REFERENCES facilities (province_code, facility_id),
  FOREIGN KEY (kind, catalogue_version) REFERENCES catalogues (kind, version)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('assessments');
-- History and as-of reports: the latest row of a facility and kind before an instant.
CREATE INDEX assessments_history_idx
  ON assessments (province_code, facility_id, kind, submitted_at DESC);
CREATE INDEX assessments_time_idx ON assessments (province_code, submitted_at);

-- Health inspections.
CREATE TABLE inspections (
  province_code text NOT NULL,
  inspection_id uuid NOT NULL,
  facility_id uuid NOT NULL,
  inspection_date date NOT NULL,
  findings text NOT NULL DEFAULT '',
  level_found text NOT NULL CHECK (level_found IN ('SAFE', 'AT_RISK', 'UNSAFE')),
  inspector_name text NOT NULL DEFAULT '',
  recorded_by uuid NOT NULL,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (province_code, inspection_id),
  UNIQUE (province_code, request_id),
  FOREIGN KEY (province_code, facility_id) REFERENCES facilities (province_code, facility_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('inspections');
CREATE INDEX inspections_facility_idx
  ON inspections (province_code, facility_id, created_at DESC);

-- The current state of each facility, written in the same transaction as each assessment or
-- inspection, so reports on "now" never scan the history. OVERDUE is derived at read time from
-- the valid_until columns and the clock.
CREATE TABLE facility_status (
  province_code text NOT NULL,
  facility_id uuid NOT NULL,
  workplace_assessment_id uuid,
  workplace_map_level text,
  workplace_risk_level text,
  workplace_index_percent double precision,
  workplace_submitted_at timestamptz,
  workplace_valid_until timestamptz,
  dormitory_assessment_id uuid,
  dormitory_map_level text,
  dormitory_risk_level text,
  dormitory_index_percent double precision,
  dormitory_submitted_at timestamptz,
  dormitory_valid_until timestamptz,
  inspection_id uuid,
  inspection_level text,
  inspection_date date,
  inspected_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (province_code, facility_id),
  FOREIGN KEY (province_code, facility_id) REFERENCES facilities (province_code, facility_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('facility_status');

-- Per-province rules; a province without a row uses the defaults.
CREATE TABLE province_settings (
  province_code text NOT NULL,
  validity_days integer NOT NULL DEFAULT 7 CHECK (validity_days BETWEEN 1 AND 90),
  overdue_grace_days integer NOT NULL DEFAULT 0 CHECK (overdue_grace_days BETWEEN 0 AND 30),
  updated_by uuid,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (province_code)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('province_settings');

GRANT SELECT, INSERT, UPDATE ON catalogues TO safemap_assessment;
GRANT SELECT, INSERT ON assessments, inspections TO safemap_assessment;
GRANT SELECT, INSERT, UPDATE ON facility_status, province_settings TO safemap_assessment;
GRANT SELECT ON catalogues, assessments, inspections, facility_status, province_settings
  TO safemap_reporting;
