-- The refund journal: one row per refund dialog, keyed by the requestKey that
-- is sent with every attempt of that refund. Rows are never deleted.
CREATE TABLE refunds (
    request_key TEXT NOT NULL PRIMARY KEY,
    env_id TEXT NOT NULL,
    env_name TEXT NOT NULL,
    env_kind TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    customer_name TEXT NOT NULL DEFAULT '',
    customer_status TEXT,
    account_last_four TEXT,
    account_status TEXT,
    transaction_id TEXT,
    -- What the customer has paid as far as Linkdesk knew when the dialog
    -- opened, and whose refunds count against it: 'transaction' (refunds made
    -- from transaction_id) or 'customer' (every refund to customer_id).
    cap_cents INTEGER,
    cap_scope TEXT,
    amount_cents INTEGER,
    currency TEXT NOT NULL DEFAULT 'USD',
    client_reference_id TEXT,
    soft_descriptor TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    payment_id TEXT,
    payment_status TEXT,
    error_code TEXT,
    error_message TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    updated_at TEXT NOT NULL,
    resolved_at TEXT
);

CREATE INDEX refunds_by_state ON refunds (state);
CREATE INDEX refunds_by_customer ON refunds (env_id, customer_id);
CREATE INDEX refunds_by_created ON refunds (env_id, created_at);

CREATE TABLE preferences (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
