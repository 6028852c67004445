-- Kernel events from the agents' eBPF programs (docs/events.md): one row
-- per event, partitioned by day on the time it happened so that retention
-- drops whole partitions. A DEFAULT partition takes what falls outside the
-- days created so far (a node with a wrong clock), so nothing is refused.
CREATE TABLE kernel_events (
    node         text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    type         text        NOT NULL,
    pid          integer     NOT NULL,
    tgid         integer     NOT NULL,
    comm         text        NOT NULL,
    cgroup_id    bigint      NOT NULL,
    pod_uid      text        NOT NULL DEFAULT '',
    namespace    text        NOT NULL DEFAULT '',
    pod          text        NOT NULL DEFAULT '',
    container    text        NOT NULL DEFAULT '',
    container_id text        NOT NULL DEFAULT '',
    workload     text        NOT NULL DEFAULT '',
    workload_uid text        NOT NULL DEFAULT '',
    details      jsonb       NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);
CREATE TABLE kernel_events_default PARTITION OF kernel_events DEFAULT;
CREATE INDEX kernel_events_occurred_at ON kernel_events (occurred_at);
CREATE INDEX kernel_events_node ON kernel_events (node, occurred_at);
CREATE INDEX kernel_events_pod ON kernel_events (pod_uid, occurred_at) WHERE pod_uid <> '';
CREATE INDEX kernel_events_workload ON kernel_events (workload_uid, occurred_at)
    WHERE workload_uid <> '';

-- Daily partitions for any table partitioned by range on a timestamptz
-- column, named <table>_YYYYMMDD, with a <table>_default partition.
-- Creates yesterday's, today's and the next p_days days' partitions; rows
-- the default partition took for one of those days move into it.
CREATE FUNCTION lens_ensure_partitions(p_table text, p_column text, p_days integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    d date;
    name text;
    lo timestamptz;
    hi timestamptz;
    created integer := 0;
BEGIN
    FOR i IN -1..p_days LOOP
        d := (now() AT TIME ZONE 'UTC')::date + i;
        name := p_table || '_' || to_char(d, 'YYYYMMDD');
        CONTINUE WHEN to_regclass(name) IS NOT NULL;
        lo := d::timestamp AT TIME ZONE 'UTC';
        hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
        EXECUTE format('CREATE TEMP TABLE IF NOT EXISTS lens_moved_rows (LIKE %I) ON COMMIT DROP',
                       p_table);
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *)'
                       ' INSERT INTO lens_moved_rows SELECT * FROM moved',
                       p_table || '_default', p_column, lo, p_column, hi);
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       name, p_table, lo, hi);
        EXECUTE format('INSERT INTO %I SELECT * FROM lens_moved_rows', p_table);
        DROP TABLE lens_moved_rows;
        created := created + 1;
    END LOOP;
    RETURN created;
END $$;

-- Drops the daily partitions of p_table that ended more than p_keep ago
-- and deletes the default partition's rows that old; returns the
-- partitions dropped.
CREATE FUNCTION lens_drop_partitions(p_table text, p_column text, p_keep interval)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    dropped integer := 0;
BEGIN
    FOR r IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = p_table::regclass
                AND c.relname ~ ('^' || p_table || '_[0-9]{8}$') LOOP
        IF (to_date(right(r.relname, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC'
           < now() - p_keep THEN
            EXECUTE format('DROP TABLE %I', r.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    EXECUTE format('DELETE FROM %I WHERE %I < %L', p_table || '_default', p_column,
                   now() - p_keep);
    RETURN dropped;
END $$;

-- The migration runner expects statements without rows.
DO $$ BEGIN PERFORM lens_ensure_partitions('kernel_events', 'occurred_at', 2); END $$;
