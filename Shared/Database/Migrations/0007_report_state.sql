-- 0007: facility_status becomes the one narrow row per facility that reports on "now" read.
--
-- Besides the latest assessment of each kind and the latest inspection (written by
-- assessment-service), it now carries the registry facts every report groups and counts by:
-- district, zone and whether the zone is an industrial or economic zone, dormitory, location,
-- and when the facility's account was issued. Triggers keep them in the same transaction as
-- the write to facilities or accounts that changes them, whoever writes (a service, a tool, a
-- migration), so a report scans one narrow table instead of joining three wide ones.

ALTER TABLE facility_status
  ADD COLUMN district_code text,
  ADD COLUMN zone_id uuid,
  ADD COLUMN inside_zone boolean NOT NULL DEFAULT false,
  ADD COLUMN has_dormitory boolean NOT NULL DEFAULT false,
  ADD COLUMN latitude double precision,
  ADD COLUMN longitude double precision,
  ADD COLUMN issued_at timestamptz,
  -- Whether the facility's operating status ever changed: the others are active at every
  -- instant, so only these few need the status history (partial index below).
  ADD COLUMN status_changed boolean NOT NULL DEFAULT false;
CREATE INDEX facility_status_changed_idx ON facility_status (province_code, facility_id)
  WHERE status_changed;

-- Runs as the schema owner (services hold no privilege for these columns); the row's province
-- is the transaction's own, so row-level security still applies.
CREATE FUNCTION safemap_sync_facility_registry() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO facility_status (province_code, facility_id, district_code, zone_id, inside_zone,
    has_dormitory, latitude, longitude, issued_at)
  VALUES (NEW.province_code, NEW.facility_id, NEW.district_code, NEW.zone_id,
    coalesce((SELECT z.zone_type IN ('INDUSTRIAL_ZONE', 'ECONOMIC_ZONE') FROM zones z
      WHERE z.province_code = NEW.province_code AND z.zone_id = NEW.zone_id), false),
    NEW.has_dormitory, NEW.latitude, NEW.longitude,
    (SELECT a.created_at FROM accounts a
      WHERE a.province_code = NEW.province_code AND a.facility_id = NEW.facility_id))
  ON CONFLICT (province_code, facility_id) DO UPDATE SET
    district_code = excluded.district_code, zone_id = excluded.zone_id,
    inside_zone = excluded.inside_zone, has_dormitory = excluded.has_dormitory,
    latitude = excluded.latitude, longitude = excluded.longitude;
  RETURN NULL;
END $$;

CREATE FUNCTION safemap_sync_facility_issued() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE facility_status SET issued_at = NEW.created_at
  WHERE province_code = NEW.province_code AND facility_id = NEW.facility_id;
  RETURN NULL;
END $$;

CREATE FUNCTION safemap_sync_facility_status_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE facility_status SET status_changed = true
  WHERE province_code = NEW.province_code AND facility_id = NEW.facility_id
    AND NOT status_changed;
  RETURN NULL;
END $$;

REVOKE EXECUTE ON FUNCTION safemap_sync_facility_registry() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION safemap_sync_facility_issued() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION safemap_sync_facility_status_changed() FROM PUBLIC;

CREATE TRIGGER facilities_sync_status
  AFTER INSERT OR UPDATE OF district_code, zone_id, has_dormitory, latitude, longitude
  ON facilities FOR EACH ROW EXECUTE FUNCTION safemap_sync_facility_registry();
CREATE TRIGGER accounts_sync_status
  AFTER INSERT OR UPDATE OF created_at, facility_id ON accounts
  FOR EACH ROW WHEN (NEW.facility_id IS NOT NULL) EXECUTE FUNCTION safemap_sync_facility_issued();
CREATE TRIGGER operating_status_changes_sync_status
  AFTER INSERT ON operating_status_changes
  FOR EACH ROW EXECUTE FUNCTION safemap_sync_facility_status_changed();

-- Existing facilities, read past row-level security by the owner for this one statement.
ALTER TABLE facilities NO FORCE ROW LEVEL SECURITY;
ALTER TABLE accounts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE zones NO FORCE ROW LEVEL SECURITY;
ALTER TABLE facility_status NO FORCE ROW LEVEL SECURITY;
ALTER TABLE operating_status_changes NO FORCE ROW LEVEL SECURITY;
INSERT INTO facility_status (province_code, facility_id, district_code, zone_id, inside_zone,
  has_dormitory, latitude, longitude, issued_at, status_changed)
SELECT f.province_code, f.facility_id, f.district_code, f.zone_id,
  coalesce(z.zone_type IN ('INDUSTRIAL_ZONE', 'ECONOMIC_ZONE'), false), f.has_dormitory,
  f.latitude, f.longitude, a.created_at,
  EXISTS (SELECT 1 FROM operating_status_changes c
    WHERE c.province_code = f.province_code AND c.facility_id = f.facility_id)
FROM facilities f
LEFT JOIN zones z ON z.province_code = f.province_code AND z.zone_id = f.zone_id
LEFT JOIN accounts a ON a.province_code = f.province_code AND a.facility_id = f.facility_id
ON CONFLICT (province_code, facility_id) DO UPDATE SET
  district_code = excluded.district_code, zone_id = excluded.zone_id,
  inside_zone = excluded.inside_zone, has_dormitory = excluded.has_dormitory,
  latitude = excluded.latitude, longitude = excluded.longitude, issued_at = excluded.issued_at,
  status_changed = excluded.status_changed;
ALTER TABLE operating_status_changes FORCE ROW LEVEL SECURITY;
ALTER TABLE facilities FORCE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
ALTER TABLE zones FORCE ROW LEVEL SECURITY;
ALTER TABLE facility_status FORCE ROW LEVEL SECURITY;

-- Evaluate the tenant setting once per statement (an init plan), not once per row: on a
-- province of 60,000 facilities the per-row call was a large part of every report.
DO $$
DECLARE tbl text;
BEGIN
  FOR tbl IN SELECT DISTINCT tablename FROM pg_policies
             WHERE policyname = 'tenant_isolation' AND schemaname = current_schema() LOOP
    EXECUTE format('DROP POLICY tenant_isolation ON %I', tbl);
    EXECUTE format('DROP POLICY national_read ON %I', tbl);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                     USING (province_code = (SELECT current_setting('app.province', true)))
                     WITH CHECK (province_code = (SELECT current_setting('app.province', true)))$p$,
                   tbl);
    EXECUTE format($p$CREATE POLICY national_read ON %I FOR SELECT TO safemap_reporting
                     USING ((SELECT current_setting('app.province', true)) = '*')$p$, tbl);
  END LOOP;
END $$;

-- New tenant tables get the same policies.
CREATE OR REPLACE FUNCTION safemap_make_tenant_table(tbl text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE code text;
BEGIN
  FOR code IN SELECT safemap_tenant_codes() LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES IN (%L)',
                   tbl || '_p' || code, tbl, code);
  END LOOP;
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                   USING (province_code = (SELECT current_setting('app.province', true)))
                   WITH CHECK (province_code = (SELECT current_setting('app.province', true)))$p$,
                 tbl);
  EXECUTE format($p$CREATE POLICY national_read ON %I FOR SELECT TO safemap_reporting
                   USING ((SELECT current_setting('app.province', true)) = '*')$p$, tbl);
END $$;
REVOKE EXECUTE ON FUNCTION safemap_make_tenant_table(text) FROM PUBLIC;
