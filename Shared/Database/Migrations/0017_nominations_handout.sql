-- 0017: nominations of unregistered facilities and the credential hand-out (issue 21).
--
-- A district or zone-board officer nominates operating facilities that have no account; the
-- province approves, rejects or asks for information; approved nominations are issued as one
-- batch by the issuing officer. A nomination drive asks every unit to answer by a deadline;
-- a unit has answered once it nominated or said it had nothing (more) to nominate.
CREATE TABLE nomination_drives (
  province_code text NOT NULL,
  drive_id uuid NOT NULL,
  request_id text,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
  deadline timestamptz NOT NULL,
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (province_code, drive_id),
  UNIQUE (province_code, request_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('nomination_drives');

CREATE TABLE nomination_drive_responses (
  province_code text NOT NULL,
  drive_id uuid NOT NULL,
  unit_kind text NOT NULL CHECK (unit_kind IN ('DISTRICT', 'ZONE')),
  unit_code text NOT NULL,
  -- The first answer: a nomination, or "nothing (more) to nominate".
  responded_at timestamptz NOT NULL,
  responded_by uuid NOT NULL,
  -- The unit's closing word, when it gave one (the latest).
  comment text NOT NULL DEFAULT '' CHECK (length(comment) <= 1000),
  PRIMARY KEY (province_code, drive_id, unit_kind, unit_code),
  FOREIGN KEY (province_code, drive_id) REFERENCES nomination_drives (province_code, drive_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('nomination_drive_responses');

CREATE TABLE nominations (
  province_code text NOT NULL,
  nomination_id uuid NOT NULL,
  request_id text,
  drive_id uuid,
  unit_kind text NOT NULL CHECK (unit_kind IN ('DISTRICT', 'ZONE')),
  unit_code text NOT NULL,
  -- The registry fields as nominated: a serialized safemap.account.v1.Facility. Name, tax
  -- code and district are also columns, for the registry checks and the lists.
  facility bytea NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  tax_code text NOT NULL,
  district_code text NOT NULL,
  state text NOT NULL
    CHECK (state IN ('SUBMITTED', 'NEEDS_INFORMATION', 'APPROVED', 'REJECTED', 'ISSUED')),
  -- Similar names in the same district when it was last submitted, for the reviewer.
  warnings text[] NOT NULL DEFAULT '{}',
  -- The province's reason (rejection) or question (asking for information).
  reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
  -- The unit's comment, or its answer to the province's question.
  comment text NOT NULL DEFAULT '' CHECK (length(comment) <= 1000),
  nominated_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  reviewed_by uuid,
  reviewed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Set when the issuing officer issued it.
  batch_id uuid,
  facility_id uuid,
  PRIMARY KEY (province_code, nomination_id),
  UNIQUE (province_code, request_id),
  CHECK ((state = 'ISSUED') = (facility_id IS NOT NULL)),
  FOREIGN KEY (province_code, drive_id) REFERENCES nomination_drives (province_code, drive_id),
  FOREIGN KEY (province_code, facility_id) REFERENCES facilities (province_code, facility_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('nominations');
-- A tax code is nominated once at a time: a rejected one may be nominated again.
CREATE UNIQUE INDEX nominations_open_tax_code_idx
  ON nominations (province_code, tax_code) WHERE state <> 'REJECTED';
CREATE INDEX nominations_unit_idx
  ON nominations (province_code, unit_kind, unit_code, created_at);
CREATE INDEX nominations_state_idx ON nominations (province_code, state, created_at);

-- The hand-out: an account issued for the districts to hand out has no known password until
-- its district (or zone board) downloads or prints it, once; the district reissues an expired
-- one. Accounts issued before this migration were handed to their issuer on a sheet.
ALTER TABLE issuance_batches ADD COLUMN credential_delivery text NOT NULL DEFAULT 'ISSUER_SHEET'
  CHECK (credential_delivery IN ('ISSUER_SHEET', 'HAND_OUT'));
ALTER TABLE accounts
  ADD COLUMN handed_out_at timestamptz,
  ADD COLUMN handed_out_by uuid,
  ADD COLUMN hand_out_method text CHECK (hand_out_method IN ('ISSUER_SHEET', 'SHEET', 'LETTER')),
  -- The first sign-in.
  ADD COLUMN activated_at timestamptz;

ALTER TABLE accounts NO FORCE ROW LEVEL SECURITY;
UPDATE accounts SET handed_out_at = created_at, handed_out_by = created_by,
  hand_out_method = 'ISSUER_SHEET', activated_at = last_login_at
WHERE role = 'FACILITY';
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT ON nomination_drives TO safemap_account;
GRANT SELECT, INSERT, UPDATE ON nomination_drive_responses TO safemap_account;
GRANT SELECT, INSERT, UPDATE ON nominations TO safemap_account;
