-- Service API keys: lookup by hash, last-used time.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Bearer authentication of a key: the row for its public prefix, hash included (compared by the Worker).
CREATE OR REPLACE FUNCTION app.api_key_lookup(p_prefix text)
RETURNS TABLE (id uuid, tenant_id uuid, key_hash text, role text, scopes text[], revoked boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT k.id, k.tenant_id, k.key_hash, k.role::text, k.scopes, k.revoked_at IS NOT NULL
  FROM api_keys k JOIN tenants t ON t.id = k.tenant_id AND t.status = 'active'
  WHERE k.prefix = p_prefix
$$;

-- Last use, recorded at most once a minute per key.
CREATE OR REPLACE FUNCTION app.touch_api_key(p_id uuid, p_now timestamptz)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  UPDATE api_keys SET last_used_at = p_now
  WHERE id = p_id AND (last_used_at IS NULL OR last_used_at < p_now - interval '1 minute')
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.api_key_lookup(text) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.touch_api_key(uuid,timestamp with time zone) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.api_key_lookup(text), app.touch_api_key(uuid,timestamp with time zone) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.api_key_lookup(text), app.touch_api_key(uuid,timestamp with time zone) TO leave_ledger_system;
