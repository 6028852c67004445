-- Pods, containers, workloads and who held which device when, from the
-- agents' PodDeviceMap payloads (docs/pods.md). A map is a node's whole
-- state at one moment; lens_apply_pod_map turns the difference to the
-- previous map into rows, so that "who had this GPU at time T" is one
-- range query on device_assignments.

-- The latest map of each node, as the agent sent it: what the aggregator's
-- in-memory caches are rebuilt from at start, and refreshed from (maps
-- stored since, by stored_at) when another replica took them.
CREATE TABLE node_pod_maps (
    node        text PRIMARY KEY,
    observed_at timestamptz NOT NULL,
    doc         jsonb       NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX node_pod_maps_stored_at ON node_pod_maps (stored_at);

CREATE TABLE pods (
    uid         text PRIMARY KEY,
    node        text        NOT NULL,
    namespace   text        NOT NULL,
    name        text        NOT NULL,
    phase       text        NOT NULL,
    labels      jsonb       NOT NULL DEFAULT '{}',
    owners      jsonb       NOT NULL DEFAULT '[]',
    source      text        NOT NULL,      -- kubelet | oci | logdir | cgroup
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    gone_at     timestamptz                -- NULL while its node lists it
);
CREATE INDEX pods_node ON pods (node, namespace, name);
CREATE INDEX pods_namespace_name ON pods (namespace, name);

CREATE TABLE containers (
    pod_uid     text        NOT NULL REFERENCES pods (uid) ON DELETE CASCADE,
    name        text        NOT NULL,
    id          text        NOT NULL,      -- runtime id; '' before it started
    running     boolean     NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (pod_uid, name, id)
);

-- uid: the owner's UID, or "name:<namespace>/<kind>/<name>" for a
-- workload known by name only (docs/pods.md).
CREATE TABLE workloads (
    uid         text PRIMARY KEY,
    kind        text        NOT NULL,
    name        text        NOT NULL,
    namespace   text        NOT NULL,
    api_version text        NOT NULL DEFAULT '',
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL
);
CREATE INDEX workloads_name ON workloads (name, namespace);

CREATE TABLE pod_workloads (
    pod_uid      text NOT NULL REFERENCES pods (uid) ON DELETE CASCADE,
    workload_uid text NOT NULL REFERENCES workloads (uid) ON DELETE CASCADE,
    via          text NOT NULL,
    PRIMARY KEY (pod_uid, workload_uid)
);
CREATE INDEX pod_workloads_workload ON pod_workloads (workload_uid);

-- One row per (device, pod, container) interval; until IS NULL while it
-- lasts. The flags and VRAM are the latest seen during the interval.
CREATE TABLE device_assignments (
    id           bigserial PRIMARY KEY,
    node         text        NOT NULL,
    device_kind  text        NOT NULL CHECK (device_kind IN ('gpu', 'ib')),
    device_id    text        NOT NULL,
    pod_uid      text        NOT NULL,
    container    text        NOT NULL,
    container_id text        NOT NULL DEFAULT '',
    allocated    boolean     NOT NULL,
    held         boolean     NOT NULL,
    used         boolean     NOT NULL,
    vram_bytes   bigint,
    source       text        NOT NULL,
    since        timestamptz NOT NULL,
    until        timestamptz
);
CREATE UNIQUE INDEX device_assignments_open
    ON device_assignments (node, device_kind, device_id, pod_uid, container) WHERE until IS NULL;
CREATE INDEX device_assignments_device ON device_assignments (node, device_id, since);
CREATE INDEX device_assignments_pod ON device_assignments (pod_uid);

CREATE FUNCTION lens_apply_pod_map(p_node text, p_at timestamptz, p_doc jsonb)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    -- A resend of an older map (its ack was lost) must not undo a newer one.
    INSERT INTO node_pod_maps AS m (node, observed_at, doc) VALUES (p_node, p_at, p_doc)
    ON CONFLICT (node) DO UPDATE SET observed_at = excluded.observed_at, doc = excluded.doc,
        stored_at = now()
        WHERE m.observed_at < excluded.observed_at;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    -- A pod known only from its cgroup has no name: keep one learnt before.
    INSERT INTO pods AS p (uid, node, namespace, name, phase, labels, owners, source,
                           first_seen, last_seen)
    SELECT x->>'uid', p_node, x->>'namespace', x->>'name', x->>'phase',
           coalesce(x->'labels', '{}'), coalesce(x->'owners', '[]'), x->>'source', p_at, p_at
      FROM jsonb_array_elements(p_doc->'pods') x
    ON CONFLICT (uid) DO UPDATE SET
        node = excluded.node,
        namespace = CASE WHEN excluded.name = '' THEN p.namespace ELSE excluded.namespace END,
        name = CASE WHEN excluded.name = '' THEN p.name ELSE excluded.name END,
        phase = excluded.phase, labels = excluded.labels, owners = excluded.owners,
        source = excluded.source, last_seen = excluded.last_seen, gone_at = NULL;
    UPDATE pods SET gone_at = p_at
     WHERE node = p_node AND gone_at IS NULL
       AND uid NOT IN (SELECT x->>'uid' FROM jsonb_array_elements(p_doc->'pods') x);

    INSERT INTO containers AS c (pod_uid, name, id, running, first_seen, last_seen)
    SELECT x->>'uid', k->>'name', k->>'id', (k->>'running')::boolean, p_at, p_at
      FROM jsonb_array_elements(p_doc->'pods') x, jsonb_array_elements(x->'containers') k
    ON CONFLICT (pod_uid, name, id) DO UPDATE SET running = excluded.running,
        last_seen = excluded.last_seen;

    INSERT INTO workloads AS w (uid, kind, name, namespace, api_version, first_seen, last_seen)
    SELECT DISTINCT ON (k->>'uid') k->>'uid', k->>'kind', k->>'name', k->>'namespace',
           coalesce(k->>'api_version', ''), p_at, p_at
      FROM jsonb_array_elements(p_doc->'pods') x, jsonb_array_elements(x->'workloads') k
    ON CONFLICT (uid) DO UPDATE SET last_seen = excluded.last_seen;
    INSERT INTO pod_workloads (pod_uid, workload_uid, via)
    SELECT x->>'uid', k->>'uid', k->>'via'
      FROM jsonb_array_elements(p_doc->'pods') x, jsonb_array_elements(x->'workloads') k
    ON CONFLICT DO NOTHING;

    -- Intervals that ended, then the ones that began or go on.
    UPDATE device_assignments d SET until = p_at
     WHERE d.node = p_node AND d.until IS NULL AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(p_doc->'assignments') a
            WHERE a->>'device_kind' = d.device_kind AND a->>'device_id' = d.device_id
              AND a->>'pod_uid' = d.pod_uid AND a->>'container' = d.container);
    INSERT INTO device_assignments (node, device_kind, device_id, pod_uid, container,
                                    container_id, allocated, held, used, vram_bytes, source,
                                    since)
    SELECT p_node, a->>'device_kind', a->>'device_id', a->>'pod_uid', a->>'container',
           a->>'container_id', (a->>'allocated')::boolean, (a->>'held')::boolean,
           (a->>'used')::boolean, nullif((a->>'vram_bytes')::bigint, -1), a->>'source', p_at
      FROM jsonb_array_elements(p_doc->'assignments') a
    ON CONFLICT (node, device_kind, device_id, pod_uid, container) WHERE until IS NULL
    DO UPDATE SET container_id = excluded.container_id, allocated = excluded.allocated,
        held = excluded.held, used = excluded.used, vram_bytes = excluded.vram_bytes,
        source = excluded.source;
    RETURN true;
END $$;

-- A batch of maps (several nodes, or one node's maps in a row), applied
-- in the order they were observed.
CREATE FUNCTION lens_apply_pod_maps(p_nodes text[], p_ats bigint[], p_docs jsonb[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    applied integer := 0;
BEGIN
    FOR r IN SELECT * FROM unnest(p_nodes, p_ats, p_docs) AS u(node, at_ns, doc)
             ORDER BY node, at_ns LOOP
        IF lens_apply_pod_map(r.node, to_timestamp(0) + (r.at_ns / 1000) * interval '1 microsecond',
                              r.doc) THEN
            applied := applied + 1;
        END IF;
    END LOOP;
    RETURN applied;
END $$;
