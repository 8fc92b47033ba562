-- Privileges (drizzle-kit generates none) and the functions named system callers may run.
-- FORCE: policies bind the table owner too, so no code path (migrations excepted) reads around them.
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE users FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE employees FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE role_assignments FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON tenants TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE (email, display_name, status, updated_at) ON users TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE (manager_id, time_zone, employee_number) ON employees TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON role_assignments TO leave_ledger_app;
--> statement-breakpoint
-- The definer role reads only what the system functions below need.
GRANT SELECT (id, slug, name, status) ON tenants TO leave_ledger_definer;
--> statement-breakpoint
GRANT SELECT ON schema_migrations TO leave_ledger_definer;
--> statement-breakpoint
CREATE POLICY schema_migrations_readiness ON schema_migrations FOR SELECT TO leave_ledger_definer USING (true);
--> statement-breakpoint
-- Readiness probe: proves the database answers, the role switch works and the schema is migrated.
CREATE FUNCTION app.readiness() RETURNS TABLE (schema_version text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT max(name) FROM public.schema_migrations
$$;
--> statement-breakpoint
-- Public tenant discovery for login screens: an active tenant's id and display name by slug, nothing else.
CREATE FUNCTION app.tenant_directory(p_slug text) RETURNS TABLE (id uuid, slug text, name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT t.id, t.slug, t.name FROM public.tenants t WHERE t.slug = p_slug AND t.status = 'active'
$$;
--> statement-breakpoint
-- A new owner needs CREATE on the schema for the hand-over; the grant does not outlive it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.readiness() OWNER TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.tenant_directory(text) OWNER TO leave_ledger_definer;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION app.readiness(), app.tenant_directory(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.readiness(), app.tenant_directory(text) TO leave_ledger_system;
