-- Schema v1: the canonical warehouse of DESIGN.md §2.
-- Every column carries a comment "unit | meaning"; docs/data-dictionary.md is generated from them.
-- All timestamps are TIMESTAMPTZ and every connection runs with TimeZone = 'UTC'.

CREATE TABLE teams (
    team_id      VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    cost_centre  VARCHAR
);
COMMENT ON TABLE teams IS 'Engineering teams that own services. TechPulse reports on teams and services, never on individuals.';
COMMENT ON COLUMN teams.team_id IS 'identifier | stable slug, e.g. payments';
COMMENT ON COLUMN teams.name IS 'text | display name';
COMMENT ON COLUMN teams.cost_centre IS 'text | finance cost centre, optional';

CREATE TABLE services (
    service_id          VARCHAR PRIMARY KEY,
    team_id             VARCHAR NOT NULL REFERENCES teams (team_id),
    name                VARCHAR NOT NULL,
    tier                VARCHAR NOT NULL DEFAULT 'tier-2',
    repo_url            VARCHAR,
    sonar_project_key   VARCHAR,
    prometheus_selector VARCHAR
);
COMMENT ON TABLE services IS 'Deployable services, each owned by one team.';
COMMENT ON COLUMN services.service_id IS 'identifier | stable slug, e.g. checkout-api';
COMMENT ON COLUMN services.team_id IS 'identifier | owning team (teams.team_id)';
COMMENT ON COLUMN services.name IS 'text | display name';
COMMENT ON COLUMN services.tier IS 'category | criticality: tier-1 (customer facing), tier-2, tier-3';
COMMENT ON COLUMN services.repo_url IS 'URL | source repository';
COMMENT ON COLUMN services.sonar_project_key IS 'identifier | SonarQube project key';
COMMENT ON COLUMN services.prometheus_selector IS 'PromQL | label selector, e.g. {job="checkout-api"}';

CREATE TABLE deployments (
    source        VARCHAR NOT NULL,
    external_id   VARCHAR NOT NULL,
    service_id    VARCHAR NOT NULL,
    environment   VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,
    commit_sha    VARCHAR,
    url           VARCHAR,
    PRIMARY KEY (source, external_id)
);
COMMENT ON TABLE deployments IS 'One row per deployment attempt of a service to an environment.';
COMMENT ON COLUMN deployments.source IS 'identifier | connector that produced the row, e.g. github';
COMMENT ON COLUMN deployments.external_id IS 'identifier | id in the source system; (source, external_id) is the natural key';
COMMENT ON COLUMN deployments.service_id IS 'identifier | deployed service (services.service_id)';
COMMENT ON COLUMN deployments.environment IS 'category | target environment: production, staging, ...';
COMMENT ON COLUMN deployments.started_at IS 'UTC timestamp | deployment start';
COMMENT ON COLUMN deployments.finished_at IS 'UTC timestamp | deployment end; the moment the change is live';
COMMENT ON COLUMN deployments.status IS 'category | success, failure or cancelled';
COMMENT ON COLUMN deployments.commit_sha IS 'identifier | commit deployed';
COMMENT ON COLUMN deployments.url IS 'URL | link to the deployment in its source';

