-- 0010: how many issued facilities there are now of each district, zone and class, kept in the
-- same transaction as every write to facility_status, so a report on "now" reads a few hundred
-- counters instead of classifying every facility of a province (60,000 in the largest).
--
-- A class is what a level is decided from, less time: each kind's latest level, the dormitory,
-- whether the facility was inspected and whether the latest inspection found it unsafe after
-- its latest submission. Whether a result is past its validity depends on the report's instant,
-- so it is not counted: a report moves the facilities whose earliest validity has passed
-- (facility_status_expiry_idx, a short range) from their class to OVERDUE, and the few stopped
-- at the instant to "stopped", as before. Facilities without an account are not counted.

CREATE TABLE facility_class_counts (
  province_code text NOT NULL,
  district_code text,
  zone_id uuid,
  inside_zone boolean NOT NULL,
  has_dormitory boolean NOT NULL,
  workplace_map_level text,
  dormitory_map_level text,
  inspected boolean NOT NULL,
  inspected_unsafe_since boolean NOT NULL,
  facilities int8 NOT NULL,
  UNIQUE NULLS NOT DISTINCT (province_code, district_code, zone_id, inside_zone, has_dormitory,
    workplace_map_level, dormitory_map_level, inspected, inspected_unsafe_since)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('facility_class_counts');
-- Tenant policies read app.province once per statement (0007).
DROP POLICY tenant_isolation ON facility_class_counts;
DROP POLICY national_read ON facility_class_counts;
CREATE POLICY tenant_isolation ON facility_class_counts
  USING (province_code = (SELECT current_setting('app.province', true)))
  WITH CHECK (province_code = (SELECT current_setting('app.province', true)));
CREATE POLICY national_read ON facility_class_counts FOR SELECT TO safemap_reporting
  USING ((SELECT current_setting('app.province', true)) = '*');

GRANT SELECT ON facility_class_counts TO safemap_reporting;

-- The earliest validity of a facility's required results; reports name this exact expression.
CREATE INDEX facility_status_expiry_idx ON facility_status (province_code,
  (least(workplace_valid_until, CASE WHEN has_dormitory THEN dormitory_valid_until END)));

-- Adds `delta` to the counter of a class. Runs as the schema owner (no service may write
-- counters); the row's province is the transaction's own, so row-level security still applies.
CREATE FUNCTION safemap_count_class(province text, district text, zone uuid, inside boolean,
  dormitory boolean, workplace_level text, dormitory_level text, inspected boolean,
  unsafe_since boolean, delta int8) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
  INSERT INTO facility_class_counts AS c (province_code, district_code, zone_id, inside_zone,
    has_dormitory, workplace_map_level, dormitory_map_level, inspected, inspected_unsafe_since,
    facilities)
  VALUES (province, district, zone, inside, dormitory, workplace_level, dormitory_level,
    inspected, unsafe_since, delta)
  ON CONFLICT (province_code, district_code, zone_id, inside_zone, has_dormitory,
    workplace_map_level, dormitory_map_level, inspected, inspected_unsafe_since)
  DO UPDATE SET facilities = c.facilities + excluded.facilities
$$;

-- OLD and NEW are rows of a partition (their own row types), so the class is taken apart here.
CREATE FUNCTION safemap_count_facility_class() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.issued_at IS NOT NULL THEN
    PERFORM safemap_count_class(OLD.province_code, OLD.district_code, OLD.zone_id,
      OLD.inside_zone, OLD.has_dormitory, OLD.workplace_map_level, OLD.dormitory_map_level,
      OLD.inspected_at IS NOT NULL,
      coalesce(OLD.inspection_level = 'UNSAFE' AND OLD.inspected_at > GREATEST(
        OLD.workplace_submitted_at,
        CASE WHEN OLD.has_dormitory THEN OLD.dormitory_submitted_at END), false),
      -1);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.issued_at IS NOT NULL THEN
    PERFORM safemap_count_class(NEW.province_code, NEW.district_code, NEW.zone_id,
      NEW.inside_zone, NEW.has_dormitory, NEW.workplace_map_level, NEW.dormitory_map_level,
      NEW.inspected_at IS NOT NULL,
      coalesce(NEW.inspection_level = 'UNSAFE' AND NEW.inspected_at > GREATEST(
        NEW.workplace_submitted_at,
        CASE WHEN NEW.has_dormitory THEN NEW.dormitory_submitted_at END), false),
      1);
  END IF;
  RETURN NULL;
END $$;

REVOKE EXECUTE ON FUNCTION safemap_count_class(text, text, uuid, boolean, boolean, text, text,
  boolean, boolean, int8) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION safemap_count_facility_class() FROM PUBLIC;

CREATE TRIGGER facility_status_count_insert AFTER INSERT OR DELETE ON facility_status
  FOR EACH ROW EXECUTE FUNCTION safemap_count_facility_class();
-- Most submissions keep their class (the same level as last week): no counter is written.
CREATE TRIGGER facility_status_count_update AFTER UPDATE ON facility_status
  FOR EACH ROW WHEN (
    (OLD.issued_at IS NULL, OLD.district_code, OLD.zone_id, OLD.inside_zone, OLD.has_dormitory,
      OLD.workplace_map_level, OLD.dormitory_map_level, OLD.inspected_at IS NULL,
      coalesce(OLD.inspection_level = 'UNSAFE' AND OLD.inspected_at > GREATEST(
        OLD.workplace_submitted_at,
        CASE WHEN OLD.has_dormitory THEN OLD.dormitory_submitted_at END), false))
    IS DISTINCT FROM
    (NEW.issued_at IS NULL, NEW.district_code, NEW.zone_id, NEW.inside_zone, NEW.has_dormitory,
      NEW.workplace_map_level, NEW.dormitory_map_level, NEW.inspected_at IS NULL,
      coalesce(NEW.inspection_level = 'UNSAFE' AND NEW.inspected_at > GREATEST(
        NEW.workplace_submitted_at,
        CASE WHEN NEW.has_dormitory THEN NEW.dormitory_submitted_at END), false)))
  EXECUTE FUNCTION safemap_count_facility_class();

-- Existing facilities, counted by the owner past row-level security for this one statement.
ALTER TABLE facility_status NO FORCE ROW LEVEL SECURITY;
ALTER TABLE facility_class_counts NO FORCE ROW LEVEL SECURITY;
INSERT INTO facility_class_counts (province_code, district_code, zone_id, inside_zone,
  has_dormitory, workplace_map_level, dormitory_map_level, inspected, inspected_unsafe_since,
  facilities)
SELECT s.province_code, s.district_code, s.zone_id, s.inside_zone, s.has_dormitory,
  s.workplace_map_level, s.dormitory_map_level, s.inspected_at IS NOT NULL,
  coalesce(s.inspection_level = 'UNSAFE' AND s.inspected_at > GREATEST(
    s.workplace_submitted_at,
    CASE WHEN s.has_dormitory THEN s.dormitory_submitted_at END), false),
  count(*)
FROM facility_status s
WHERE s.issued_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
ALTER TABLE facility_status FORCE ROW LEVEL SECURITY;
ALTER TABLE facility_class_counts FORCE ROW LEVEL SECURITY;
