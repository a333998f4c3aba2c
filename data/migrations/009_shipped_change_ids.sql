-- Schema v9: shipped_changes names the change each row is, so per-change lead times can be
-- checked against another tool row by row (the export carries them). Derived tables are rebuilt
-- after every migration, which fills the new columns.
ALTER TABLE shipped_changes ADD COLUMN change_source VARCHAR;
ALTER TABLE shipped_changes ADD COLUMN change_external_id VARCHAR;
COMMENT ON COLUMN shipped_changes.change_source IS 'identifier | source of the change (changes.source)';
COMMENT ON COLUMN shipped_changes.change_external_id IS 'identifier | the change''s id in its source (changes.external_id)';