CREATE TABLE changes (
    source                    VARCHAR NOT NULL,
    external_id               VARCHAR NOT NULL,
    service_id                VARCHAR NOT NULL,
    commit_sha                VARCHAR,
    first_commit_at           TIMESTAMPTZ,
    opened_at                 TIMESTAMPTZ,
    merged_at                 TIMESTAMPTZ,
    deployment_source         VARCHAR,
    deployment_external_id    VARCHAR,
    url                       VARCHAR,
    PRIMARY KEY (source, external_id)
);
COMMENT ON TABLE changes IS 'Changes (pull/merge requests or commits) and the deployment that shipped them.';
COMMENT ON COLUMN changes.source IS 'identifier | connector that produced the row';
COMMENT ON COLUMN changes.external_id IS 'identifier | id in the source, e.g. PR number';
COMMENT ON COLUMN changes.service_id IS 'identifier | service the change belongs to';
COMMENT ON COLUMN changes.commit_sha IS 'identifier | merge or head commit';
COMMENT ON COLUMN changes.first_commit_at IS 'UTC timestamp | first commit of the change (start of lead time)';
COMMENT ON COLUMN changes.opened_at IS 'UTC timestamp | pull/merge request opened';
COMMENT ON COLUMN changes.merged_at IS 'UTC timestamp | merged into the main branch';
COMMENT ON COLUMN changes.deployment_source IS 'identifier | source of the deployment that shipped the change';
COMMENT ON COLUMN changes.deployment_external_id IS 'identifier | external_id of the deployment that shipped the change; NULL until shipped';
COMMENT ON COLUMN changes.url IS 'URL | link to the change in its source';

CREATE TABLE incidents (
    source                          VARCHAR NOT NULL,
    external_id                     VARCHAR NOT NULL,
    service_id                      VARCHAR NOT NULL,
    severity                        VARCHAR NOT NULL,
    title                           VARCHAR,
    started_at                      TIMESTAMPTZ NOT NULL,
    acknowledged_at                 TIMESTAMPTZ,
    resolved_at                     TIMESTAMPTZ,
    caused_by_deployment_source     VARCHAR,
    caused_by_deployment_external_id VARCHAR,
    url                             VARCHAR,
    PRIMARY KEY (source, external_id)
);
COMMENT ON TABLE incidents IS 'Production incidents, for MTTA, MTTR and change failure rate.';
COMMENT ON COLUMN incidents.source IS 'identifier | connector that produced the row, e.g. pagerduty';
COMMENT ON COLUMN incidents.external_id IS 'identifier | id in the source';
COMMENT ON COLUMN incidents.service_id IS 'identifier | affected service';
COMMENT ON COLUMN incidents.severity IS 'category | SEV1 (worst) to SEV4';
COMMENT ON COLUMN incidents.title IS 'text | short description';
COMMENT ON COLUMN incidents.started_at IS 'UTC timestamp | impact start (or alert time)';
COMMENT ON COLUMN incidents.acknowledged_at IS 'UTC timestamp | first acknowledgement by a responder';
COMMENT ON COLUMN incidents.resolved_at IS 'UTC timestamp | service restored; NULL while open';
COMMENT ON COLUMN incidents.caused_by_deployment_source IS 'identifier | source of the deployment that caused it';
COMMENT ON COLUMN incidents.caused_by_deployment_external_id IS 'identifier | external_id of the deployment that caused it';
COMMENT ON COLUMN incidents.url IS 'URL | link to the incident in its source';

