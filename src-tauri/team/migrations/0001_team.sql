-- The team store's schema, applied as linkdesk_owner (see team/roles.sql).
-- Who did something is always the database's session_user, stamped by
-- triggers: a seat cannot write in another agent's name.

CREATE TABLE linkdesk.schema_version (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON linkdesk.schema_version TO linkdesk_agent;

-- Desk-wide settings, set by an owner: approval_threshold_cents (a refund
-- above it needs a second agent's approval; absent: no approvals).
CREATE TABLE linkdesk.team_settings (
    key text PRIMARY KEY,
    value text NOT NULL
);
GRANT SELECT ON linkdesk.team_settings TO linkdesk_agent;

-- One audit trail for every seat. (agent, seat_id, seq) makes a delivery
-- from a seat's outbox idempotent: an entry delivered twice is kept once.
CREATE TABLE linkdesk.audit (
    id bigserial PRIMARY KEY,
    agent text NOT NULL DEFAULT session_user,
    seat_id text NOT NULL,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    env_kind text NOT NULL,
    env_id text NOT NULL,
    env_name text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    fields jsonb NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('ok', 'error')),
    detail text,
    error_code text,
    error_message text,
    UNIQUE (agent, seat_id, seq)
);
CREATE INDEX audit_by_at ON linkdesk.audit (at DESC, id DESC);
CREATE INDEX audit_by_action ON linkdesk.audit (action, at);
GRANT SELECT, INSERT ON linkdesk.audit TO linkdesk_agent;
GRANT USAGE ON SEQUENCE linkdesk.audit_id_seq TO linkdesk_agent;

CREATE FUNCTION linkdesk.stamp_agent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.agent := session_user;
    NEW.received_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_agent BEFORE INSERT ON linkdesk.audit
    FOR EACH ROW EXECUTE FUNCTION linkdesk.stamp_agent();

-- Not even the owner rewrites history (agents lack the grants anyway).
CREATE FUNCTION linkdesk.audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the team audit trail is append-only' USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON linkdesk.audit
    FOR EACH ROW EXECUTE FUNCTION linkdesk.audit_is_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON linkdesk.audit
    FOR EACH STATEMENT EXECUTE FUNCTION linkdesk.audit_is_append_only();

-- Refund claims: refund #n of a payment is claimed, with its amount, before
-- it is sent; the outcome follows the claimer's journal.
CREATE TABLE linkdesk.claims (
    env_kind text NOT NULL,
    merchant_id text NOT NULL,
    payment_id text NOT NULL,
    refund_number integer NOT NULL CHECK (refund_number > 0),
    request_key text NOT NULL UNIQUE,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    payment_cents bigint NOT NULL CHECK (payment_cents > 0),
    claimed_by text NOT NULL DEFAULT session_user,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    outcome text NOT NULL DEFAULT 'SENDING',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (env_kind, merchant_id, payment_id, refund_number)
);
GRANT SELECT, INSERT ON linkdesk.claims TO linkdesk_agent;
GRANT UPDATE (outcome) ON linkdesk.claims TO linkdesk_agent;

CREATE FUNCTION linkdesk.stamp_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.claimed_by := session_user;
        NEW.claimed_at := now();
        NEW.updated_at := now();
        RETURN NEW;
    END IF;
    IF OLD.claimed_by <> session_user THEN
        RAISE EXCEPTION 'only % records the outcome of the claim they hold', OLD.claimed_by
            USING ERRCODE = '42501';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER claims_stamp BEFORE INSERT OR UPDATE ON linkdesk.claims
    FOR EACH ROW EXECUTE FUNCTION linkdesk.stamp_claim();

-- Two-person approval of refunds above the threshold.
CREATE TABLE linkdesk.approvals (
    request_key text PRIMARY KEY,
    env_kind text NOT NULL,
    env_name text NOT NULL,
    merchant_id text NOT NULL,
    payment_id text NOT NULL,
    refund_number integer NOT NULL,
    customer_id text NOT NULL,
    customer_name text NOT NULL,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    payment_cents bigint NOT NULL,
    requested_by text NOT NULL DEFAULT session_user,
    requested_at timestamptz NOT NULL DEFAULT now(),
    state text NOT NULL DEFAULT 'REQUESTED'
        CHECK (state IN ('REQUESTED', 'APPROVED', 'REJECTED', 'SENT')),
    decided_by text,
    decided_at timestamptz,
    reason text,
    sent_at timestamptz,
    CHECK (state <> 'REJECTED' OR coalesce(btrim(reason), '') <> ''),
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX approvals_by_state ON linkdesk.approvals (state, requested_at);
GRANT SELECT, INSERT ON linkdesk.approvals TO linkdesk_agent;
GRANT UPDATE (state, reason) ON linkdesk.approvals TO linkdesk_agent;

CREATE FUNCTION linkdesk.guard_approval() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.requested_by := session_user;
        NEW.requested_at := now();
        NEW.state := 'REQUESTED';
        NEW.decided_by := NULL;
        NEW.decided_at := NULL;
        NEW.sent_at := NULL;
        RETURN NEW;
    END IF;
    IF OLD.state = 'REQUESTED' AND NEW.state IN ('APPROVED', 'REJECTED') THEN
        IF session_user = OLD.requested_by THEN
            RAISE EXCEPTION 'a refund is approved or rejected by another agent than the one who requested it (%)', OLD.requested_by
                USING ERRCODE = '42501';
        END IF;
        NEW.decided_by := session_user;
        NEW.decided_at := now();
        RETURN NEW;
    END IF;
    IF OLD.state = 'APPROVED' AND NEW.state = 'SENT' AND NEW.reason IS NOT DISTINCT FROM OLD.reason THEN
        NEW.sent_at := now();
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'an approval that is % cannot become %', OLD.state, NEW.state
        USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER approvals_guard BEFORE INSERT OR UPDATE ON linkdesk.approvals
    FOR EACH ROW EXECUTE FUNCTION linkdesk.guard_approval();
