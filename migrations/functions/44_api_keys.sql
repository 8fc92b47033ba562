-- Service API keys: lookup by hash, last-used time.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Earlier result type (0008): keys now act for their creator.
DROP FUNCTION IF EXISTS app.api_key_lookup(text);

-- Bearer authentication of a key: the row for its public prefix, hash included (compared by the Worker), and the
-- person it acts for — its creator. A key counts as revoked once its creator is no longer active, or no longer
-- holds roles granting every permission the key's role (within its scopes) grants: a key never does more than
-- its creator could do now.
CREATE OR REPLACE FUNCTION app.api_key_lookup(p_prefix text)
RETURNS TABLE (id uuid, tenant_id uuid, key_hash text, role text, scopes text[], revoked boolean, acting_user_id uuid, acting_employee_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT k.id, k.tenant_id, k.key_hash, k.role::text, k.scopes,
         k.revoked_at IS NOT NULL OR u.status IS DISTINCT FROM 'active'
           OR EXISTS (SELECT 1 FROM unnest(app.role_permissions(k.role::text)) p
                      WHERE (cardinality(k.scopes) = 0 OR p = ANY (k.scopes))
                        AND NOT EXISTS (SELECT 1 FROM role_assignments r
                                        WHERE r.user_id = k.created_by AND p = ANY (app.role_permissions(r.role::text)))),
         k.created_by, e.id
  FROM api_keys k JOIN tenants t ON t.id = k.tenant_id AND t.status = 'active'
  LEFT JOIN users u ON u.id = k.created_by AND u.tenant_id = k.tenant_id
  LEFT JOIN employees e ON e.user_id = k.created_by
  WHERE k.prefix = p_prefix
$$;

-- The prefixes of the active keys acting for a user: a change that may stop them (deactivation, losing a role)
-- raises their versions too. Only for a caller who may manage the user.
CREATE OR REPLACE FUNCTION app.keys_acting_for(p_user_id uuid)
RETURNS TABLE (prefix text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT k.prefix FROM api_keys k
  WHERE k.created_by = p_user_id AND k.tenant_id = app.tenant_id() AND k.revoked_at IS NULL
    AND app.can('user:manage') AND app.may_manage(p_user_id)
$$;

-- Last use, recorded at most once a minute per key.
CREATE OR REPLACE FUNCTION app.touch_api_key(p_id uuid, p_now timestamptz)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  UPDATE api_keys SET last_used_at = p_now
  WHERE id = p_id AND (last_used_at IS NULL OR last_used_at < p_now - interval '1 minute')
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.api_key_lookup(text) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.touch_api_key(uuid,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.keys_acting_for(uuid) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.api_key_lookup(text), app.touch_api_key(uuid,timestamp with time zone) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.api_key_lookup(text), app.touch_api_key(uuid,timestamp with time zone) TO leave_ledger_system;
REVOKE ALL ON FUNCTION app.keys_acting_for(uuid) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.keys_acting_for(uuid) TO leave_ledger_app;
