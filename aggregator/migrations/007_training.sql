-- Training analysis (docs/training.md): per-iteration metrics from logs
-- and WandB, the runs they belong to, training events, framework
-- detections and user log patterns.
--
-- training_performance is not partitioned by time, unlike log_lines: its
-- key (workload, serial, iteration, source) must hold across all time (a
-- re-reported iteration merges into its row), and PostgreSQL enforces a
-- unique key on a partitioned table only when it includes the partition
-- column. It is one row per logged iteration (Megatron logs every
-- log-interval iterations), orders of magnitude below the log lines;
-- retention deletes the rows of runs that ended long enough ago.

-- One row per run attempt (serial) of a workload.
CREATE TABLE training_runs (
    workload_uid      text        NOT NULL,
    serial            integer     NOT NULL,
    run_id            text        NOT NULL DEFAULT '',  -- WandB's, when it reported
    started_at        timestamptz NOT NULL,
    last_iteration    bigint      NOT NULL DEFAULT 0,
    target_iterations bigint,
    last_at           timestamptz NOT NULL,             -- when the latest iteration was logged
    last_pod_uid      text        NOT NULL DEFAULT '',
    pods              jsonb       NOT NULL DEFAULT '{}', -- pod uid -> its latest iteration
    report_gap_ms     double precision,                 -- rolling median time between reports
    -- The last reports' values the rolling medians are taken over, so a
    -- report needs no read of earlier rows.
    recent_gaps       double precision[] NOT NULL DEFAULT '{}',
    recent_ms         double precision[] NOT NULL DEFAULT '{}',
    recent_tflops     double precision[] NOT NULL DEFAULT '{}',
    slow_streak       integer     NOT NULL DEFAULT 0,
    slow_since        bigint,                           -- iteration the slowdown was raised at
    hung_at           timestamptz,                      -- while no iteration came for too long
    ended_at          timestamptz,
    end_reason        text,
    PRIMARY KEY (workload_uid, serial)
);
CREATE INDEX training_runs_open ON training_runs (last_at) WHERE ended_at IS NULL;

CREATE TABLE training_performance (
    workload_uid  text        NOT NULL,
    pod_uid       text        NOT NULL DEFAULT '',
    serial        integer     NOT NULL,
    iteration     bigint      NOT NULL,
    data_source   text        NOT NULL CHECK (data_source IN ('log', 'wandb')),
    performance   jsonb       NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (workload_uid, serial, iteration, data_source)
);
CREATE INDEX training_performance_time ON training_performance (workload_uid, data_source, created_at);

-- start, checkpoint_save, checkpoint_load, end, hang, slowdown, nan_loss:
-- each at most once per (workload, serial, iteration), so lines read
-- twice give one event.
CREATE TABLE training_events (
    id           bigserial PRIMARY KEY,
    workload_uid text        NOT NULL,
    serial       integer     NOT NULL,
    type         text        NOT NULL,
    iteration    bigint      NOT NULL DEFAULT 0,
    occurred_at  timestamptz NOT NULL,
    pod_uid      text        NOT NULL DEFAULT '',
    source       text        NOT NULL,   -- log | wandb | kernel | detector
    details      jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX training_events_once ON training_events (workload_uid, serial, type, iteration);
CREATE INDEX training_events_time ON training_events (occurred_at);
CREATE INDEX training_events_workload ON training_events (workload_uid, occurred_at);

-- Checkpoint saves and loads whose start was seen and whose end is awaited.
CREATE TABLE training_checkpoints (
    workload_uid text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('save', 'load')),
    iteration    bigint      NOT NULL,
    started_at   timestamptz NOT NULL,
    details      jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (workload_uid, kind, iteration)
);

