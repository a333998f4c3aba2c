-- Schema v8: the organisation catalog (config/catalog.toml, `python -m data catalog apply`).
-- Teams and services gain what a real organisation declares once: the team tree and a group to
-- contact (never a person's figures), each service's lifecycle, environments and the key each
-- source knows it by. Retiring keeps every row: a retired team or service leaves the catalog's
-- current lists but its history stays in past periods.
ALTER TABLE teams ADD COLUMN parent_team_id VARCHAR;
ALTER TABLE teams ADD COLUMN owner_group VARCHAR;
ALTER TABLE teams ADD COLUMN retired_on DATE;
COMMENT ON COLUMN teams.parent_team_id IS 'identifier | the team it belongs to (teams.team_id), NULL at the top';
COMMENT ON COLUMN teams.owner_group IS 'text | a group to contact (mailing list, chat channel), never a person';
COMMENT ON COLUMN teams.retired_on IS 'date | UTC day the catalog retired it; NULL while active';

ALTER TABLE services ADD COLUMN lifecycle VARCHAR DEFAULT 'production';
ALTER TABLE services ADD COLUMN environments VARCHAR;
ALTER TABLE services ADD COLUMN gitlab_project VARCHAR;
ALTER TABLE services ADD COLUMN jenkins_job VARCHAR;
ALTER TABLE services ADD COLUMN pagerduty_service VARCHAR;
ALTER TABLE services ADD COLUMN jira_component VARCHAR;
ALTER TABLE services ADD COLUMN retired_on DATE;
COMMENT ON COLUMN services.lifecycle IS 'category | experimental, production or deprecated';
COMMENT ON COLUMN services.environments IS 'identifiers | environments it runs in, comma-separated, lower case; NULL when not declared';
COMMENT ON COLUMN services.gitlab_project IS 'identifier | GitLab project path, e.g. acme/checkout';
COMMENT ON COLUMN services.jenkins_job IS 'identifier | Jenkins job full name, e.g. checkout/deploy';
COMMENT ON COLUMN services.pagerduty_service IS 'identifier | PagerDuty service id, e.g. PABC123';
COMMENT ON COLUMN services.jira_component IS 'identifier | Jira component name';
COMMENT ON COLUMN services.retired_on IS 'date | UTC day the catalog retired it; NULL while active';
