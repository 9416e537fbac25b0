-- The first cache schema: RTLs in columns, billers, Link Money records as JSON.
-- Every natural key starts with the environment id, so environments never mix.

-- RTLs live in a rowid table with (env, id) as a UNIQUE key rather than a
-- WITHOUT ROWID table: rows are then appended in insertion order and pages stay
-- full, while only the small (env, id) index takes random inserts. Measured at
-- 1,000,000 RTLs: about 280 bytes per RTL against 900 with a clustered key and
-- per-filter indexes. Filters, sorting and search are answered by the
-- in-memory index (rtl_index.rs), so no further SQL index is needed.
CREATE TABLE rtls (
    env TEXT NOT NULL,
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_user_id TEXT NOT NULL,
    biller_id TEXT,
    status TEXT NOT NULL,
    link_token_id TEXT,
    session_url TEXT,
    metadata TEXT,
    created_at TEXT,
    updated_at TEXT,
    fetched_at INTEGER NOT NULL,
    UNIQUE (env, id)
);

CREATE TABLE billers (
    env TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    extra TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (env, id)
) WITHOUT ROWID;

CREATE TABLE records (
    env TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    UNIQUE (env, kind, id)
);

-- When each kind of record was last written, per environment: "cached at".
CREATE TABLE fetch_marks (
    env TEXT NOT NULL,
    kind TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (env, kind)
) WITHOUT ROWID;
