-- Schema v6: what delivery and incident connectors (GitHub, GitLab, Jenkins, git, PagerDuty,
-- Opsgenie, Jira, CSV) need to link changes and incidents to deployments across sources.

-- The commits each deployment shipped: new since the previous deployment of the same service
-- and environment, as its source reports them (compare API, build change sets, git rev-list).
CREATE TABLE deployment_commits (
    source                  VARCHAR NOT NULL,
    deployment_external_id  VARCHAR NOT NULL,
    commit_sha              VARCHAR NOT NULL,
    PRIMARY KEY (source, deployment_external_id, commit_sha)
);
COMMENT ON TABLE deployment_commits IS 'Commits a deployment shipped (new since the previous deployment of its service and environment), for linking changes to the deployment that shipped them.';
COMMENT ON COLUMN deployment_commits.source IS 'identifier | source of the deployment';
COMMENT ON COLUMN deployment_commits.deployment_external_id IS 'identifier | deployments.external_id of the deployment';
COMMENT ON COLUMN deployment_commits.commit_sha IS 'identifier | full commit SHA shipped by it';

ALTER TABLE changes ADD COLUMN link_method VARCHAR;
COMMENT ON COLUMN changes.link_method IS 'category | how deployment_* was found: source (the source said), commit (deployment_commits), sha (deployment of that very commit), time (first production deployment after the merge); NULL when not linked';

ALTER TABLE incidents ADD COLUMN deployment_ref VARCHAR;
ALTER TABLE incidents ADD COLUMN link_method VARCHAR;
COMMENT ON COLUMN incidents.deployment_ref IS 'identifier | deployment id or commit SHA (7+ characters) the incident names as its cause, as written in the source';
COMMENT ON COLUMN incidents.link_method IS 'category | how caused_by_* was found: source, reference (deployment_ref matched), window (last production deployment of the service within the window), none (window linking asked for, no deployment found); NULL for rows whose source set no link';