-- The best detection of each source (log, cmdline, wandb) per workload;
-- the workload's framework is the most confident source's.
CREATE TABLE framework_detections (
    workload_uid      text        NOT NULL,
    source            text        NOT NULL,
    wrapper_framework text        NOT NULL DEFAULT '',
    base_framework    text        NOT NULL DEFAULT '',
    confidence        real        NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    method            text        NOT NULL DEFAULT '',
    evidence          jsonb       NOT NULL DEFAULT '{}',
    detected_at       timestamptz NOT NULL,
    PRIMARY KEY (workload_uid, source)
);

-- Users' own iteration-line layouts: a PCRE2 regex whose named groups are
-- field names (iteration, lm_loss, ...), tried on lines the built-in
-- parser does not recognise.
CREATE TABLE training_log_patterns (
    id         bigserial PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    pattern    text        NOT NULL,
    enabled    boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Ends run p_prev (when there is one) and starts the next, resuming at
-- iteration p_i (0: from the start): a job's (re)start.
CREATE FUNCTION lens_training_new_run(p_prev training_runs, p_w text, p_pod text,
                                      p_t timestamptz, p_i bigint, p_run_id text)
RETURNS training_runs LANGUAGE plpgsql AS $$
DECLARE
    run training_runs%ROWTYPE;
BEGIN
    IF p_prev.serial IS NOT NULL THEN
        UPDATE training_runs t SET ended_at = coalesce(t.ended_at, p_prev.last_at),
               end_reason = coalesce(t.end_reason, 'restarted')
         WHERE t.workload_uid = p_w AND t.serial = p_prev.serial;
    END IF;
    INSERT INTO training_runs (workload_uid, serial, run_id, started_at, last_iteration, last_at,
                               last_pod_uid, pods)
    VALUES (p_w, coalesce(p_prev.serial, 0) + 1, coalesce(p_run_id, ''), p_t, p_i, p_t, p_pod,
            CASE WHEN p_i > 0 THEN jsonb_build_object(p_pod, p_i) ELSE '{}' END)
    RETURNING * INTO run;
    RETURN run;
END $$;

-- The run a report of workload w by pod p at iteration i, time t belongs
-- to (locked, as run), starting a new one (serial + 1) when the report
-- shows a restart:
--  * the same pod reports an iteration below its own latest, later in time
--    (the process or container restarted);
--  * a pod new to the run reports an iteration at or below the run's
--    latest, after the run was silent for p_gap (a replacement pod; pods
--    that all report together are not restarts);
--  * WandB reports a run id other than the run's;
--  * anything is reported after the run ended.
-- The iteration rules apply to log lines only: WandB re-reports steps as
-- a matter of course. A report at or before the run's latest time is a
-- re-read and never starts a run.
CREATE FUNCTION lens_training_run(p_w text, p_pod text, p_src text, p_i bigint, p_t timestamptz,
                                  p_run_id text, p_gap interval, OUT run training_runs,
                                  OUT started boolean)
LANGUAGE plpgsql AS $$
DECLARE
    r training_runs%ROWTYPE;
    pod_last bigint;
BEGIN
    started := false;
    SELECT * INTO r FROM training_runs t WHERE t.workload_uid = p_w ORDER BY t.serial DESC
     LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        started := true;
    ELSE
        pod_last := (r.pods ->> p_pod)::bigint;
        started := p_t > r.last_at AND (
               (p_src = 'log' AND pod_last IS NOT NULL AND p_i < pod_last)
            OR (p_src = 'log' AND pod_last IS NULL AND r.last_iteration > 0
                AND p_i <= r.last_iteration AND p_t - r.last_at > p_gap)
            OR (p_run_id <> '' AND r.run_id <> '' AND p_run_id <> r.run_id)
            OR (r.ended_at IS NOT NULL AND p_t > r.ended_at));
    END IF;
    IF started THEN
        run := lens_training_new_run(r, p_w, p_pod, p_t, 0, p_run_id);
    ELSE
        IF p_run_id <> '' AND r.run_id = '' THEN
            UPDATE training_runs t SET run_id = p_run_id
             WHERE t.workload_uid = p_w AND t.serial = r.serial;
            r.run_id := p_run_id;
        END IF;
        run := r;
    END IF;
END $$;

-- performance without its history and metadata, for comparing reports.
CREATE FUNCTION lens_perf_values(p jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT p - 'history' - 'created_at' - 'updated_at'
$$;

CREATE FUNCTION lens_median(a double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(a) x
$$;

-- a with v appended (when not NULL), the last n values kept.
CREATE FUNCTION lens_window(a double precision[], v double precision, n integer)
RETURNS double precision[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN a
                ELSE (a || v)[greatest(1, cardinality(a) + 2 - n):] END
$$;

-- A re-report of a stored iteration: an identical one (a line read twice)
-- changes nothing; a different one keeps the earlier values in history.
CREATE FUNCTION lens_training_rereport(p_w text, p_serial integer, p_pod text, p_src text,
                                       p_i bigint, p_t timestamptz, p_perf jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old training_performance%ROWTYPE;
BEGIN
    SELECT * INTO old FROM training_performance
     WHERE workload_uid = p_w AND serial = p_serial AND iteration = p_i AND data_source = p_src
       FOR UPDATE;
    IF lens_perf_values(old.performance) @> lens_perf_values(p_perf) THEN
        RETURN;
    END IF;
    UPDATE training_performance SET
        performance = lens_perf_values(old.performance) || lens_perf_values(p_perf)
            || jsonb_build_object('history',
                   coalesce(old.performance -> 'history', '[]'::jsonb)
                   || jsonb_build_array(lens_perf_values(old.performance)
                          || jsonb_build_object('updated_at', old.updated_at))),
        pod_uid = p_pod, updated_at = greatest(p_t, old.updated_at)
     WHERE workload_uid = p_w AND serial = p_serial AND iteration = p_i AND data_source = p_src;
END $$;

-- Raises a training event once per (workload, serial, type, iteration).
CREATE FUNCTION lens_training_event(p_w text, p_serial integer, p_type text, p_i bigint,
                                    p_t timestamptz, p_pod text, p_src text, p_details jsonb)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO training_events (workload_uid, serial, type, iteration, occurred_at, pod_uid,
                                 source, details)
    VALUES (p_w, p_serial, p_type, p_i, p_t, p_pod, p_src, p_details)
    ON CONFLICT DO NOTHING;
    RETURN FOUND;
END $$;

-- Stores one iteration report and runs the detections that follow from
-- it, from the run's rolling windows (no read of earlier rows). p_cfg:
-- {"slow_pct", "slow_iterations", "window", "restart_gap_ms"}. Returns
-- the events it raised.
CREATE FUNCTION lens_training_report(p_w text, p_pod text, p_src text, p_i bigint,
                                     p_t timestamptz, p_perf jsonb, p_run_id text,
                                     p_cfg jsonb)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    s record;
    r training_runs%ROWTYPE;
    gap double precision;
    gaps double precision[];
    med_ms double precision;
    med_tflops double precision;
    ms double precision := (p_perf ->> 'elapsed_time_per_iteration_ms')::double precision;
    tflops double precision := (p_perf ->> 'tflops_per_gpu')::double precision;
    pct double precision := coalesce((p_cfg ->> 'slow_pct')::double precision, 20) / 100;
    need integer := coalesce((p_cfg ->> 'slow_iterations')::integer, 3);
    win integer := coalesce((p_cfg ->> 'window')::integer, 20);
    slow boolean;
BEGIN
    s := lens_training_run(p_w, p_pod, p_src, p_i, p_t, p_run_id,
                           coalesce((p_cfg ->> 'restart_gap_ms')::double precision, 30000)
                           * interval '1 millisecond');
    r := s.run;
    IF s.started AND lens_training_event(p_w, r.serial, 'start', p_i, p_t, p_pod, p_src,
            jsonb_build_object('first_iteration', p_i, 'restart', r.serial > 1)) THEN
        RETURN NEXT 'start';
    END IF;
    IF p_i > r.last_iteration AND p_t > r.last_at AND r.last_iteration > 0 THEN
        gap := extract(epoch FROM p_t - r.last_at) * 1000;
    END IF;
    INSERT INTO training_performance (workload_uid, pod_uid, serial, iteration, data_source,
                                      performance, created_at, updated_at)
    VALUES (p_w, p_pod, r.serial, p_i, p_src, p_perf, p_t, p_t)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        PERFORM lens_training_rereport(p_w, r.serial, p_pod, p_src, p_i, p_t, p_perf);
        RETURN;
    END IF;

    -- This report against the medians of the ones before it.
    med_ms := lens_median(r.recent_ms);
    med_tflops := lens_median(r.recent_tflops);
    slow := (ms > 0 AND med_ms > 0 AND ms > med_ms * (1 + pct))
         OR (tflops >= 0 AND med_tflops > 0 AND tflops < med_tflops * (1 - pct));
    gaps := lens_window(r.recent_gaps, gap, win);
    UPDATE training_runs t SET
        last_iteration = greatest(t.last_iteration, p_i),
        last_at = greatest(t.last_at, p_t),
        last_pod_uid = p_pod,
        pods = t.pods || jsonb_build_object(p_pod, greatest(p_i, coalesce((t.pods ->> p_pod)::bigint, 0))),
        target_iterations = coalesce((p_perf ->> 'target_iterations')::bigint, t.target_iterations),
        recent_gaps = gaps,
        recent_ms = lens_window(t.recent_ms, ms, win),
        recent_tflops = lens_window(t.recent_tflops, tflops, win),
        report_gap_ms = coalesce(lens_median(gaps), t.report_gap_ms),
        slow_streak = CASE WHEN slow THEN t.slow_streak + 1 ELSE 0 END,
        slow_since = CASE WHEN slow THEN t.slow_since ELSE NULL END,
        hung_at = NULL
     WHERE t.workload_uid = p_w AND t.serial = r.serial
     RETURNING * INTO r;

    IF r.slow_streak >= need AND r.slow_since IS NULL THEN
        UPDATE training_runs t SET slow_since = p_i WHERE t.workload_uid = p_w AND t.serial = r.serial;
        IF lens_training_event(p_w, r.serial, 'slowdown', p_i, p_t, p_pod, 'detector',
               jsonb_strip_nulls(jsonb_build_object(
                   'iterations', r.slow_streak, 'threshold_percent', pct * 100,
                   'elapsed_time_per_iteration_ms', ms, 'median_elapsed_ms', med_ms,
                   'tflops_per_gpu', tflops, 'median_tflops_per_gpu', med_tflops))) THEN
            RETURN NEXT 'slowdown';
        END IF;
    END IF;
    IF p_perf ->> 'lm_loss' = 'NaN' AND NOT EXISTS (
        SELECT 1 FROM training_events e WHERE e.workload_uid = p_w AND e.serial = r.serial
           AND e.type = 'nan_loss') AND
       lens_training_event(p_w, r.serial, 'nan_loss', p_i, p_t, p_pod, p_src, '{}') THEN
        RETURN NEXT 'nan_loss';
    END IF;
    IF r.target_iterations IS NOT NULL AND p_i >= r.target_iterations THEN
        UPDATE training_runs t SET ended_at = p_t, end_reason = 'completed'
         WHERE t.workload_uid = p_w AND t.serial = r.serial;
        IF lens_training_event(p_w, r.serial, 'end', p_i, p_t, p_pod, p_src,
                               jsonb_build_object('reason', 'completed')) THEN
            RETURN NEXT 'end';
        END IF;
    END IF;
END $$;

-- A moment of a run: p_kind is launch (the exec of a training launcher,
-- from the kernel events), save_start, save_end, load_start, load_end (a
-- checkpoint) or end. A launch or a checkpoint load starts a new run when
-- there is none, or when the current one has reported iterations (or
-- ended) before: that is the job (re)starting, resuming at the loaded
-- iteration. A save or load is paired by (workload, iteration); its event
-- carries the duration (from the start line's time, or the line's own
-- "took N ms" in p_details). Returns the event raised, if any.
CREATE FUNCTION lens_training_mark(p_w text, p_pod text, p_kind text, p_i bigint,
                                   p_t timestamptz, p_details jsonb)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r training_runs%ROWTYPE;
    k text := split_part(p_kind, '_', 1);
    src text := CASE WHEN p_kind = 'launch' THEN 'kernel' ELSE 'log' END;
    started timestamptz;
    d jsonb := coalesce(p_details, '{}');
    restart boolean := false;
BEGIN
    SELECT * INTO r FROM training_runs t WHERE t.workload_uid = p_w ORDER BY t.serial DESC
     LIMIT 1 FOR UPDATE;
    IF p_kind IN ('launch', 'load_start')
       OR (p_kind = 'load_end' AND NOT EXISTS (SELECT 1 FROM training_checkpoints c
                                                WHERE c.workload_uid = p_w AND c.kind = 'load'
                                                  AND c.iteration = p_i)) THEN
        restart := r.serial IS NULL OR (r.last_iteration > 0 AND p_t > r.last_at)
                   OR (r.ended_at IS NOT NULL AND p_t > r.ended_at);
    END IF;
    IF restart THEN
        r := lens_training_new_run(r, p_w, p_pod, p_t,
                                   CASE WHEN p_kind = 'launch' THEN 0 ELSE p_i END, '');
        PERFORM lens_training_event(p_w, r.serial, 'start', r.last_iteration, p_t, p_pod, src,
                                    jsonb_build_object('first_iteration', r.last_iteration,
                                                       'restart', r.serial > 1)
                                    || CASE WHEN p_kind = 'launch' THEN d
                                            ELSE '{"from_checkpoint": true}' END);
    END IF;
    IF p_kind = 'launch' THEN
        RETURN CASE WHEN restart THEN 'start' END;
    END IF;
    IF p_kind IN ('save_start', 'load_start') THEN
        INSERT INTO training_checkpoints (workload_uid, kind, iteration, started_at, details)
        VALUES (p_w, k, p_i, p_t, d)
        ON CONFLICT (workload_uid, kind, iteration) DO UPDATE SET started_at = excluded.started_at,
            details = excluded.details;
        RETURN CASE WHEN restart THEN 'start' END;
    END IF;
    IF p_kind = 'end' THEN
        UPDATE training_runs t SET ended_at = p_t, end_reason = coalesce(d ->> 'reason', 'finished')
         WHERE t.workload_uid = p_w AND t.serial = coalesce(r.serial, 1);
        RETURN CASE WHEN lens_training_event(p_w, coalesce(r.serial, 1), 'end',
                                             coalesce(p_i, r.last_iteration, 0), p_t, p_pod, src, d)
                    THEN 'end' END;
    END IF;
    DELETE FROM training_checkpoints c WHERE c.workload_uid = p_w AND c.kind = k AND c.iteration = p_i
    RETURNING c.started_at, c.details || d INTO started, d;
    d := coalesce(d, p_details, '{}');
    IF NOT d ? 'duration_ms' AND started IS NOT NULL AND p_t >= started THEN
        d := d || jsonb_build_object('duration_ms',
                                     round(extract(epoch FROM p_t - started) * 1000));
    END IF;
    RETURN CASE WHEN lens_training_event(p_w, coalesce(r.serial, 1), 'checkpoint_' || k, p_i, p_t,
                                         p_pod, src, d)
                THEN 'checkpoint_' || k END;
END $$;

-- Open runs whose pod is gone ended with it. Runs with no report for N
-- times their usual gap between reports (at least p_min) are hung: one
-- event per stall, cleared by the next report. Runs silent for longer
-- than p_max_idle are left alone (their job is long over). Returns the
-- hangs raised.
CREATE FUNCTION lens_training_hangs(p_factor double precision, p_min interval,
                                    p_max_idle interval)
RETURNS TABLE (workload_uid text, serial integer, iteration bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    WITH gone AS (
        UPDATE training_runs r SET ended_at = p.gone_at, end_reason = 'pod_gone'
          FROM pods p
         WHERE r.ended_at IS NULL AND p.uid = r.last_pod_uid AND p.gone_at IS NOT NULL
        RETURNING r.workload_uid, r.serial, r.last_iteration, p.gone_at, r.last_pod_uid
    )
    INSERT INTO training_events (workload_uid, serial, type, iteration, occurred_at, pod_uid,
                                 source, details)
    SELECT g.workload_uid, g.serial, 'end', g.last_iteration, g.gone_at, g.last_pod_uid,
           'detector', jsonb_build_object('reason', 'pod_gone')
      FROM gone g
    ON CONFLICT DO NOTHING;

    RETURN QUERY
    WITH hung AS (
        UPDATE training_runs r SET hung_at = now()
         WHERE r.ended_at IS NULL AND r.hung_at IS NULL AND r.report_gap_ms IS NOT NULL
           AND r.last_at > now() - p_max_idle
           AND now() - r.last_at > greatest(p_min, p_factor * r.report_gap_ms * interval '1 millisecond')
        RETURNING r.workload_uid, r.serial, r.last_iteration, r.last_at, r.report_gap_ms,
                  r.last_pod_uid
    ), ev AS (
        INSERT INTO training_events (workload_uid, serial, type, iteration, occurred_at, pod_uid,
                                     source, details)
        SELECT h.workload_uid, h.serial, 'hang', h.last_iteration, now(), h.last_pod_uid,
               'detector',
               jsonb_build_object('last_iteration_at', h.last_at, 'median_report_gap_ms',
                                  h.report_gap_ms, 'factor', p_factor,
                                  'silent_seconds', round(extract(epoch FROM now() - h.last_at)))
          FROM hung h
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT h.workload_uid, h.serial, h.last_iteration FROM hung h;
END $$;

-- Keeps the more confident detection of a source; what one report lacks
-- (a wrapper seen in one line, a base in another) the earlier one gives.
CREATE FUNCTION lens_framework_report(p_w text, p_src text, p_wrapper text, p_base text,
                                      p_conf real, p_method text, p_evidence jsonb,
                                      p_t timestamptz)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    o framework_detections%ROWTYPE;
BEGIN
    SELECT * INTO o FROM framework_detections WHERE workload_uid = p_w AND source = p_src
       FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO framework_detections VALUES (p_w, p_src, coalesce(p_wrapper, ''),
            coalesce(p_base, ''), p_conf, coalesce(p_method, ''), coalesce(p_evidence, '{}'), p_t);
        RETURN true;
    END IF;
    IF (p_wrapper = '' OR p_wrapper = o.wrapper_framework)
       AND (p_base = '' OR p_base = o.base_framework) AND p_conf <= o.confidence THEN
        RETURN false;
    END IF;
    UPDATE framework_detections SET
        wrapper_framework = CASE WHEN p_wrapper <> '' AND (p_conf >= o.confidence OR o.wrapper_framework = '')
                                 THEN p_wrapper ELSE o.wrapper_framework END,
        base_framework = CASE WHEN p_base <> '' AND (p_conf >= o.confidence OR o.base_framework = '')
                              THEN p_base ELSE o.base_framework END,
        confidence = greatest(o.confidence, p_conf),
        method = CASE WHEN p_conf >= o.confidence THEN p_method ELSE o.method END,
        evidence = o.evidence || coalesce(p_evidence, '{}'),
        detected_at = p_t
     WHERE workload_uid = p_w AND source = p_src;
    RETURN true;
END $$;

-- The workloads a report of pod p belongs to: its workloads, or the pod
-- itself when it has none (a bare pod, or one not mapped yet).
CREATE FUNCTION lens_pod_workload_uids(p_pod text) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT array_agg(workload_uid ORDER BY workload_uid) FROM pod_workloads
                      WHERE pod_uid = p_pod), ARRAY[p_pod])
$$;

-- One flush of the training analysis, in order: p_items is a JSON array of
-- {"k": report | launch | save_start | save_end | load_start | load_end |
-- end | framework, "w": [workload uids] (else the pod's), "p": pod uid (else
-- found by "ns" and "pod", the names), "src", "i": iteration, "t":
-- microseconds since the epoch, "perf", "run", "d": details}. Returns each
-- event raised, and "unattributed" for an item of no known pod.
CREATE FUNCTION lens_training_batch(p_items jsonb, p_cfg jsonb)
RETURNS TABLE (workload_uid text, event text, iteration bigint) LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    it jsonb;
    w text;
    ws text[];
    pod text;
    t timestamptz;
    e text;
BEGIN
    FOR it IN SELECT * FROM jsonb_array_elements(p_items) LOOP
        pod := coalesce(nullif(it ->> 'p', ''),
                        (SELECT p.uid FROM pods p WHERE p.namespace = it ->> 'ns'
                            AND p.name = it ->> 'pod'
                          ORDER BY p.gone_at IS NULL DESC, p.last_seen DESC LIMIT 1), '');
        iteration := (it ->> 'i')::bigint;
        IF jsonb_typeof(it -> 'w') = 'array' AND jsonb_array_length(it -> 'w') > 0 THEN
            ws := ARRAY(SELECT jsonb_array_elements_text(it -> 'w'));
        ELSIF pod <> '' THEN
            ws := lens_pod_workload_uids(pod);
        ELSE
            workload_uid := '';
            event := 'unattributed';
            RETURN NEXT;
            CONTINUE;
        END IF;
        t := to_timestamp(0) + ((it ->> 't')::bigint) * interval '1 microsecond';
        FOREACH w IN ARRAY ws LOOP
            workload_uid := w;
            IF it ->> 'k' = 'report' THEN
                FOR e IN SELECT * FROM lens_training_report(w, pod, it ->> 'src',
                             (it ->> 'i')::bigint, t, it -> 'perf', coalesce(it ->> 'run', ''), p_cfg) LOOP
                    event := e;
                    RETURN NEXT;
                END LOOP;
            ELSIF it ->> 'k' = 'framework' THEN
                IF lens_framework_report(w, it ->> 'src', coalesce(it ->> 'wrapper', ''),
                                         coalesce(it ->> 'base', ''), (it ->> 'conf')::real,
                                         it ->> 'method', it -> 'd', t) THEN
                    event := 'framework';
                    RETURN NEXT;
                END IF;
            ELSE
                event := lens_training_mark(w, pod, it ->> 'k', (it ->> 'i')::bigint, t, it -> 'd');
                IF event IS NOT NULL THEN
                    RETURN NEXT;
                END IF;
            END IF;
        END LOOP;
    END LOOP;
END $$;

-- A workload named by UID or by name (the latest seen of that name), as
-- the API and lensctl accept either; the text itself when neither is
-- known (training data of a bare pod is kept under the pod's UID).
CREATE FUNCTION lens_workload_uid(p text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT uid FROM workloads WHERE uid = p),
                    (SELECT workload_uid FROM training_runs WHERE workload_uid = p LIMIT 1),
                    (SELECT uid FROM workloads WHERE name = p ORDER BY last_seen DESC LIMIT 1),
                    p)
$$;

-- Keys of performance that are not metrics.
CREATE FUNCTION lens_training_metadata() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['step', 'run_id', 'source', 'history', 'created_at', 'updated_at']
$$;
