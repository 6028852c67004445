-- GPUs and InfiniBand HCAs per node, from the agents' DeviceInventory.
-- Samples are not stored here: Prometheus scrapes them from the agents,
-- and the aggregator keeps the latest one per device in memory.
CREATE TABLE devices (
    node        text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('gpu', 'ib')),
    id          text        NOT NULL,   -- PCI BDF for a GPU, HCA name for IB
    attributes  jsonb       NOT NULL,
    present     boolean     NOT NULL DEFAULT true,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node, kind, id)
);
