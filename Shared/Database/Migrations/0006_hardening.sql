-- 0006: sessions with an absolute end, and least privilege (issue 8).
--
-- README.md "Database roles" has the table of roles × tables × privileges this leaves, and
-- PrivilegeCatalogueTests compares the live catalogue with it.

-- A session ends 30 days after its login whatever its rotations; each refresh token carries
-- the login's instant. Existing tokens count from their own creation.
ALTER TABLE refresh_tokens ADD COLUMN session_started_at timestamptz NOT NULL DEFAULT now();
UPDATE refresh_tokens SET session_started_at = created_at;

-- Nobody but the owner creates objects in the schema, or temporary tables.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$ BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;
-- The migration helpers are the owner's.
REVOKE EXECUTE ON FUNCTION safemap_make_tenant_table(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION safemap_add_province_partitions(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION safemap_tenant_codes() FROM PUBLIC;

-- account-service: only what its statements use.
REVOKE UPDATE, DELETE ON account_directory FROM safemap_account;
REVOKE DELETE ON refresh_tokens FROM safemap_account;
REVOKE UPDATE ON zones FROM safemap_account;

-- Reporting reads the facility accounts' usernames and issue dates, never a password hash,
-- a one-time password's expiry or contact details of officers: column grants only.
REVOKE SELECT ON accounts FROM safemap_reporting;
GRANT SELECT (province_code, account_id, username, role, district_code, zone_id, facility_id,
              disabled, created_at, last_login_at)
  ON accounts TO safemap_reporting;

-- Every service audits its own mutations (assessment: catalogues, settings, inspections,
-- refused submissions; reporting: campaigns). Only account-service reads the log.
GRANT INSERT ON audit_events TO safemap_assessment, safemap_reporting;
