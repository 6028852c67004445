-- Nodes, the delivery ledger and heartbeats.

-- One row per node, updated by NodeInfo and heartbeats. Status is derived
-- from last_seen at query time, never stored.
CREATE TABLE nodes (
    name              text PRIMARY KEY,
    boot_id           uuid,
    hostname          text,
    kernel_release    text,
    kernel_version    text,
    os_image          text,
    architecture      text,
    cpu_model         text,
    cpu_count         integer,
    memory_bytes      bigint,
    boot_time         timestamptz,
    agent_version     text,
    agent_start_time  timestamptz,
    info_sent_at      timestamptz,   -- NodeInfo applied only when newer
    first_seen        timestamptz NOT NULL DEFAULT now(),
    last_seen         timestamptz NOT NULL DEFAULT now(),
    last_heartbeat    timestamptz
);

-- The delivery ledger: one row per envelope ever stored. Its key is what
-- makes at-least-once delivery store each envelope exactly once: an
-- envelope whose key is here already is a duplicate.
CREATE TABLE envelopes (
    node        text        NOT NULL,
    boot_id     uuid        NOT NULL,
    stream      smallint    NOT NULL,
    seq         bigint      NOT NULL,
    payload     text        NOT NULL,
    sent_at     timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node, boot_id, stream, seq)
);
CREATE INDEX envelopes_received_at ON envelopes USING brin (received_at);

CREATE TABLE heartbeats (
    node            text        NOT NULL,
    boot_id         uuid        NOT NULL,
    seq             bigint      NOT NULL,
    sent_at         timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    agent_uptime_s  bigint,
    spool_records   bigint,
    spool_bytes     bigint,
    dropped_total   bigint,
    PRIMARY KEY (node, boot_id, seq)
);
CREATE INDEX heartbeats_received_at ON heartbeats USING brin (received_at);
