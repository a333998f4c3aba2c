-- Schema v9: shipped_changes names the change each row is, so per-change lead times can be
-- checked against another tool row by row (the export carries them). Derived tables are rebuilt
-- after every migration, which fills the new columns.
ALTER TABLE shipped_changes ADD COLUMN change_source VARCHAR;
ALTER TABLE shipped_changes ADD COLUMN change_external_id VARCHAR;
COMMENT ON COLUMN shipped_changes.change_source IS 'identifier | source of the change (changes.source)';
COMMENT ON COLUMN shipped_changes.change_external_id IS 'identifier | the change''s id in its source (changes.external_id)';

-- Also v9: an incident imported from a tool without severities is stored as 'unknown' (never
-- guessed as SEV3); it counts in every incident KPI and in no severity band.
COMMENT ON COLUMN incidents.severity IS 'category | SEV1 (worst) to SEV4, or unknown when the source has no severity';
