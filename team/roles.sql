-- Linkdesk team store: the roles and grants a database administrator creates
-- once, as a superuser, in the database the desk will share:
--
--   psql -v ON_ERROR_STOP=1 -d linkdesk_team -f team/roles.sql
--
-- Safe to run again. Linkdesk itself creates and migrates its tables (in the
-- schema `linkdesk`) the first time a member of linkdesk_owner connects; every
-- table's grants come with those migrations:
--   * linkdesk.audit        agents: SELECT, INSERT only — no seat can rewrite history
--   * linkdesk.claims       agents: SELECT, INSERT, UPDATE of the outcome of their own claims
--   * linkdesk.approvals    agents: SELECT, INSERT, UPDATE of the decision; a decision by
--                           the requester's own role is refused by a trigger (session_user)
--   * linkdesk.team_settings agents: SELECT (the approval threshold is set by an owner)

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linkdesk_owner') THEN
        CREATE ROLE linkdesk_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linkdesk_agent') THEN
        CREATE ROLE linkdesk_agent NOLOGIN;
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS linkdesk AUTHORIZATION linkdesk_owner;
REVOKE ALL ON SCHEMA linkdesk FROM PUBLIC;
GRANT USAGE ON SCHEMA linkdesk TO linkdesk_agent;

-- Then one login role per agent (the database, not Linkdesk, knows who is
-- who), for example:
--
--   CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE linkdesk_agent;
--   CREATE ROLE bob   LOGIN PASSWORD '…' IN ROLE linkdesk_agent;
--
-- and an administrator who applies Linkdesk's migrations and sets the
-- approval threshold:
--
--   CREATE ROLE desk_admin LOGIN PASSWORD '…' IN ROLE linkdesk_owner, linkdesk_agent;
--   -- as desk_admin, once the schema exists:
--   INSERT INTO linkdesk.team_settings (key, value) VALUES ('approval_threshold_cents', '20000')
--       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
