-- The trace store: EPCIS events and the traceability projections kept at capture time.
-- Order keys (`order_key`, `since_key`) are the event's time (8 bytes, big-endian, sign
-- bit flipped) followed by its eventID: compared as bytes, they are the order of events
-- (`trace_events` orders by its time columns, then by `event_id` compared byte by byte).
-- EPCs are their 12-byte SGTIN-96 / SSCC-96 encodings with filter 0.

CREATE TABLE trace_meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO trace_meta (name, value) VALUES ('next_event_number', 1);

-- One row per capture request.
CREATE TABLE trace_captures (
    capture_key INTEGER PRIMARY KEY,
    participant INTEGER NOT NULL,
    record_time_ms INTEGER NOT NULL,
    event_count INTEGER NOT NULL
) STRICT;

-- Every event, as captured (`body`: its EPCIS 2.0 JSON), with the columns queries filter
-- on, and its error declaration as merged since (`correction`, JSON), if any.
CREATE TABLE trace_events (
    event_key INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    capture_key INTEGER NOT NULL,
    participant INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    event_time_ms INTEGER NOT NULL,
    time_zone_minutes INTEGER NOT NULL,
    record_time_ms INTEGER NOT NULL,
    action TEXT,
    biz_step TEXT,
    disposition TEXT,
    read_point TEXT,
    biz_location TEXT,
    correction TEXT,
    body TEXT NOT NULL
) STRICT;

CREATE INDEX trace_events_by_time ON trace_events (event_time_ms);
CREATE INDEX trace_events_by_record_time ON trace_events (record_time_ms);

-- The participants an event is shared with besides the one that captured it.
CREATE TABLE trace_shares (
    event_key INTEGER NOT NULL,
    participant INTEGER NOT NULL,
    PRIMARY KEY (event_key, participant)
) STRICT, WITHOUT ROWID;

-- Per EPC, the events that name it (roles: 1 listed, 2 parent, 4 input, 8 output) or that
-- took it out of a parent by a DELETE of all children (16), in event order.
CREATE TABLE trace_epc_events (
    epc BLOB NOT NULL,
    order_key BLOB NOT NULL,
    event_key INTEGER NOT NULL,
    roles INTEGER NOT NULL,
    PRIMARY KEY (epc, order_key)
) STRICT, WITHOUT ROWID;

-- Per child, its containment timeline: into or out of a parent, explicit or derived from a
-- DELETE of all the parent's children.
CREATE TABLE trace_marks (
    child BLOB NOT NULL,
    order_key BLOB NOT NULL,
    event_key INTEGER NOT NULL,
    parent BLOB NOT NULL,
    into_parent INTEGER NOT NULL,
    derived INTEGER NOT NULL,
    PRIMARY KEY (child, order_key)
) STRICT, WITHOUT ROWID;

-- Every child put in a parent (what a DELETE of all its children concerns).
CREATE INDEX trace_marks_into_parent ON trace_marks (parent, child) WHERE into_parent = 1;

-- Per parent, its uncorrected DELETEs of all children.
CREATE TABLE trace_delete_all (
    parent BLOB NOT NULL,
    order_key BLOB NOT NULL,
    event_key INTEGER NOT NULL,
    PRIMARY KEY (parent, order_key)
) STRICT, WITHOUT ROWID;

-- Each EPC's current parent and the event that put it there.
CREATE TABLE trace_containers (
    child BLOB PRIMARY KEY,
    parent BLOB NOT NULL,
    since_key BLOB NOT NULL,
    since_event INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX trace_containers_by_parent ON trace_containers (parent, child);

-- Corrective event id -> the ids of the events it corrects.
CREATE TABLE trace_corrections (
    corrective_id TEXT NOT NULL,
    corrected_id TEXT NOT NULL,
    PRIMARY KEY (corrective_id, corrected_id)
) STRICT, WITHOUT ROWID;
