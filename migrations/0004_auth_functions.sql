-- Privileges, triggers and the functions login and session handling run. Hand-written.
ALTER TABLE credentials FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_log TO leave_ledger_app;
--> statement-breakpoint
-- Admins raise a user's versions with every role change or deactivation (the users_update policy decides who).
GRANT UPDATE (session_version, permission_version) ON users TO leave_ledger_app;
--> statement-breakpoint
GRANT INSERT ON audit_log TO leave_ledger_definer;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON credentials, refresh_tokens TO leave_ledger_definer;
--> statement-breakpoint
GRANT SELECT (id, tenant_id, email, status, session_version, permission_version) ON users TO leave_ledger_definer;
--> statement-breakpoint
GRANT UPDATE (session_version, permission_version, updated_at) ON users TO leave_ledger_definer;
--> statement-breakpoint
GRANT SELECT (id, tenant_id, user_id, employee_number) ON employees TO leave_ledger_definer;
--> statement-breakpoint
GRANT SELECT ON role_assignments TO leave_ledger_definer;
--> statement-breakpoint
CREATE POLICY users_definer ON users FOR ALL TO leave_ledger_definer USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY employees_definer ON employees FOR SELECT TO leave_ledger_definer USING (true);
--> statement-breakpoint
CREATE POLICY role_assignments_definer ON role_assignments FOR SELECT TO leave_ledger_definer USING (true);
--> statement-breakpoint
-- The audit log is append-only for everyone, its owner included.
CREATE FUNCTION app.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION app.refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION app.refuse_audit_change();
--> statement-breakpoint
-- Login by email: the user, its status and password hash, if the tenant is active. No row for anything else.
CREATE FUNCTION app.login_candidate(p_tenant_slug text, p_email text)
RETURNS TABLE (user_id uuid, tenant_id uuid, status text, secret_hash text, session_version bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id, u.tenant_id, u.status::text, c.password_hash, u.session_version
  FROM tenants t JOIN users u ON u.tenant_id = t.id LEFT JOIN credentials c ON c.user_id = u.id
  WHERE t.slug = p_tenant_slug AND t.status = 'active' AND lower(u.email) = lower(p_email)
$$;
--> statement-breakpoint
-- Kiosk login by employee number: the same, with the PIN hash.
CREATE FUNCTION app.pin_candidate(p_tenant_slug text, p_employee_number text)
RETURNS TABLE (user_id uuid, tenant_id uuid, status text, secret_hash text, session_version bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id, u.tenant_id, u.status::text, c.pin_hash, u.session_version
  FROM tenants t JOIN employees e ON e.tenant_id = t.id JOIN users u ON u.id = e.user_id
  LEFT JOIN credentials c ON c.user_id = u.id
  WHERE t.slug = p_tenant_slug AND t.status = 'active' AND e.employee_number = p_employee_number
$$;
--> statement-breakpoint
-- Who a verified token's subject is now: status, employee record, roles and versions.
CREATE FUNCTION app.identity(p_user_id uuid, p_tenant_id uuid)
RETURNS TABLE (user_id uuid, tenant_id uuid, status text, employee_id uuid, roles text[], session_version bigint, permission_version bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id, u.tenant_id, u.status::text, e.id,
         coalesce((SELECT array_agg(r.role::text ORDER BY r.role) FROM role_assignments r WHERE r.user_id = u.id), '{}'),
         u.session_version, u.permission_version
  FROM users u JOIN tenants t ON t.id = u.tenant_id AND t.status = 'active'
  LEFT JOIN employees e ON e.user_id = u.id
  WHERE u.id = p_user_id AND u.tenant_id = p_tenant_id
$$;
--> statement-breakpoint
CREATE FUNCTION app.issue_refresh_token(p_user_id uuid, p_family_id uuid, p_token_hash text, p_expires_at timestamptz)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  INSERT INTO refresh_tokens (tenant_id, user_id, family_id, token_hash, expires_at)
  SELECT u.tenant_id, u.id, p_family_id, p_token_hash, p_expires_at FROM users u WHERE u.id = p_user_id AND u.status = 'active'
$$;
--> statement-breakpoint
-- Rotation in one step: a token used twice revokes its whole family (the caller gets outcome 'reused').
CREATE FUNCTION app.rotate_refresh_token(p_token_hash text, p_new_hash text, p_expires_at timestamptz, p_now timestamptz)
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
--> statement-breakpoint
-- Logout: the presented refresh token's family ends. Returns the user it belonged to.
CREATE FUNCTION app.revoke_refresh_family(p_token_hash text, p_now timestamptz)
RETURNS TABLE (user_id uuid, tenant_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  UPDATE refresh_tokens r SET revoked_at = p_now
  WHERE r.family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = p_token_hash) AND r.revoked_at IS NULL
  RETURNING r.user_id, r.tenant_id
$$;
--> statement-breakpoint
-- Every session of a user ends: refresh tokens revoked, session version raised (access tokens die on their next use).
-- Callable by the user themself, or by an HR Admin / System Admin of the same tenant.
CREATE FUNCTION app.end_all_sessions(p_user_id uuid, p_session_version bigint, p_now timestamptz)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v bigint;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM users u WHERE u.id = p_user_id AND u.tenant_id = app.tenant_id()
      AND (u.id = app.user_id() OR app.has_any_role(ARRAY['hr_admin', 'system_admin']))
  ) THEN
    RAISE EXCEPTION 'not allowed to end the sessions of this user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE refresh_tokens r SET revoked_at = p_now WHERE r.user_id = p_user_id AND r.revoked_at IS NULL;
  UPDATE users u SET session_version = greatest(u.session_version, p_session_version), updated_at = p_now
  WHERE u.id = p_user_id RETURNING u.session_version INTO v;
  RETURN v;
END
$$;
--> statement-breakpoint
-- Audit rows written by system callers (login failures have no user to act as).
CREATE FUNCTION app.audit_system(p_tenant_id uuid, p_actor_type text, p_actor_id text, p_action text, p_target_type text,
  p_target_id text, p_success boolean, p_ip text, p_user_agent text, p_request_id text, p_details jsonb)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, success, ip, user_agent, request_id, details)
  VALUES (p_tenant_id, p_actor_type, p_actor_id, p_action, p_target_type, p_target_id, p_success, p_ip, p_user_agent, p_request_id, coalesce(p_details, '{}'))
$$;
--> statement-breakpoint
GRANT CREATE ON SCHEMA app TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.login_candidate(text, text) OWNER TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.pin_candidate(text, text) OWNER TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.identity(uuid, uuid) OWNER TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.issue_refresh_token(uuid, uuid, text, timestamptz) OWNER TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.rotate_refresh_token(text, text, timestamptz, timestamptz) OWNER TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.revoke_refresh_family(text, timestamptz) OWNER TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.end_all_sessions(uuid, bigint, timestamptz) OWNER TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.audit_system(uuid, text, text, text, text, text, boolean, text, text, text, jsonb) OWNER TO leave_ledger_definer;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION app.refuse_audit_change(), app.login_candidate(text, text), app.pin_candidate(text, text),
  app.identity(uuid, uuid), app.issue_refresh_token(uuid, uuid, text, timestamptz),
  app.rotate_refresh_token(text, text, timestamptz, timestamptz), app.revoke_refresh_family(text, timestamptz),
  app.end_all_sessions(uuid, bigint, timestamptz),
  app.audit_system(uuid, text, text, text, text, text, boolean, text, text, text, jsonb) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.login_candidate(text, text), app.pin_candidate(text, text), app.identity(uuid, uuid),
  app.issue_refresh_token(uuid, uuid, text, timestamptz), app.rotate_refresh_token(text, text, timestamptz, timestamptz),
  app.revoke_refresh_family(text, timestamptz),
  app.audit_system(uuid, text, text, text, text, text, boolean, text, text, text, jsonb) TO leave_ledger_system;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.end_all_sessions(uuid, bigint, timestamptz) TO leave_ledger_app;
