-- System entry points: readiness probe, tenant discovery, the scheduler's tenant list.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Readiness probe: proves the database answers, the role switch works, the schema is migrated and the database
-- holds the key the Worker signs claims with (app.claims() raises otherwise, so readiness fails instead of every
-- request). Without a caller it answers no version.
CREATE OR REPLACE FUNCTION app.readiness() RETURNS TABLE (schema_version text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT max(name) FROM public.schema_migrations WHERE (SELECT app.claims() ->> 'caller') IS NOT NULL
$$;

-- Public tenant discovery for login screens: an active tenant's id and display name by slug, nothing else.
CREATE OR REPLACE FUNCTION app.tenant_directory(p_slug text) RETURNS TABLE (id uuid, slug text, name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT t.id, t.slug, t.name FROM public.tenants t WHERE t.slug = p_slug AND t.status = 'active'
$$;

-- The tenants the scheduler works for.
CREATE OR REPLACE FUNCTION app.active_tenants() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT id FROM tenants WHERE status = 'active' ORDER BY id
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.readiness() OWNER TO leave_ledger_definer;
ALTER FUNCTION app.tenant_directory(text) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.active_tenants() OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.readiness(), app.tenant_directory(text), app.active_tenants() FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.readiness(), app.tenant_directory(text), app.active_tenants() TO leave_ledger_system;
