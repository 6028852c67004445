-- PyTorch profiler traces the agents found, analysed on the node and sent
-- (docs/traces.md). A file version is named by its node and the agent's
-- key ("<dev>:<ino>:<mtime_ns>:<size>"): sent again, it is stored once.
CREATE TABLE profiler_files (
    id                bigserial   PRIMARY KEY,
    node              text        NOT NULL,
    file_key          text        NOT NULL,
    path              text        NOT NULL,   -- as the container sees it
    namespace         text        NOT NULL DEFAULT '',
    pod               text        NOT NULL DEFAULT '',
    pod_uid           text        NOT NULL DEFAULT '',
    container         text        NOT NULL DEFAULT '',
    container_id      text        NOT NULL DEFAULT '',
    workload          text        NOT NULL DEFAULT '',
    workload_uid      text        NOT NULL DEFAULT '',
    pid               integer,
    size_bytes        bigint      NOT NULL,
    modified_at       timestamptz,
    found_at          timestamptz NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    status            text        NOT NULL,   -- analysed | partial | failed
    error             text        NOT NULL DEFAULT '',
    analysis_seconds  double precision,
    content           text        NOT NULL,   -- the agent's plan: sending | too_large | disabled
    max_content_bytes bigint,
    UNIQUE (node, file_key)
);
CREATE INDEX profiler_files_workload ON profiler_files (workload_uid, found_at);
CREATE INDEX profiler_files_pod ON profiler_files (pod_uid, found_at);
CREATE INDEX profiler_files_found ON profiler_files (found_at);

-- The analysis: the whole report (lib trace's JSON, as `lensctl trace
-- analyze -o json` prints it), and the pooled GPU timeline's rows as
-- columns for lists and comparisons.
CREATE TABLE profiler_results (
    file_id           bigint      PRIMARY KEY REFERENCES profiler_files (id) ON DELETE CASCADE,
    partial           boolean     NOT NULL,
    linking           text,                   -- ac2g | async_cpu_to_gpu | correlation | none
    gpu_events        bigint,
    unlinked_events   bigint,
    total_ms          double precision,
    busy_ms           double precision,
    idle_ms           double precision,
    computation_ms    double precision,
    exposed_comm_ms   double precision,
    exposed_memcpy_ms double precision,
    report            jsonb       NOT NULL
);

-- The content: one gzip stream, in the agent's chunks, which may arrive
-- before their file's row. Complete when the last chunk and every one
-- before it are here.
CREATE TABLE profiler_chunks (
    node        text        NOT NULL,
    file_key    text        NOT NULL,
    idx         integer     NOT NULL,
    last        boolean     NOT NULL,
    data        bytea       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node, file_key, idx)
);
-- gzip already: TOAST's compression would only cost time.
ALTER TABLE profiler_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- The time_ms of one row of a report's timeline (gpu_timeline by default).
CREATE FUNCTION lens_timeline_ms(report jsonb, row_type text, timeline text DEFAULT 'gpu_timeline')
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT (e->>'time_ms')::double precision
    FROM jsonb_array_elements(CASE jsonb_typeof(report->timeline) WHEN 'array'
                              THEN report->timeline ELSE '[]'::jsonb END) e
    WHERE e->>'type' = row_type LIMIT 1
$$;
