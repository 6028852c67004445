-- Log alert rules (docs/alerts.md): the rule as the API normalised it
-- (ruleset.c), matched by every aggregator replica against every stored
-- log line.
CREATE TABLE alert_rules (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    type       text        NOT NULL DEFAULT 'log' CHECK (type IN ('log')),
    enabled    boolean     NOT NULL DEFAULT true,
    config     jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
