ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- System Admins manage keys under RLS; nobody reads a key's hash through the app role.
GRANT SELECT (id, tenant_id, name, prefix, role, scopes, created_by, created_at, rotated_at, last_used_at, revoked_at) ON api_keys TO leave_ledger_app;
--> statement-breakpoint
GRANT INSERT ON api_keys TO leave_ledger_app;
--> statement-breakpoint
GRANT UPDATE (prefix, key_hash, rotated_at, revoked_at) ON api_keys TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, UPDATE (last_used_at) ON api_keys TO leave_ledger_definer;
--> statement-breakpoint
-- Bearer authentication of a key: the row for its public prefix, hash included (compared by the Worker).
CREATE FUNCTION app.api_key_lookup(p_prefix text)
RETURNS TABLE (id uuid, tenant_id uuid, key_hash text, role text, scopes text[], revoked boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT k.id, k.tenant_id, k.key_hash, k.role::text, k.scopes, k.revoked_at IS NOT NULL
  FROM api_keys k JOIN tenants t ON t.id = k.tenant_id AND t.status = 'active'
  WHERE k.prefix = p_prefix
$$;
--> statement-breakpoint
-- Last use, recorded at most once a minute per key.
CREATE FUNCTION app.touch_api_key(p_id uuid, p_now timestamptz)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  UPDATE api_keys SET last_used_at = p_now
  WHERE id = p_id AND (last_used_at IS NULL OR last_used_at < p_now - interval '1 minute')
$$;
--> statement-breakpoint
GRANT CREATE ON SCHEMA app TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.api_key_lookup(text) OWNER TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.touch_api_key(uuid, timestamptz) OWNER TO leave_ledger_definer;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION app.api_key_lookup(text), app.touch_api_key(uuid, timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.api_key_lookup(text), app.touch_api_key(uuid, timestamptz) TO leave_ledger_system;