-- Service-level samples: one row per service, environment and time bucket. Latency is kept as a
-- histogram (non-cumulative request counts per bucket, Prometheus default bounds) so that P95
-- over any period or set of services is computed from summed buckets, never averaged.
CREATE TABLE service_level_samples (
    service_id          VARCHAR NOT NULL,
    environment         VARCHAR NOT NULL DEFAULT 'production',
    bucket_start        TIMESTAMPTZ NOT NULL,
    bucket_seconds      INTEGER NOT NULL,
    requests            BIGINT NOT NULL,
    errors              BIGINT NOT NULL,
    probes_total        INTEGER,
    probes_ok           INTEGER,
    cpu_utilisation     DOUBLE,
    memory_utilisation  DOUBLE,
    latency_le_5ms      BIGINT NOT NULL DEFAULT 0,
    latency_le_10ms     BIGINT NOT NULL DEFAULT 0,
    latency_le_25ms     BIGINT NOT NULL DEFAULT 0,
    latency_le_50ms     BIGINT NOT NULL DEFAULT 0,
    latency_le_100ms    BIGINT NOT NULL DEFAULT 0,
    latency_le_250ms    BIGINT NOT NULL DEFAULT 0,
    latency_le_500ms    BIGINT NOT NULL DEFAULT 0,
    latency_le_1000ms   BIGINT NOT NULL DEFAULT 0,
    latency_le_2500ms   BIGINT NOT NULL DEFAULT 0,
    latency_le_5000ms   BIGINT NOT NULL DEFAULT 0,
    latency_le_10000ms  BIGINT NOT NULL DEFAULT 0,
    latency_le_inf      BIGINT NOT NULL DEFAULT 0
);
COMMENT ON TABLE service_level_samples IS 'Per-service time buckets of requests, errors, latency histogram, probes, CPU and memory. Natural key: (service_id, environment, bucket_start).';
COMMENT ON COLUMN service_level_samples.service_id IS 'identifier | measured service';
COMMENT ON COLUMN service_level_samples.environment IS 'category | environment measured, usually production';
COMMENT ON COLUMN service_level_samples.bucket_start IS 'UTC timestamp | start of the time bucket';
COMMENT ON COLUMN service_level_samples.bucket_seconds IS 'seconds | length of the time bucket (3600 = hourly)';
COMMENT ON COLUMN service_level_samples.requests IS 'count | requests served in the bucket';
COMMENT ON COLUMN service_level_samples.errors IS 'count | requests that failed (HTTP 5xx) in the bucket';
COMMENT ON COLUMN service_level_samples.probes_total IS 'count | synthetic probes run (uptime-based availability)';
COMMENT ON COLUMN service_level_samples.probes_ok IS 'count | synthetic probes that succeeded';
COMMENT ON COLUMN service_level_samples.cpu_utilisation IS 'fraction 0-1 | mean CPU utilisation over the bucket';
COMMENT ON COLUMN service_level_samples.memory_utilisation IS 'fraction 0-1 | mean memory utilisation over the bucket';
COMMENT ON COLUMN service_level_samples.latency_le_5ms IS 'count | requests with latency in (0, 5 ms]';
COMMENT ON COLUMN service_level_samples.latency_le_10ms IS 'count | requests with latency in (5, 10 ms]';
COMMENT ON COLUMN service_level_samples.latency_le_25ms IS 'count | requests with latency in (10, 25 ms]';
COMMENT ON COLUMN service_level_samples.latency_le_50ms IS 'count | requests with latency in (25, 50 ms]';
COMMENT ON COLUMN service_level_samples.latency_le_100ms IS 'count | requests with latency in (50, 100 ms]';
COMMENT ON COLUMN service_level_samples.latency_le_250ms IS 'count | requests with latency in (100, 250 ms]';
COMMENT ON COLUMN service_level_samples.latency_le_500ms IS 'count | requests with latency in (250, 500 ms]';
COMMENT ON COLUMN service_level_samples.latency_le_1000ms IS 'count | requests with latency in (500 ms, 1 s]';
COMMENT ON COLUMN service_level_samples.latency_le_2500ms IS 'count | requests with latency in (1, 2.5 s]';
COMMENT ON COLUMN service_level_samples.latency_le_5000ms IS 'count | requests with latency in (2.5, 5 s]';
COMMENT ON COLUMN service_level_samples.latency_le_10000ms IS 'count | requests with latency in (5, 10 s]';
COMMENT ON COLUMN service_level_samples.latency_le_inf IS 'count | requests slower than 10 s';

