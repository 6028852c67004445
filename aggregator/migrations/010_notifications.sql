-- Routing and notification of alerts (docs/alerts.md): routes with label
-- matchers send the alerts they match, grouped by some of their labels, to
-- a channel, as Alertmanager does (group_wait, group_interval,
-- repeat_interval); every message is logged with its delivery.

CREATE TABLE notification_channels (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    type       text        NOT NULL CHECK (type IN ('webhook', 'slack', 'dingtalk', 'wechat',
                                                    'alertmanager')),
    url        text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alert_routes (
    id              bigserial   PRIMARY KEY,
    name            text        NOT NULL UNIQUE,
    priority        integer     NOT NULL DEFAULT 0,   -- lower first
    matchers        jsonb       NOT NULL DEFAULT '[]', -- as silences'; none: every alert
    channel_id      bigint      NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    group_by        text[]      NOT NULL DEFAULT '{alertname}',
    group_wait      interval    NOT NULL DEFAULT '30 seconds',
    group_interval  interval    NOT NULL DEFAULT '5 minutes',
    repeat_interval interval    NOT NULL DEFAULT '4 hours',
    continue        boolean     NOT NULL DEFAULT false, -- later routes see a matched alert too
    send_resolved   boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A group: one route, one value of its group_by labels.
CREATE TABLE alert_groups (
    route_id     bigint      NOT NULL REFERENCES alert_routes (id) ON DELETE CASCADE,
    group_key    text        NOT NULL,
    group_labels jsonb       NOT NULL,
    next_at      timestamptz NOT NULL,   -- when it is looked at next
    last_sent_at timestamptz,
    last_state   text        NOT NULL DEFAULT '',  -- the fingerprints and statuses last sent
    PRIMARY KEY (route_id, group_key)
);

CREATE TABLE alert_notifications (
    id              bigserial   PRIMARY KEY,
    route_id        bigint      REFERENCES alert_routes (id) ON DELETE SET NULL,
    channel_id      bigint      REFERENCES notification_channels (id) ON DELETE SET NULL,
    group_key       text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    alert_ids       bigint[]    NOT NULL DEFAULT '{}',
    payload         jsonb       NOT NULL,    -- Alertmanager's webhook body
    error           text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX alert_notifications_due ON alert_notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_notifications_created ON alert_notifications (created_at);

-- The routes an alert goes to: in priority order, the first that matches,
-- and the ones after it while the matched ones say continue.
CREATE FUNCTION lens_alert_routes(labels jsonb) RETURNS SETOF alert_routes
LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    r alert_routes;
BEGIN
    FOR r IN SELECT * FROM alert_routes ORDER BY priority, id LOOP
        IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(r.matchers) m
                       WHERE NOT lens_label_matches(labels, m)) THEN
            RETURN NEXT r;
            IF NOT r.continue THEN
                RETURN;
            END IF;
        END IF;
    END LOOP;
END $$;

-- Which group of which route each routable alert is in: firing ones, and
-- resolved ones (for their resolution to be sent) until retention.
CREATE FUNCTION lens_alert_members() RETURNS TABLE (alert_id bigint, route_id bigint,
    group_key text, group_labels jsonb, firing boolean, fingerprint text, updated_at timestamptz,
    send_resolved boolean)
LANGUAGE sql STABLE SET jit = off AS $$
    SELECT a.id, r.id, r.id || ':' || g.key, g.labels, a.status = 'firing', a.fingerprint,
           a.updated_at, r.send_resolved
    FROM alerts a
    CROSS JOIN LATERAL lens_alert_routes(a.labels) r
    CROSS JOIN LATERAL (
        SELECT coalesce(string_agg(l || '=' || coalesce(a.labels->>l, ''), ',' ORDER BY l), '') AS key,
               coalesce(jsonb_object_agg(l, coalesce(a.labels->>l, '')), '{}') AS labels
        FROM unnest(r.group_by) l) g
    WHERE a.status = 'firing' OR (a.status = 'resolved' AND a.updated_at > now() - interval '1 day')
$$;

-- Alertmanager's webhook body for some alerts of one group.
CREATE FUNCTION lens_notification_payload(p_key text, p_labels jsonb, p_receiver text,
                                          p_ids bigint[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'version', '4', 'groupKey', p_key, 'receiver', p_receiver,
        'status', CASE WHEN bool_or(a.status = 'firing') THEN 'firing' ELSE 'resolved' END,
        'groupLabels', p_labels, 'commonLabels', p_labels, 'commonAnnotations', '{}'::jsonb,
        'externalURL', '', 'truncatedAlerts', 0,
        'alerts', jsonb_agg(jsonb_build_object(
            'status', CASE WHEN a.status = 'resolved' THEN 'resolved' ELSE 'firing' END,
            'labels', a.labels, 'annotations', a.annotations,
            'startsAt', to_char(a.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'endsAt', coalesce(to_char(a.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                               '0001-01-01T00:00:00Z'),
            'generatorURL', a.generator_url, 'fingerprint', a.fingerprint,
            'lens', jsonb_build_object('id', a.id, 'source', a.source, 'severity', a.severity,
                                       'workload', a.workload, 'pod', a.pod, 'node', a.node))
            ORDER BY a.starts_at, a.id))
    FROM alerts a WHERE a.id = ANY(p_ids)
$$;

-- One planning pass: new groups wait group_wait; a due group whose alerts
-- changed since it was last sent (or whose repeat_interval passed) gets a
-- pending notification; then it waits group_interval. A group with
-- nothing firing and nothing left to tell is dropped. Returns the
-- notifications queued.
CREATE FUNCTION lens_notify_plan() RETURNS integer LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    g record;
    v_ids bigint[];
    v_state text;
    v_firing boolean;
    queued integer := 0;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS lens_members ON COMMIT DROP AS SELECT * FROM lens_alert_members();
    INSERT INTO alert_groups (route_id, group_key, group_labels, next_at)
    SELECT DISTINCT ON (m.route_id, m.group_key) m.route_id, m.group_key, m.group_labels,
           now() + r.group_wait
    FROM lens_members m JOIN alert_routes r ON r.id = m.route_id WHERE m.firing
    ON CONFLICT (route_id, group_key) DO NOTHING;
    FOR g IN SELECT ag.*, r.repeat_interval, r.group_interval, r.channel_id, r.send_resolved, c.name AS receiver
             FROM alert_groups ag JOIN alert_routes r ON r.id = ag.route_id
             JOIN notification_channels c ON c.id = r.channel_id
             WHERE ag.next_at <= now() FOR UPDATE OF ag SKIP LOCKED LOOP
        SELECT array_agg(m.alert_id ORDER BY m.alert_id),
               coalesce(string_agg(m.fingerprint || ':' || m.firing, ',' ORDER BY m.fingerprint, m.firing), ''),
               coalesce(bool_or(m.firing), false)
          INTO v_ids, v_state, v_firing
          FROM lens_members m
         WHERE m.route_id = g.route_id AND m.group_key = g.group_key
           AND (m.firing OR (g.send_resolved AND g.last_sent_at IS NOT NULL
                             AND m.updated_at > g.last_sent_at));
        IF v_ids IS NULL THEN
            DELETE FROM alert_groups WHERE route_id = g.route_id AND group_key = g.group_key;
            CONTINUE;
        END IF;
        IF v_state <> g.last_state OR g.last_sent_at + g.repeat_interval <= now() THEN
            INSERT INTO alert_notifications (route_id, channel_id, group_key, status, alert_ids, payload)
            VALUES (g.route_id, g.channel_id, g.group_key, 'pending', v_ids,
                    lens_notification_payload(g.group_key, g.group_labels, g.receiver, v_ids));
            queued := queued + 1;
            UPDATE alert_groups SET last_sent_at = now(), last_state = v_state,
                   next_at = now() + g.group_interval
             WHERE route_id = g.route_id AND group_key = g.group_key;
        ELSE
            UPDATE alert_groups SET next_at = now() + g.group_interval
             WHERE route_id = g.route_id AND group_key = g.group_key;
        END IF;
        IF NOT v_firing THEN  -- told of its resolution: the group is done
            DELETE FROM alert_groups WHERE route_id = g.route_id AND group_key = g.group_key;
        END IF;
    END LOOP;
    DROP TABLE lens_members;
    RETURN queued;
END $$;

-- Due notifications, leased for p_lease so another replica does not send
-- them too, with their channel.
CREATE FUNCTION lens_notify_claim(p_limit integer, p_lease interval) RETURNS TABLE (id bigint,
    attempts integer, type text, url text, payload jsonb)
LANGUAGE sql SET jit = off AS $$
    UPDATE alert_notifications n SET next_attempt_at = now() + p_lease
      FROM notification_channels c
     WHERE c.id = n.channel_id AND n.id IN (
           SELECT x.id FROM alert_notifications x WHERE x.status = 'pending'
              AND x.next_attempt_at <= now() ORDER BY x.next_attempt_at LIMIT p_limit
              FOR UPDATE SKIP LOCKED)
    RETURNING n.id, n.attempts, c.type, c.url, n.payload
$$;

-- A delivery's outcome: sent, or failed again (retried after p_backoff
-- doubling per attempt, up to p_max attempts, then failed for good).
CREATE FUNCTION lens_notify_done(p_id bigint, p_ok boolean, p_error text, p_backoff interval,
                                 p_max integer) RETURNS text LANGUAGE sql AS $$
    UPDATE alert_notifications SET attempts = attempts + 1,
        status = CASE WHEN p_ok THEN 'sent' WHEN attempts + 1 >= p_max THEN 'failed' ELSE 'pending' END,
        error = CASE WHEN p_ok THEN '' ELSE p_error END,
        sent_at = CASE WHEN p_ok THEN now() END,
        next_attempt_at = now() + p_backoff * power(2, least(attempts, 10))
     WHERE id = p_id RETURNING status
$$;
