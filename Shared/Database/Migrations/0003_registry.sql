-- 0003: zones, facilities, operating status history and issuance batches (account-service).

CREATE TABLE zones (
  province_code text NOT NULL,
  zone_id uuid NOT NULL,
  name text NOT NULL,
  zone_type text NOT NULL CHECK (zone_type IN ('INDUSTRIAL_ZONE', 'ECONOMIC_ZONE',
                                               'INDUSTRIAL_CLUSTER')),
  district_code text NOT NULL,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (province_code, zone_id),
  UNIQUE (province_code, name),
  UNIQUE (province_code, request_id),
  FOREIGN KEY (province_code, district_code) REFERENCES districts (province_code, code)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('zones');

CREATE TABLE facilities (
  province_code text NOT NULL,
  facility_id uuid NOT NULL,
  name text NOT NULL,
  tax_code text NOT NULL CHECK (tax_code ~ '^[0-9]{10}(-[0-9]{3})?$'),
  address text NOT NULL DEFAULT '',
  district_code text NOT NULL,
  zone_id uuid,
  sector text NOT NULL DEFAULT '',
  worker_count integer NOT NULL DEFAULT 0 CHECK (worker_count >= 0),
  workshop_area_m2 double precision NOT NULL DEFAULT 0 CHECK (workshop_area_m2 >= 0),
  has_dormitory boolean NOT NULL DEFAULT false,
  dormitory_residents integer NOT NULL DEFAULT 0 CHECK (dormitory_residents >= 0),
  contact_phone text NOT NULL DEFAULT '',
  contact_email text NOT NULL DEFAULT '',
  latitude double precision CHECK (latitude BETWEEN 8.0 AND 23.5),
  longitude double precision CHECK (longitude BETWEEN 102.0 AND 117.5),
  operating_status text NOT NULL DEFAULT 'ACTIVE'
    CHECK (operating_status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')),
  -- Name and tax code folded to lower-case ASCII (Vietnamese accents removed) by the service,
  -- for accent-insensitive search.
  search_text text NOT NULL DEFAULT '',
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (province_code, facility_id),
  UNIQUE (province_code, tax_code),
  UNIQUE (province_code, request_id),
  FOREIGN KEY (province_code, district_code) REFERENCES districts (province_code, code),
  FOREIGN KEY (province_code, zone_id) REFERENCES zones (province_code, zone_id),
  CHECK ((latitude IS NULL) = (longitude IS NULL))
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('facilities');
CREATE INDEX facilities_district_idx ON facilities (province_code, district_code);
CREATE INDEX facilities_zone_idx ON facilities (province_code, zone_id);

-- Facility accounts point at their facility.
ALTER TABLE accounts ADD FOREIGN KEY (province_code, facility_id)
  REFERENCES facilities (province_code, facility_id);
ALTER TABLE accounts ADD FOREIGN KEY (province_code, zone_id)
  REFERENCES zones (province_code, zone_id);

-- Every change of operating status; facilities.operating_status is the latest.
CREATE TABLE operating_status_changes (
  province_code text NOT NULL,
  change_id uuid NOT NULL DEFAULT gen_random_uuid(),
  facility_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')),
  reason text NOT NULL DEFAULT '',
  effective_date date NOT NULL,
  changed_by uuid,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (province_code, change_id),
  FOREIGN KEY (province_code, facility_id) REFERENCES facilities (province_code, facility_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('operating_status_changes');
CREATE INDEX operating_status_changes_facility_idx
  ON operating_status_changes (province_code, facility_id, changed_at);

CREATE TABLE issuance_batches (
  province_code text NOT NULL,
  batch_id uuid NOT NULL,
  request_id text,
  issued_by uuid NOT NULL,
  note text NOT NULL DEFAULT '',
  issued_count integer NOT NULL DEFAULT 0,
  already_issued_count integer NOT NULL DEFAULT 0,
  rejected_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (province_code, batch_id),
  UNIQUE (province_code, request_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('issuance_batches');

GRANT SELECT, INSERT, UPDATE ON zones, facilities, issuance_batches TO safemap_account;
GRANT SELECT, INSERT ON operating_status_changes TO safemap_account;
GRANT SELECT ON zones, facilities, operating_status_changes TO safemap_reporting;