CREATE TABLE quality_snapshots (
    source                    VARCHAR NOT NULL,
    project_key               VARCHAR NOT NULL,
    service_id                VARCHAR NOT NULL,
    analysed_at               TIMESTAMPTZ NOT NULL,
    lines_to_cover            BIGINT,
    uncovered_lines           BIGINT,
    conditions_to_cover       BIGINT,
    uncovered_conditions      BIGINT,
    new_lines_to_cover        BIGINT,
    new_uncovered_lines       BIGINT,
    technical_debt_minutes    BIGINT,
    bugs                      INTEGER,
    vulnerabilities           INTEGER,
    code_smells               INTEGER,
    duplicated_lines_density  DOUBLE,
    quality_gate_status       VARCHAR,
    PRIMARY KEY (source, project_key, analysed_at)
);
COMMENT ON TABLE quality_snapshots IS 'SonarQube analyses: coverage counts (so coverage can be weighted), debt and issues.';
COMMENT ON COLUMN quality_snapshots.source IS 'identifier | sonarqube or sonarcloud';
COMMENT ON COLUMN quality_snapshots.project_key IS 'identifier | SonarQube project key';
COMMENT ON COLUMN quality_snapshots.service_id IS 'identifier | service analysed';
COMMENT ON COLUMN quality_snapshots.analysed_at IS 'UTC timestamp | analysis date';
COMMENT ON COLUMN quality_snapshots.lines_to_cover IS 'count | executable lines (Sonar lines_to_cover)';
COMMENT ON COLUMN quality_snapshots.uncovered_lines IS 'count | executable lines not run by tests';
COMMENT ON COLUMN quality_snapshots.conditions_to_cover IS 'count | branch outcomes to cover (Sonar conditions_to_cover)';
COMMENT ON COLUMN quality_snapshots.uncovered_conditions IS 'count | branch outcomes not covered';
COMMENT ON COLUMN quality_snapshots.new_lines_to_cover IS 'count | executable lines in new code';
COMMENT ON COLUMN quality_snapshots.new_uncovered_lines IS 'count | new-code lines not covered';
COMMENT ON COLUMN quality_snapshots.technical_debt_minutes IS 'minutes | remediation effort (Sonar sqale_index); 480 minutes = 1 day';
COMMENT ON COLUMN quality_snapshots.bugs IS 'count | open bugs';
COMMENT ON COLUMN quality_snapshots.vulnerabilities IS 'count | open vulnerabilities';
COMMENT ON COLUMN quality_snapshots.code_smells IS 'count | open code smells';
COMMENT ON COLUMN quality_snapshots.duplicated_lines_density IS 'percent 0-100 | duplicated lines';
COMMENT ON COLUMN quality_snapshots.quality_gate_status IS 'category | OK, WARN or ERROR';

CREATE TABLE investments (
    source       VARCHAR NOT NULL,
    external_id  VARCHAR NOT NULL,
    spent_on     DATE NOT NULL,
    category     VARCHAR NOT NULL,
    amount       DECIMAL(14, 2) NOT NULL,
    currency     VARCHAR NOT NULL,
    description  VARCHAR,
    team_id      VARCHAR,
    PRIMARY KEY (source, external_id)
);
COMMENT ON TABLE investments IS 'Investment ledger for ROI: what was spent on tooling, platform and training.';
COMMENT ON COLUMN investments.source IS 'identifier | where the entry came from (csv, demo, ...)';
COMMENT ON COLUMN investments.external_id IS 'identifier | ledger entry id';
COMMENT ON COLUMN investments.spent_on IS 'date | booking date';
COMMENT ON COLUMN investments.category IS 'category | tooling, platform, training, consulting, ...';
COMMENT ON COLUMN investments.amount IS 'currency amount | amount spent, in currency';
COMMENT ON COLUMN investments.currency IS 'ISO 4217 code | currency of amount, e.g. EUR';
COMMENT ON COLUMN investments.description IS 'text | what was bought';
COMMENT ON COLUMN investments.team_id IS 'identifier | team that benefits; NULL for organisation-wide';

