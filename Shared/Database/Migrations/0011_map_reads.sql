-- 0011: a district's map layer from indexes alone.
--
-- A map layer of one district is about 7,000 facilities. Its points were read from the heap,
-- one page each, after scanning the box index across the whole province's width (a latitude
-- range, then every longitude in it). The index now leads with a latitude band of 0.01°
-- (about 1.1 km), so a box is a few short ranges, one per band (`latitude_band = ANY(...)`;
-- GiST would need operators that row-level security lets into an index scan, and the point
-- operators are not leakproof), and it carries everything a point and its level need, so the
-- points are an index-only scan. 0009's argument for a narrow index, HOT submissions, ended
-- with 0010's expiry index, which every submission changes anyway.
--
-- The legend counts the districts the box touches: their facilities past their validity and
-- those whose status ever changed. Both indexes answered for the whole province and were
-- filtered by district afterwards, a heap fetch per facility; they now lead with the district.

ALTER TABLE facility_status ADD COLUMN latitude_band integer
  GENERATED ALWAYS AS (floor(latitude * 100)::integer) STORED;

DROP INDEX facility_status_location_idx;
CREATE INDEX facility_status_map_idx
  ON facility_status (province_code, latitude_band, longitude, latitude)
  INCLUDE (district_code, issued_at, facility_id, name, status_changed, has_dormitory,
    workplace_map_level, workplace_valid_until, dormitory_map_level, dormitory_valid_until)
  WHERE latitude IS NOT NULL;

-- Also serves every district filter (its first two columns are the index it replaces).
DROP INDEX facility_status_district_idx;
CREATE INDEX facility_status_district_idx ON facility_status (province_code, district_code,
  least(workplace_valid_until, CASE WHEN has_dormitory THEN dormitory_valid_until END));

DROP INDEX facility_status_changed_idx;
CREATE INDEX facility_status_changed_idx ON facility_status (province_code, district_code,
  facility_id) WHERE status_changed;
