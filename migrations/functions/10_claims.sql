-- Claims helpers: what every RLS policy and function knows about the caller (set per transaction by the database door).
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Claims are set per transaction by the database door (src/db/door.ts): set_config('request.jwt.claims', …, true).
-- Shape (src/db/claims.ts): {"sub": user id, "tenant_id", "employee_id", "roles": [...], "caller": "user" | "system:<name>"}.
CREATE OR REPLACE FUNCTION app.claims() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;

CREATE OR REPLACE FUNCTION app.tenant_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(app.claims() ->> 'tenant_id', '')::uuid
$$;

CREATE OR REPLACE FUNCTION app.user_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(app.claims() ->> 'sub', '')::uuid
$$;

CREATE OR REPLACE FUNCTION app.employee_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(app.claims() ->> 'employee_id', '')::uuid
$$;

-- The primitive under app.can (12_permissions.sql). Policies and functions ask app.can('<permission>'), never
-- this with a list of roles: the permission matrix is the one place that says which roles may do what.
CREATE OR REPLACE FUNCTION app.has_any_role(wanted text[]) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((app.claims() -> 'roles') ?| wanted, false)
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.claims(), app.tenant_id(), app.user_id(), app.employee_id(), app.has_any_role(text[]) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.claims(), app.tenant_id(), app.user_id(), app.employee_id(), app.has_any_role(text[]) TO leave_ledger_app, leave_ledger_definer;
