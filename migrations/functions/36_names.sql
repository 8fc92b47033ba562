-- Names next to ids: whose request, balance or absence it is, who decided, who manages whom. A colleague's name
-- is shown to whoever of the tenant is shown their id, as a company directory would; everything else about a
-- person (email, number, dates) follows row-level security. Definer functions, so the caller need not see the
-- colleague's own rows (an employee does not see their manager's user row, yet sees who approved their leave).
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

CREATE OR REPLACE FUNCTION app.user_name(p_user uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.display_name FROM users u WHERE u.id = p_user AND u.tenant_id = app.tenant_id()
$$;

CREATE OR REPLACE FUNCTION app.employee_name(p_employee uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.display_name FROM employees e JOIN users u ON u.id = e.user_id
  WHERE e.id = p_employee AND e.tenant_id = app.tenant_id()
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.user_name(uuid) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.employee_name(uuid) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.user_name(uuid), app.employee_name(uuid) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.user_name(uuid), app.employee_name(uuid) TO leave_ledger_app, leave_ledger_definer;
