-- Full sync: where the walk stands, so that a cancelled or failed sync resumes.
CREATE TABLE sync_state (
    env TEXT NOT NULL PRIMARY KEY,
    phase TEXT NOT NULL,
    next_page INTEGER NOT NULL,
    pages_total INTEGER NOT NULL DEFAULT 0,
    records_total INTEGER NOT NULL DEFAULT 0,
    records_done INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    finished_at TEXT,
    full_completed_at TEXT,
    refresh_started_at INTEGER,
    newest_created_at TEXT
) WITHOUT ROWID;
