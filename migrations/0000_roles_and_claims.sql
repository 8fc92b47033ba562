-- Roles and the claims helpers that every RLS policy reads. Hand-written (drizzle-kit creates no roles).
-- The migrating role needs CREATEROLE. Role names are cluster-wide, so creation is idempotent.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leave_ledger_app') THEN
    CREATE ROLE leave_ledger_app NOLOGIN NOINHERIT NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leave_ledger_system') THEN
    CREATE ROLE leave_ledger_system NOLOGIN NOINHERIT NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leave_ledger_definer') THEN
    CREATE ROLE leave_ledger_definer NOLOGIN NOINHERIT NOBYPASSRLS;
  END IF;
  -- The Worker logs in as this role. It owns nothing and holds no privileges of its own, so a request that
  -- forgot to switch role could not read a row. On Neon, create it in the console to give it a password.
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leave_ledger_authenticator') THEN
    CREATE ROLE leave_ledger_authenticator LOGIN NOINHERIT NOBYPASSRLS;
  END IF;
END
$$;
--> statement-breakpoint
GRANT leave_ledger_app, leave_ledger_system TO leave_ledger_authenticator;
--> statement-breakpoint
-- The migrating role must be able to hand function ownership to the definer role.
GRANT leave_ledger_definer TO CURRENT_USER;
--> statement-breakpoint
CREATE SCHEMA app;
--> statement-breakpoint
GRANT USAGE ON SCHEMA app TO leave_ledger_app, leave_ledger_system, leave_ledger_definer;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO leave_ledger_app, leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON SCHEMA public FROM PUBLIC;
--> statement-breakpoint
-- Claims are set per transaction by the database door (src/db/door.ts): set_config('request.jwt.claims', …, true).
-- Shape (src/db/claims.ts): {"sub": user id, "tenant_id", "employee_id", "roles": [...], "caller": "user" | "system:<name>"}.
CREATE FUNCTION app.claims() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;
--> statement-breakpoint
CREATE FUNCTION app.tenant_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(app.claims() ->> 'tenant_id', '')::uuid
$$;
--> statement-breakpoint
CREATE FUNCTION app.user_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(app.claims() ->> 'sub', '')::uuid
$$;
--> statement-breakpoint
CREATE FUNCTION app.employee_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(app.claims() ->> 'employee_id', '')::uuid
$$;
--> statement-breakpoint
CREATE FUNCTION app.has_any_role(wanted text[]) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((app.claims() -> 'roles') ?| wanted, false)
$$;
--> statement-breakpoint
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA app FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO leave_ledger_app, leave_ledger_definer;
