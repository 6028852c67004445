-- The unified alert system (docs/alerts.md): one alert model for every
-- source, silences, and correlation. Alerts are kept, deduplicated,
-- silenced and correlated here, in the database, so that every aggregator
-- replica (and the triggers that turn kernel and training events into
-- alerts, in the transaction that stores those events) agree.

-- The functions below run per alert: planning estimates on small, young
-- tables can exceed PostgreSQL's JIT threshold, and compiling a plan took
-- 1.4 s where running it takes a millisecond, so they run with jit = off.

-- Settings the aggregator writes at start (the last replica to start wins).
CREATE TABLE alert_config (
    id                 boolean     PRIMARY KEY DEFAULT true CHECK (id),
    correlation_window interval    NOT NULL DEFAULT '5 minutes',
    resolve_timeout    interval    NOT NULL DEFAULT '5 minutes'
);
INSERT INTO alert_config DEFAULT VALUES;

CREATE TABLE alerts (
    id            bigserial   PRIMARY KEY,
    -- md5 of the source's labels, sorted: repeats of an open alert update it.
    fingerprint   text        NOT NULL,
    source        text        NOT NULL CHECK (source IN ('metric', 'log', 'kernel', 'training',
                                                         'trace', 'webhook')),
    name          text        NOT NULL,
    severity      text        NOT NULL CHECK (severity IN ('critical', 'high', 'warning', 'info')),
    status        text        NOT NULL CHECK (status IN ('firing', 'resolved', 'silenced')),
    starts_at     timestamptz NOT NULL,
    -- Open: when it resolves unless repeated (NULL: only when told);
    -- resolved: when it did.
    ends_at       timestamptz,
    last_seen     timestamptz NOT NULL DEFAULT now(),
    repeats       integer     NOT NULL DEFAULT 0,
    labels        jsonb       NOT NULL,   -- the source's, plus the entity's
    annotations   jsonb       NOT NULL DEFAULT '{}',
    generator_url text        NOT NULL DEFAULT '',
    cluster       text        NOT NULL DEFAULT '',
    node          text        NOT NULL DEFAULT '',
    namespace     text        NOT NULL DEFAULT '',
    pod           text        NOT NULL DEFAULT '',
    pod_uid       text        NOT NULL DEFAULT '',
    workload      text        NOT NULL DEFAULT '',
    workload_uid  text        NOT NULL DEFAULT '',
    device        text        NOT NULL DEFAULT '',
    silenced_by   bigint[]    NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- One open alert per fingerprint: the upsert's arbiter.
CREATE UNIQUE INDEX alerts_open ON alerts (fingerprint) WHERE status <> 'resolved';
CREATE INDEX alerts_starts ON alerts (starts_at);
CREATE INDEX alerts_workload ON alerts (workload_uid, starts_at) WHERE workload_uid <> '';
CREATE INDEX alerts_pod ON alerts (pod_uid, starts_at) WHERE pod_uid <> '';
CREATE INDEX alerts_node ON alerts (node, starts_at) WHERE node <> '';

-- Stored both ways, so either alert answers.
CREATE TABLE alert_correlations (
    alert_id   bigint      NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    related_id bigint      NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    score      double precision NOT NULL,
    reason     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (alert_id, related_id)
);
CREATE INDEX alert_correlations_related ON alert_correlations (related_id);

-- Known causes and their effects: an effect alert after its cause on the
-- same entity, within the window, correlates with this score and reason.
CREATE TABLE alert_cause_effect (
    cause  text NOT NULL,
    effect text NOT NULL,
    score  double precision NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (cause, effect)
);
INSERT INTO alert_cause_effect VALUES
    ('GPUMemoryHigh', 'OOMKilled', 0.9, 'GPU memory high, then an OOM kill'),
    ('NCCLError', 'TrainingHang', 0.9, 'an NCCL error, then the training hung'),
    ('GPUTemperatureHigh', 'GPUThrottling', 0.85, 'temperature high, then throttling'),
    ('NodeDown', 'PodRestart', 0.85, 'the node went down, then the pod restarted'),
    ('DiskFull', 'CheckpointFailed', 0.9, 'the disk filled, then a checkpoint failed'),
    ('OOMKilled', 'TrainingHang', 0.85, 'a process of the job was OOM-killed, then the training hung'),
    ('ProcessCrashed', 'TrainingHang', 0.85, 'a process of the job crashed, then the training hung'),
    ('GPUReset', 'TrainingHang', 0.85, 'a GPU was reset, then the training hung'),
    ('GPUHang', 'TrainingHang', 0.85, 'a GPU hung, then the training hung'),
    ('PCIeUncorrectableError', 'GPUReset', 0.8, 'an uncorrectable PCIe error, then a GPU reset'),
    ('GPUEccUncorrectableRising', 'ProcessCrashed', 0.8, 'uncorrectable ECC errors, then a crash'),
    ('IBPortDown', 'TrainingHang', 0.8, 'an InfiniBand port went down, then the training hung');

CREATE TABLE silences (
    id         bigserial   PRIMARY KEY,
    matchers   jsonb       NOT NULL,      -- [{"name", "value", "op": "=" | "!=" | "=~" | "!~"}]
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    comment    text        NOT NULL DEFAULT '',
    created_by text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX silences_active ON silences (ends_at);

-- Alertmanager's fingerprint idea: the sorted labels, hashed.
CREATE FUNCTION lens_alert_fingerprint(labels jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT substr(md5(coalesce(string_agg(key || '=' || value, ',' ORDER BY key), '')), 1, 16)
    FROM jsonb_each_text(labels)
$$;

-- One matcher against a label set (a missing label is ""); regular
-- expressions are anchored, as in Alertmanager.
CREATE FUNCTION lens_label_matches(labels jsonb, m jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE m->>'op'
        WHEN '=' THEN coalesce(labels->>(m->>'name'), '') = m->>'value'
        WHEN '!=' THEN coalesce(labels->>(m->>'name'), '') <> m->>'value'
        WHEN '=~' THEN coalesce(labels->>(m->>'name'), '') ~ ('^(?:' || (m->>'value') || ')$')
        WHEN '!~' THEN coalesce(labels->>(m->>'name'), '') !~ ('^(?:' || (m->>'value') || ')$')
        ELSE false END
$$;

-- The active silences whose matchers all match.
CREATE FUNCTION lens_silences_for(labels jsonb) RETURNS bigint[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(s.id ORDER BY s.id), '{}') FROM silences s
    WHERE s.starts_at <= now() AND s.ends_at > now()
      AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(s.matchers) m
                      WHERE NOT lens_label_matches(labels, m))
$$;

-- Relates a new alert to the alerts around it (docs/alerts.md): within
-- the window, on the same pod or workload, or on the same node when they
-- come from different sources or are a known cause and effect; the 20
-- strongest, so a node full of alerts does not tie each to all others.
CREATE FUNCTION lens_alert_correlate(p_id bigint) RETURNS integer LANGUAGE sql
SET jit = off AS $$
    -- One row, and the planner must know it: then each entity is an index
    -- scan, not a hash join over the whole table.
    WITH a AS (SELECT x.*, x.starts_at - c.w AS lo, x.starts_at + c.w AS hi
               FROM alerts x, (SELECT correlation_window AS w FROM alert_config LIMIT 1) c
               WHERE x.id = p_id),
    -- One index scan per kind of entity (the partial indexes want the
    -- "<> ''" spelled out).
    ids AS (
        SELECT b.id FROM a JOIN alerts b ON a.pod_uid <> '' AND b.pod_uid <> ''
            AND b.pod_uid = a.pod_uid AND b.starts_at BETWEEN a.lo AND a.hi
        UNION
        SELECT b.id FROM a JOIN alerts b ON a.workload_uid <> '' AND b.workload_uid <> ''
            AND b.workload_uid = a.workload_uid AND b.starts_at BETWEEN a.lo AND a.hi
        UNION
        SELECT b.id FROM a JOIN alerts b ON a.node <> '' AND b.node <> ''
            AND b.node = a.node AND b.starts_at BETWEEN a.lo AND a.hi),
    near AS (
        SELECT b.id AS bid, b.source AS bsrc, a.source AS asrc, a.source <> b.source AS across,
               CASE WHEN a.pod_uid <> '' AND b.pod_uid = a.pod_uid THEN 0.7
                    WHEN a.workload_uid <> '' AND b.workload_uid = a.workload_uid THEN 0.6
                    ELSE 0.4 END AS base,
               CASE WHEN a.pod_uid <> '' AND b.pod_uid = a.pod_uid THEN 'same pod'
                    WHEN a.workload_uid <> '' AND b.workload_uid = a.workload_uid THEN 'same workload'
                    ELSE 'same node' END AS what,
               ce.score AS ce_score, ce.reason AS ce_reason, b.starts_at
        FROM a CROSS JOIN ids JOIN alerts b ON b.id = ids.id AND b.id <> a.id
        LEFT JOIN LATERAL (
            SELECT x.score, x.reason FROM alert_cause_effect x
            WHERE (x.cause = b.name AND x.effect = a.name AND b.starts_at <= a.starts_at)
               OR (x.cause = a.name AND x.effect = b.name AND a.starts_at <= b.starts_at)
            LIMIT 1) ce ON true),
    best AS (
        SELECT bid, least(1.0, CASE WHEN ce_score IS NULL THEN base + CASE WHEN across THEN 0.1 ELSE 0 END
                                    ELSE greatest(base + CASE WHEN across THEN 0.1 ELSE 0 END, ce_score) + 0.05
                               END) AS score,
               coalesce(ce_reason || '; ', '') || what
                   || CASE WHEN across THEN ', across sources (' || bsrc || ', ' || asrc || ')' ELSE '' END
                   AS reason
        FROM near
        WHERE what <> 'same node' OR across OR ce_score IS NOT NULL
        ORDER BY (ce_score IS NOT NULL) DESC, base DESC, starts_at DESC
        LIMIT 20),
    ins AS (
        INSERT INTO alert_correlations (alert_id, related_id, score, reason)
        SELECT p_id, bid, score, reason FROM best
        UNION ALL SELECT bid, p_id, score, reason FROM best
        ON CONFLICT (alert_id, related_id) DO UPDATE
            SET score = greatest(alert_correlations.score, EXCLUDED.score), reason = EXCLUDED.reason
        RETURNING 1)
    SELECT (count(*) / 2)::integer FROM ins
$$;

-- Stores one alert (the normalised shape alertintake.c and the triggers
-- build): enriched from the pod tables by pod UID (never by name), a
-- repeat of an open alert updates it, a resolution closes it (one of an
-- alert never seen open is kept as history, unless "if_open"), a new one
-- is silenced when a silence matches and is correlated. Returns its id.
CREATE FUNCTION lens_alert_fire(p jsonb) RETURNS bigint LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    e jsonb := coalesce(p->'entity', '{}');
    src_labels jsonb := coalesce(p->'labels', '{}') || jsonb_build_object('alertname', p->>'name');
    fp text := lens_alert_fingerprint(src_labels);
    v_pod pods;
    v_wuid text := coalesce(e->>'workload_uid', '');
    v_wname text := coalesce(e->>'workload', '');
    v_starts timestamptz := coalesce((p->>'starts_at')::timestamptz, now());
    v_ends timestamptz := (p->>'ends_at')::timestamptz;
    v_labels jsonb;
    v_sil bigint[];
    v_id bigint;
    v_new boolean;
BEGIN
    IF coalesce(e->>'pod_uid', '') <> '' THEN
        SELECT * INTO v_pod FROM pods WHERE uid = e->>'pod_uid';
        IF v_wuid = '' THEN
            SELECT w.uid, w.name INTO v_wuid, v_wname FROM pod_workloads pw
              JOIN workloads w ON w.uid = pw.workload_uid
             WHERE pw.pod_uid = e->>'pod_uid' ORDER BY w.uid LIMIT 1;
            v_wuid := coalesce(v_wuid, '');
            v_wname := coalesce(v_wname, '');
        END IF;
    END IF;
    IF v_wuid <> '' AND v_wname = '' THEN
        v_wname := coalesce((SELECT name FROM workloads WHERE uid = v_wuid), '');
    END IF;
    e := jsonb_strip_nulls(jsonb_build_object(
        'node', coalesce(nullif(e->>'node', ''), v_pod.node),
        'namespace', coalesce(nullif(e->>'namespace', ''), v_pod.namespace),
        'pod', coalesce(nullif(e->>'pod', ''), v_pod.name),
        'pod_uid', nullif(e->>'pod_uid', ''),
        'workload', nullif(v_wname, ''),
        'workload_uid', nullif(v_wuid, ''),
        'cluster', nullif(e->>'cluster', ''),
        'device', nullif(e->>'device', '')));
    v_labels := e || src_labels;  -- the source's labels win
    IF p->>'status' = 'resolved' OR (v_ends IS NOT NULL AND v_ends <= now()) THEN
        UPDATE alerts SET status = 'resolved', ends_at = coalesce(v_ends, now()), updated_at = now()
         WHERE fingerprint = fp AND status <> 'resolved' RETURNING id INTO v_id;
        IF v_id IS NULL THEN  -- never seen open: kept once as history
            SELECT id INTO v_id FROM alerts
             WHERE fingerprint = fp AND status = 'resolved' AND starts_at = v_starts LIMIT 1;
        END IF;
        IF v_id IS NOT NULL OR (p->>'if_open')::boolean THEN
            RETURN v_id;
        END IF;
    END IF;
    v_sil := lens_silences_for(v_labels);
    INSERT INTO alerts (fingerprint, source, name, severity, status, starts_at, ends_at, labels,
                        annotations, generator_url, cluster, node, namespace, pod, pod_uid,
                        workload, workload_uid, device, silenced_by)
    VALUES (fp, p->>'source', p->>'name', p->>'severity',
            CASE WHEN v_ends IS NOT NULL AND v_ends <= now() OR p->>'status' = 'resolved'
                 THEN 'resolved' WHEN cardinality(v_sil) > 0 THEN 'silenced' ELSE 'firing' END,
            v_starts, CASE WHEN p->>'status' = 'resolved' THEN coalesce(v_ends, now()) ELSE v_ends END,
            v_labels, coalesce(p->'annotations', '{}'), coalesce(p->>'generator_url', ''),
            coalesce(e->>'cluster', ''), coalesce(e->>'node', ''), coalesce(e->>'namespace', ''),
            coalesce(e->>'pod', ''), coalesce(e->>'pod_uid', ''), coalesce(e->>'workload', ''),
            coalesce(e->>'workload_uid', ''), coalesce(e->>'device', ''), v_sil)
    ON CONFLICT (fingerprint) WHERE status <> 'resolved' DO UPDATE
        SET last_seen = now(), repeats = alerts.repeats + 1, severity = EXCLUDED.severity,
            annotations = EXCLUDED.annotations, ends_at = EXCLUDED.ends_at, updated_at = now()
    RETURNING id, (xmax = 0) INTO v_id, v_new;
    IF v_new THEN
        PERFORM lens_alert_correlate(v_id);
    END IF;
    RETURN v_id;
END $$;

-- What changes with the clock: open alerts past their end resolve,
-- silences that started or ended apply or stop applying. Returns the
-- alerts changed.
CREATE FUNCTION lens_alert_sweep() RETURNS integer LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    resolved integer;
    changed integer;
BEGIN
    UPDATE alerts SET status = 'resolved', updated_at = now()
     WHERE status <> 'resolved' AND ends_at IS NOT NULL AND ends_at <= now();
    GET DIAGNOSTICS resolved = ROW_COUNT;
    UPDATE alerts a SET status = CASE WHEN cardinality(x.s) > 0 THEN 'silenced' ELSE 'firing' END,
                        silenced_by = x.s, updated_at = now()
      FROM (SELECT id, lens_silences_for(labels) AS s FROM alerts WHERE status <> 'resolved') x
     WHERE a.id = x.id AND a.silenced_by IS DISTINCT FROM x.s;
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN resolved + changed;
END $$;

-- Internal sources -----------------------------------------------------------

-- Kernel events that are alerts: an OOM kill, a crash of a pod process, an
-- uncorrectable PCIe error, a GPU hang or reset. Fired in the transaction
-- that stores the event.
CREATE FUNCTION lens_alert_from_kernel_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n text;
    sev text;
    lab jsonb;
    ann text;
BEGIN
    CASE NEW.type
    WHEN 'oom_kill' THEN
        n := 'OOMKilled'; sev := 'critical';
        lab := jsonb_build_object('container', NEW.container);
        ann := format('%s (pid %s) was OOM-killed', NEW.details->>'victim_comm', NEW.details->>'victim_pid');
    WHEN 'exit' THEN
        IF NEW.details->>'how' <> 'crashed' OR NEW.pod_uid = '' THEN RETURN NULL; END IF;
        n := 'ProcessCrashed'; sev := 'high';
        lab := jsonb_build_object('container', NEW.container, 'signal', coalesce(NEW.details->>'signal', ''));
        ann := format('%s (pid %s) crashed by %s', NEW.comm, NEW.pid, coalesce(NEW.details->>'signal', 'a signal'));
    WHEN 'pcie_aer' THEN
        IF NEW.details->>'severity' NOT LIKE 'uncorrectable%' THEN RETURN NULL; END IF;
        n := 'PCIeUncorrectableError'; sev := 'critical';
        lab := jsonb_build_object('device', coalesce(NEW.details->>'device', ''));
        ann := format('%s: %s', NEW.details->>'device', NEW.details->>'severity');
    WHEN 'gpu_reset', 'gpu_hang' THEN
        n := CASE NEW.type WHEN 'gpu_reset' THEN 'GPUReset' ELSE 'GPUHang' END; sev := 'critical';
        lab := '{}';
        ann := format('amdgpu: %s', NEW.details->>'probe');
    ELSE
        RETURN NULL;
    END CASE;
    PERFORM lens_alert_fire(jsonb_build_object(
        'source', 'kernel', 'name', n, 'severity', sev, 'status', 'firing',
        'starts_at', NEW.occurred_at,
        'ends_at', NEW.occurred_at + (SELECT resolve_timeout FROM alert_config),
        'labels', lab || jsonb_build_object('node', NEW.node, 'pod_uid', NEW.pod_uid),
        'annotations', jsonb_build_object('summary', ann),
        'entity', jsonb_build_object('node', NEW.node, 'namespace', NEW.namespace, 'pod', NEW.pod,
                                     'pod_uid', NEW.pod_uid, 'workload', NEW.workload,
                                     'workload_uid', NEW.workload_uid,
                                     'device', coalesce(NEW.details->>'device', ''))));
    RETURN NULL;
END $$;
CREATE TRIGGER kernel_events_alerts AFTER INSERT ON kernel_events FOR EACH ROW
    WHEN (NEW.type IN ('oom_kill', 'exit', 'pcie_aer', 'gpu_reset', 'gpu_hang'))
    EXECUTE FUNCTION lens_alert_from_kernel_event();

-- Training events that are alerts. A hang stays open until the run reports
-- again or ends; the others resolve after the resolve timeout.
CREATE FUNCTION lens_alert_from_training_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n text := CASE NEW.type WHEN 'hang' THEN 'TrainingHang' WHEN 'slowdown' THEN 'TrainingSlowdown'
                            ELSE 'TrainingNaNLoss' END;
BEGIN
    PERFORM lens_alert_fire(jsonb_build_object(
        'source', 'training', 'name', n,
        'severity', CASE NEW.type WHEN 'hang' THEN 'critical' WHEN 'nan_loss' THEN 'high' ELSE 'warning' END,
        'status', 'firing', 'starts_at', NEW.occurred_at,
        'ends_at', CASE WHEN NEW.type = 'hang' THEN NULL
                        ELSE NEW.occurred_at + (SELECT resolve_timeout FROM alert_config) END,
        'labels', jsonb_build_object('workload_uid', NEW.workload_uid, 'run', NEW.serial::text),
        'annotations', jsonb_build_object('summary', format('training %s at iteration %s', NEW.type, NEW.iteration),
                                          'details', NEW.details::text),
        'entity', jsonb_build_object('workload_uid', NEW.workload_uid, 'pod_uid', NEW.pod_uid)));
    RETURN NULL;
END $$;
CREATE TRIGGER training_events_alerts AFTER INSERT ON training_events FOR EACH ROW
    WHEN (NEW.type IN ('hang', 'slowdown', 'nan_loss'))
    EXECUTE FUNCTION lens_alert_from_training_event();

CREATE FUNCTION lens_alert_hang_cleared() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lens_alert_fire(jsonb_build_object(
        'source', 'training', 'name', 'TrainingHang', 'severity', 'critical', 'status', 'resolved',
        'if_open', true, 'labels', jsonb_build_object('workload_uid', NEW.workload_uid, 'run', NEW.serial::text),
        'entity', jsonb_build_object('workload_uid', NEW.workload_uid)));
    RETURN NULL;
END $$;
CREATE TRIGGER training_runs_hang_cleared AFTER UPDATE ON training_runs FOR EACH ROW
    WHEN (OLD.hung_at IS NOT NULL AND (NEW.hung_at IS NULL OR NEW.ended_at IS NOT NULL))
    EXECUTE FUNCTION lens_alert_hang_cleared();
