-- "Go to ID" shows a short label per record without parsing its JSON, and the
-- "Recent" list remembers what was opened.
ALTER TABLE records ADD COLUMN label TEXT NOT NULL DEFAULT '';

-- Records cached before this version get their label from their JSON in
-- Rust, right after this file (schema.rs: `fill_labels`).

CREATE TABLE lookups (
    env TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    label TEXT NOT NULL,
    looked_up_at INTEGER NOT NULL,
    PRIMARY KEY (env, kind, id)
) WITHOUT ROWID;

CREATE INDEX lookups_recent ON lookups (env, looked_up_at);