CREATE TABLE annotations (
    annotation_id  VARCHAR PRIMARY KEY,
    occurred_on    DATE NOT NULL,
    scope          VARCHAR NOT NULL,
    scope_id       VARCHAR,
    kind           VARCHAR NOT NULL,
    text           VARCHAR NOT NULL
);
COMMENT ON TABLE annotations IS 'Dated events shown as markers on charts (adoptions, reorganisations, outages).';
COMMENT ON COLUMN annotations.annotation_id IS 'identifier | annotation id';
COMMENT ON COLUMN annotations.occurred_on IS 'date | when it happened';
COMMENT ON COLUMN annotations.scope IS 'category | organisation, team or service';
COMMENT ON COLUMN annotations.scope_id IS 'identifier | team_id or service_id; NULL for organisation';
COMMENT ON COLUMN annotations.kind IS 'category | adoption, incident, organisation, release';
COMMENT ON COLUMN annotations.text IS 'text | what happened';

CREATE TABLE actions (
    action_id    VARCHAR PRIMARY KEY,
    quarter      VARCHAR NOT NULL,
    title        VARCHAR NOT NULL,
    kpi          VARCHAR,
    owner_team   VARCHAR,
    pdca_stage   VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,
    due_on       DATE,
    created_at   TIMESTAMPTZ NOT NULL,
    closed_at    TIMESTAMPTZ,
    note         VARCHAR
);
COMMENT ON TABLE actions IS 'PDCA improvement actions reviewed each quarter.';
COMMENT ON COLUMN actions.action_id IS 'identifier | action id';
COMMENT ON COLUMN actions.quarter IS 'quarter | quarter it was raised in, e.g. 2026-Q3';
COMMENT ON COLUMN actions.title IS 'text | what will be done';
COMMENT ON COLUMN actions.kpi IS 'identifier | KPI it should move (metric name)';
COMMENT ON COLUMN actions.owner_team IS 'identifier | owning team (teams, never a person)';
COMMENT ON COLUMN actions.pdca_stage IS 'category | plan, do, check or act';
COMMENT ON COLUMN actions.status IS 'category | open or closed';
COMMENT ON COLUMN actions.due_on IS 'date | due date';
COMMENT ON COLUMN actions.created_at IS 'UTC timestamp | when it was raised';
COMMENT ON COLUMN actions.closed_at IS 'UTC timestamp | when it was closed';
COMMENT ON COLUMN actions.note IS 'text | progress note';

CREATE TABLE sync_runs (
    run_id       VARCHAR PRIMARY KEY,
    source       VARCHAR NOT NULL,
    stream       VARCHAR,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL,
    rows_written BIGINT NOT NULL DEFAULT 0,
    error        VARCHAR
);
COMMENT ON TABLE sync_runs IS 'One row per connector run: what it wrote, how long it took, why it failed.';
COMMENT ON COLUMN sync_runs.run_id IS 'identifier | run id';
COMMENT ON COLUMN sync_runs.source IS 'identifier | connector name';
COMMENT ON COLUMN sync_runs.stream IS 'identifier | stream within the connector, NULL for all';
COMMENT ON COLUMN sync_runs.started_at IS 'UTC timestamp | run start';
COMMENT ON COLUMN sync_runs.finished_at IS 'UTC timestamp | run end';
COMMENT ON COLUMN sync_runs.status IS 'category | running, success or failed';
COMMENT ON COLUMN sync_runs.rows_written IS 'count | rows inserted or updated';
COMMENT ON COLUMN sync_runs.error IS 'text | error message for failed runs (never contains secrets)';

CREATE TABLE sync_cursors (
    source        VARCHAR NOT NULL,
    stream        VARCHAR NOT NULL,
    cursor_value  VARCHAR NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, stream)
);
COMMENT ON TABLE sync_cursors IS 'Incremental sync position per source and stream.';
COMMENT ON COLUMN sync_cursors.source IS 'identifier | connector name';
COMMENT ON COLUMN sync_cursors.stream IS 'identifier | stream name';
COMMENT ON COLUMN sync_cursors.cursor_value IS 'text | last value seen (ISO-8601 timestamp or opaque token)';
COMMENT ON COLUMN sync_cursors.updated_at IS 'UTC timestamp | when the cursor moved';
