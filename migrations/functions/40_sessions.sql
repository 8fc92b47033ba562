-- Sign-in and sessions: login and PIN candidates, identity, refresh-token rotation and revocation, external subjects.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Login by email: the user, its status and password hash, if the tenant is active. No row for anything else.
CREATE OR REPLACE FUNCTION app.login_candidate(p_tenant_slug text, p_email text)
RETURNS TABLE (user_id uuid, tenant_id uuid, status text, secret_hash text, session_version bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id, u.tenant_id, u.status::text, c.password_hash, u.session_version
  FROM tenants t JOIN users u ON u.tenant_id = t.id LEFT JOIN credentials c ON c.user_id = u.id
  WHERE t.slug = p_tenant_slug AND t.status = 'active' AND lower(u.email) = lower(p_email)
$$;

-- Kiosk login by employee number: the same, with the PIN hash.
CREATE OR REPLACE FUNCTION app.pin_candidate(p_tenant_slug text, p_employee_number text)
RETURNS TABLE (user_id uuid, tenant_id uuid, status text, secret_hash text, session_version bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id, u.tenant_id, u.status::text, c.pin_hash, u.session_version
  FROM tenants t JOIN employees e ON e.tenant_id = t.id JOIN users u ON u.id = e.user_id
  LEFT JOIN credentials c ON c.user_id = u.id
  WHERE t.slug = p_tenant_slug AND t.status = 'active' AND e.employee_number = p_employee_number
$$;

-- Who a verified token's subject is now: status, employee record, roles and versions.
CREATE OR REPLACE FUNCTION app.identity(p_user_id uuid, p_tenant_id uuid)
RETURNS TABLE (user_id uuid, tenant_id uuid, status text, employee_id uuid, roles text[], session_version bigint, permission_version bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id, u.tenant_id, u.status::text, e.id,
         coalesce((SELECT array_agg(r.role::text ORDER BY r.role) FROM role_assignments r WHERE r.user_id = u.id), '{}'),
         u.session_version, u.permission_version
  FROM users u JOIN tenants t ON t.id = u.tenant_id AND t.status = 'active'
  LEFT JOIN employees e ON e.user_id = u.id
  WHERE u.id = p_user_id AND u.tenant_id = p_tenant_id
$$;

CREATE OR REPLACE FUNCTION app.issue_refresh_token(p_user_id uuid, p_family_id uuid, p_token_hash text, p_expires_at timestamptz)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  INSERT INTO refresh_tokens (tenant_id, user_id, family_id, token_hash, expires_at)
  SELECT u.tenant_id, u.id, p_family_id, p_token_hash, p_expires_at FROM users u WHERE u.id = p_user_id AND u.status = 'active'
$$;

-- Rotation in one step: a token used twice revokes its whole family (the caller gets outcome 'reused').
CREATE OR REPLACE FUNCTION app.rotate_refresh_token(p_token_hash text, p_new_hash text, p_expires_at timestamptz, p_now timestamptz)
RETURNS TABLE (outcome text, user_id uuid, tenant_id uuid, family_id uuid, session_version bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  t refresh_tokens%ROWTYPE;
  u record;
BEGIN
  SELECT * INTO t FROM refresh_tokens r WHERE r.token_hash = p_token_hash FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unknown'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::bigint;
    RETURN;
  END IF;
  SELECT x.status, x.session_version INTO u FROM users x WHERE x.id = t.user_id;
  IF t.revoked_at IS NOT NULL THEN
    RETURN QUERY SELECT 'revoked'::text, t.user_id, t.tenant_id, t.family_id, u.session_version;
  ELSIF t.used_at IS NOT NULL THEN
    UPDATE refresh_tokens r SET revoked_at = p_now WHERE r.family_id = t.family_id AND r.revoked_at IS NULL;
    RETURN QUERY SELECT 'reused'::text, t.user_id, t.tenant_id, t.family_id, u.session_version;
  ELSIF t.expires_at <= p_now THEN
    RETURN QUERY SELECT 'expired'::text, t.user_id, t.tenant_id, t.family_id, u.session_version;
  ELSIF u.status <> 'active' THEN
    UPDATE refresh_tokens r SET revoked_at = p_now WHERE r.family_id = t.family_id AND r.revoked_at IS NULL;
    RETURN QUERY SELECT 'inactive'::text, t.user_id, t.tenant_id, t.family_id, u.session_version;
  ELSE
    UPDATE refresh_tokens r SET used_at = p_now WHERE r.id = t.id;
    INSERT INTO refresh_tokens (tenant_id, user_id, family_id, token_hash, expires_at)
    VALUES (t.tenant_id, t.user_id, t.family_id, p_new_hash, p_expires_at);
    RETURN QUERY SELECT 'rotated'::text, t.user_id, t.tenant_id, t.family_id, u.session_version;
  END IF;
END
$$;

-- Logout: the presented refresh token's family ends. Returns the user it belonged to.
CREATE OR REPLACE FUNCTION app.revoke_refresh_family(p_token_hash text, p_now timestamptz)
RETURNS TABLE (user_id uuid, tenant_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  UPDATE refresh_tokens r SET revoked_at = p_now
  WHERE r.family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = p_token_hash) AND r.revoked_at IS NULL
  RETURNING r.user_id, r.tenant_id
$$;

-- Every session of a user ends: refresh tokens revoked, session version raised (access tokens die on their next use).
-- Callable by the user themself, or by an HR Admin / System Admin of the same tenant who may manage the user.
CREATE OR REPLACE FUNCTION app.end_all_sessions(p_user_id uuid, p_session_version bigint, p_now timestamptz)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v bigint;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM users u WHERE u.id = p_user_id AND u.tenant_id = app.tenant_id()
      AND (u.id = app.user_id() OR (app.can('user:manage') AND app.may_manage(u.id)))
  ) THEN
    RAISE EXCEPTION 'not allowed to end the sessions of this user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE refresh_tokens r SET revoked_at = p_now WHERE r.user_id = p_user_id AND r.revoked_at IS NULL;
  UPDATE users u SET session_version = greatest(u.session_version, p_session_version), updated_at = p_now
  WHERE u.id = p_user_id RETURNING u.session_version INTO v;
  RETURN v;
END
$$;

CREATE OR REPLACE FUNCTION app.user_by_external_subject(p_tenant_id uuid, p_subject text)
RETURNS TABLE (user_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id FROM users u WHERE u.tenant_id = p_tenant_id AND u.external_subject = p_subject AND u.status = 'active'
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.login_candidate(text,text) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.pin_candidate(text,text) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.identity(uuid,uuid) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.issue_refresh_token(uuid,uuid,text,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.rotate_refresh_token(text,text,timestamp with time zone,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.revoke_refresh_family(text,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.end_all_sessions(uuid,bigint,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.user_by_external_subject(uuid,text) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.login_candidate(text,text), app.pin_candidate(text,text), app.identity(uuid,uuid), app.issue_refresh_token(uuid,uuid,text,timestamp with time zone), app.rotate_refresh_token(text,text,timestamp with time zone,timestamp with time zone), app.revoke_refresh_family(text,timestamp with time zone), app.user_by_external_subject(uuid,text) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.login_candidate(text,text), app.pin_candidate(text,text), app.identity(uuid,uuid), app.issue_refresh_token(uuid,uuid,text,timestamp with time zone), app.rotate_refresh_token(text,text,timestamp with time zone,timestamp with time zone), app.revoke_refresh_family(text,timestamp with time zone), app.user_by_external_subject(uuid,text) TO leave_ledger_system;
REVOKE ALL ON FUNCTION app.end_all_sessions(uuid,bigint,timestamp with time zone) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.end_all_sessions(uuid,bigint,timestamp with time zone) TO leave_ledger_app;
