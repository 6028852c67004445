-- Metric-threshold alert rules over the agents' device samples
-- (metricrules.c) live beside the log rules.
ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_type_check;
ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_type_check CHECK (type IN ('log', 'metric'));
