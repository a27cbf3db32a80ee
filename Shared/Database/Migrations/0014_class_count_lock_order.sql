-- 0014: a facility changing class writes two counters of facility_class_counts (one down, one
-- up). Written old-then-new, two facilities of a district swapping classes in concurrent
-- transactions (X→Y and Y→X) each held the row the other needed next: PostgreSQL broke the
-- deadlock by aborting one, and its submission answered ABORTED (found by `make run`'s
-- national demo, 16 submissions at a time). The counters are now written in the order of
-- their class, the same in every transaction, so one waits for the other instead.
CREATE OR REPLACE FUNCTION safemap_count_facility_class() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  old_unsafe boolean;
  new_unsafe boolean;
  old_key text;
  new_key text;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.issued_at IS NOT NULL THEN
    old_unsafe := coalesce(OLD.inspection_level = 'UNSAFE' AND OLD.inspected_at > GREATEST(
      OLD.workplace_submitted_at,
      CASE WHEN OLD.has_dormitory THEN OLD.dormitory_submitted_at END), false);
    old_key := format('%L|%L|%L|%L|%L|%L|%L|%L', OLD.district_code, OLD.zone_id,
      OLD.inside_zone, OLD.has_dormitory, OLD.workplace_map_level, OLD.dormitory_map_level,
      OLD.inspected_at IS NOT NULL, old_unsafe);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.issued_at IS NOT NULL THEN
    new_unsafe := coalesce(NEW.inspection_level = 'UNSAFE' AND NEW.inspected_at > GREATEST(
      NEW.workplace_submitted_at,
      CASE WHEN NEW.has_dormitory THEN NEW.dormitory_submitted_at END), false);
    new_key := format('%L|%L|%L|%L|%L|%L|%L|%L', NEW.district_code, NEW.zone_id,
      NEW.inside_zone, NEW.has_dormitory, NEW.workplace_map_level, NEW.dormitory_map_level,
      NEW.inspected_at IS NOT NULL, new_unsafe);
  END IF;
  IF new_key IS NOT NULL AND (old_key IS NULL OR new_key COLLATE "C" < old_key COLLATE "C") THEN
    PERFORM safemap_count_class(NEW.province_code, NEW.district_code, NEW.zone_id,
      NEW.inside_zone, NEW.has_dormitory, NEW.workplace_map_level, NEW.dormitory_map_level,
      NEW.inspected_at IS NOT NULL, new_unsafe, 1);
    new_key := NULL;
  END IF;
  IF old_key IS NOT NULL THEN
    PERFORM safemap_count_class(OLD.province_code, OLD.district_code, OLD.zone_id,
      OLD.inside_zone, OLD.has_dormitory, OLD.workplace_map_level, OLD.dormitory_map_level,
      OLD.inspected_at IS NOT NULL, old_unsafe, -1);
  END IF;
  IF new_key IS NOT NULL THEN
    PERFORM safemap_count_class(NEW.province_code, NEW.district_code, NEW.zone_id,
      NEW.inside_zone, NEW.has_dormitory, NEW.workplace_map_level, NEW.dormitory_map_level,
      NEW.inspected_at IS NOT NULL, new_unsafe, 1);
  END IF;
  RETURN NULL;
END $$;

REVOKE EXECUTE ON FUNCTION safemap_count_facility_class() FROM PUBLIC;
