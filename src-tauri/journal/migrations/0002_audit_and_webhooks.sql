-- Every write Linkdesk makes, with its non-secret fields and its outcome.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    env_id TEXT NOT NULL,
    env_name TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    fields TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    error_code TEXT,
    error_message TEXT
);

CREATE INDEX audit_by_time ON audit_log (at);
CREATE INDEX audit_by_action ON audit_log (action, at);
CREATE INDEX audit_by_env ON audit_log (env_id, at);

-- Webhook subscriptions made from this app. The secret key is in the keyring
-- under `secret_account`, never here.
CREATE TABLE webhook_subscriptions (
    id TEXT NOT NULL PRIMARY KEY,
    env_id TEXT NOT NULL,
    subscription_key TEXT NOT NULL,
    url TEXT NOT NULL,
    sub_type TEXT NOT NULL,
    details TEXT NOT NULL,
    secret_account TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX webhooks_by_env ON webhook_subscriptions (env_id, created_at);
