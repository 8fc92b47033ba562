-- Credentials: setting a password or PIN hash, reading a password hash for verification.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Setting a password or PIN hash (hashing happens in the Worker): by the user themself, or by an HR Admin or
-- System Admin of the same tenant who may manage the user (38_user_management.sql); never by an API key. Every session of the user ends with it (refresh tokens revoked, session
-- version raised; the Worker raises the Durable Object's copy before and after).
CREATE OR REPLACE FUNCTION app.set_credentials(p_user_id uuid, p_password_hash text, p_pin_hash text, p_session_version bigint, p_now timestamptz)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM users u WHERE u.id = p_user_id AND u.tenant_id = app.tenant_id()
      AND app.claims() ->> 'caller' = 'user'
      AND (u.id = app.user_id() OR (app.can('user:manage') AND app.may_manage(u.id)))
  ) THEN
    RETURN false;
  END IF;
  INSERT INTO credentials AS c (user_id, tenant_id, password_hash, pin_hash, updated_at)
  SELECT u.id, u.tenant_id, p_password_hash, p_pin_hash, p_now FROM users u WHERE u.id = p_user_id
  ON CONFLICT (user_id) DO UPDATE SET
    password_hash = coalesce(excluded.password_hash, c.password_hash),
    pin_hash = coalesce(excluded.pin_hash, c.pin_hash),
    updated_at = p_now;
  PERFORM app.end_sessions(p_user_id, p_session_version, p_now);
  RETURN true;
END
$$;

-- The caller's own current password hash, to check it before a change (system caller `login`).
CREATE OR REPLACE FUNCTION app.password_hash_of(p_user_id uuid)
RETURNS TABLE (secret_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT c.password_hash FROM credentials c WHERE c.user_id = p_user_id
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.set_credentials(uuid,text,text,bigint,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.password_hash_of(uuid) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.set_credentials(uuid,text,text,bigint,timestamp with time zone) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.set_credentials(uuid,text,text,bigint,timestamp with time zone) TO leave_ledger_app;
REVOKE ALL ON FUNCTION app.password_hash_of(uuid) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.password_hash_of(uuid) TO leave_ledger_system;
