-- GPU driver events (resets, VM faults, thermal throttling) reported by
-- the agents' ROCm SMI event notification. Read by time, so BRIN on it.
CREATE TABLE device_events (
    node        text        NOT NULL,
    bdf         text        NOT NULL,
    event       text        NOT NULL,
    message     text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_events_occurred_at ON device_events USING brin (occurred_at);
CREATE INDEX device_events_node_bdf ON device_events (node, bdf, occurred_at);
