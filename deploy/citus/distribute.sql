-- Distributes the SafeMap schema over a Citus cluster by province, when one PostgreSQL server
-- is no longer enough (docs/architecture.md). Run as the owner on the coordinator, after the
-- migrations, on an empty database (or during a maintenance window).
--
-- Every tenant table already leads its primary, unique and foreign keys with province_code,
-- which is what Citus requires of a distribution column; co-locating them keeps every
-- per-request transaction (one province) on one worker. Reference tables are replicated, so a
-- tenant table may refer to them (assessments -> catalogues) without province_code.
-- schema_migrations stays a local table of the coordinator: only the migrator reads it.
--
-- Tests/SafeMapDatabaseTests/CitusDistributionTests checks this file against the migrated
-- schema: every table with row-level security is distributed here, every other one is a
-- reference table, and every key of a tenant table includes province_code.
CREATE EXTENSION IF NOT EXISTS citus;

SELECT create_reference_table('provinces');
SELECT create_reference_table('districts');
SELECT create_reference_table('catalogues');
SELECT create_reference_table('account_directory');
SELECT create_reference_table('signing_keys');
SELECT create_reference_table('login_throttle');
SELECT create_reference_table('login_devices');

-- Citus distributes the partitioned parent; its province partitions follow.
SELECT create_distributed_table('zones', 'province_code');
SELECT create_distributed_table('facilities', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('accounts', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('refresh_tokens', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('web_sessions', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('audit_events', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('operating_status_changes', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('issuance_batches', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('assessments', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('inspections', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('facility_status', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('facility_class_counts', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('province_settings', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('campaigns', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('unit_report_submissions', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('unit_reports', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('unit_report_events', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('nomination_drives', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('nomination_drive_responses', 'province_code', colocate_with => 'zones');
SELECT create_distributed_table('nominations', 'province_code', colocate_with => 'zones');
