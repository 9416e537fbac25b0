-- Team mode: what this seat still has to deliver to the team store, in
-- order (seq). `kind` is 'audit' (an audit entry) or 'claim' (a refund
-- claim's outcome); `body` holds only non-secret fields, as JSON. A row is
-- marked delivered once the team store has it; the store keeps one copy per
-- (agent, seat, seq), so a delivery repeated after a crash is kept once.
CREATE TABLE team_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    env_kind TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);

CREATE INDEX team_outbox_waiting ON team_outbox (delivered_at, seq);

-- Refunds waiting for a second agent's approval, and the reason of a
-- rejection, live in the refunds table's existing columns (state
-- AWAITING_APPROVAL / REJECTED, error_message).
