-- Container log lines (docs/logs.md), partitioned by day on the time the
-- line was written, with the same partition functions as kernel_events.
-- Pod and workload come from the pod tables by pod_uid when the sender
-- gave one; the names are kept as sent so lines of pods never mapped stay
-- findable.
CREATE TABLE log_lines (
    node        text        NOT NULL DEFAULT '',
    namespace   text        NOT NULL,
    pod         text        NOT NULL,
    pod_uid     text        NOT NULL DEFAULT '',
    container   text        NOT NULL,
    stream      text        NOT NULL,   -- stdout | stderr
    logged_at   timestamptz NOT NULL,
    line        text        NOT NULL,
    source      text        NOT NULL,   -- agent | fluent-bit
    -- The agent's lines are named by their file ("dev:ino" on the node) and
    -- byte offset: a line read again after an agent restart is stored once.
    file_key    text        NOT NULL DEFAULT '',
    file_offset bigint,
    received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (logged_at);
CREATE TABLE log_lines_default PARTITION OF log_lines DEFAULT;
-- Lines are read per pod (or workload: its pods) and time, newest or oldest first.
CREATE INDEX log_lines_pod ON log_lines (namespace, pod, logged_at);
CREATE INDEX log_lines_pod_uid ON log_lines (pod_uid, logged_at) WHERE pod_uid <> '';
CREATE INDEX log_lines_logged_at ON log_lines USING brin (logged_at);
CREATE UNIQUE INDEX log_lines_once ON log_lines (node, file_key, file_offset, logged_at)
    WHERE file_key <> '';

DO $$ BEGIN PERFORM lens_ensure_partitions('log_lines', 'logged_at', 2); END $$;
