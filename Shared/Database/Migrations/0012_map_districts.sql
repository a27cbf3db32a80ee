-- 0012: the districts a map's box touches, without reading the box.
--
-- The legend lists every district with an issued facility in the box. Reading them off the box
-- index meant every point of the box again (7,000 for a district, a fifth of the map's time in
-- PostgreSQL). With this index each district of the province answers "any facility in the box?"
-- with one short range per latitude band and stops at the first.

CREATE INDEX facility_status_map_district_idx
  ON facility_status (province_code, district_code, latitude_band, longitude, latitude)
  INCLUDE (issued_at, zone_id)
  WHERE latitude IS NOT NULL;
