-- 0008: reads of part of a province from facility_status: a district's facilities (district
-- officers, the map's district counts) and the facilities inside a map's box.

CREATE INDEX facility_status_district_idx ON facility_status (province_code, district_code);
CREATE INDEX facility_status_location_idx ON facility_status (province_code, latitude, longitude)
  WHERE latitude IS NOT NULL;
