-- 0009: the map reads its points from facility_status alone.
--
-- A map layer of one district returns thousands of points, each with the facility's name; the
-- join to facilities for that name read the whole province's registry on every call. The name
-- is now one more registry fact kept on facility_status by the trigger of 0007, in the same
-- transaction as the write to facilities that changes it. The box index also carries the
-- district and the issue time (neither changes with a submission, so submissions stay HOT
-- updates), so the districts a box touches are read from the index alone.

ALTER TABLE facility_status ADD COLUMN name text;

CREATE OR REPLACE FUNCTION safemap_sync_facility_registry() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO facility_status (province_code, facility_id, name, district_code, zone_id,
    inside_zone, has_dormitory, latitude, longitude, issued_at)
  VALUES (NEW.province_code, NEW.facility_id, NEW.name, NEW.district_code, NEW.zone_id,
    coalesce((SELECT z.zone_type IN ('INDUSTRIAL_ZONE', 'ECONOMIC_ZONE') FROM zones z
      WHERE z.province_code = NEW.province_code AND z.zone_id = NEW.zone_id), false),
    NEW.has_dormitory, NEW.latitude, NEW.longitude,
    (SELECT a.created_at FROM accounts a
      WHERE a.province_code = NEW.province_code AND a.facility_id = NEW.facility_id))
  ON CONFLICT (province_code, facility_id) DO UPDATE SET
    name = excluded.name, district_code = excluded.district_code, zone_id = excluded.zone_id,
    inside_zone = excluded.inside_zone, has_dormitory = excluded.has_dormitory,
    latitude = excluded.latitude, longitude = excluded.longitude;
  RETURN NULL;
END $$;

DROP TRIGGER facilities_sync_status ON facilities;
CREATE TRIGGER facilities_sync_status
  AFTER INSERT OR UPDATE OF name, district_code, zone_id, has_dormitory, latitude, longitude
  ON facilities FOR EACH ROW EXECUTE FUNCTION safemap_sync_facility_registry();

-- Existing facilities, read past row-level security by the owner for this one statement.
ALTER TABLE facilities NO FORCE ROW LEVEL SECURITY;
ALTER TABLE facility_status NO FORCE ROW LEVEL SECURITY;
UPDATE facility_status s SET name = f.name
FROM facilities f
WHERE f.province_code = s.province_code AND f.facility_id = s.facility_id;
ALTER TABLE facilities FORCE ROW LEVEL SECURITY;
ALTER TABLE facility_status FORCE ROW LEVEL SECURITY;

DROP INDEX facility_status_location_idx;
CREATE INDEX facility_status_location_idx ON facility_status (province_code, latitude, longitude)
  INCLUDE (district_code, issued_at) WHERE latitude IS NOT NULL;
