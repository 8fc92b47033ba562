-- Sign-in and sessions: login and PIN candidates, identity, refresh-token rotation and revocation, external subjects.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Earlier signatures: refresh tokens now carry the session version they were issued under (0018) and whether a
-- kiosk login issued them (0020).
DROP FUNCTION IF EXISTS app.issue_refresh_token(uuid, uuid, text, timestamptz);
DROP FUNCTION IF EXISTS app.issue_refresh_token(uuid, uuid, text, timestamptz, bigint);
DROP FUNCTION IF EXISTS app.rotate_refresh_token(text, text, timestamptz, timestamptz);
-- Identity now lists the approval delegations the person holds (0039).
DROP FUNCTION IF EXISTS app.identity(uuid, uuid);

-- Login by email: the user, its status and password hash, if the tenant is active. No row for anything else.
CREATE OR REPLACE FUNCTION app.login_candidate(p_tenant_slug text, p_email text)
RETURNS TABLE (user_id uuid, tenant_id uuid, status text, secret_hash text, session_version bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.id, u.tenant_id, u.status::text, c.password_hash, u.session_version
  FROM tenants t JOIN users u ON u.tenant_id = t.id LEFT JOIN credentials c ON c.user_id = u.id
  WHERE t.slug = p_tenant_slug AND t.status = 'active' AND lower(u.email) = lower(p_email)
$$;

-- Kiosk login by employee number: the same, with the PIN hash.
CREATE OR REPLACE FUNCTION app.pin_candidate(p_tenant_slug text, p_employee_number text)
RETURNS TABLE (user_id uuid, tenant_id uuid, status text, secret_hash text, session_version bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.id, u.tenant_id, u.status::text, c.pin_hash, u.session_version
  FROM tenants t JOIN employees e ON e.tenant_id = t.id JOIN users u ON u.id = e.user_id
  LEFT JOIN credentials c ON c.user_id = u.id
  WHERE t.slug = p_tenant_slug AND t.status = 'active' AND e.employee_number = p_employee_number
$$;

-- Who a verified token's subject is now: status, employee record, roles, versions, and the approval delegations
-- they hold that were not revoked, from delegators still approvers (the latest-ending first: those not yet ended
-- are among them, app.create_delegation caps their number); the Worker picks those running at each request's time.
CREATE OR REPLACE FUNCTION app.identity(p_user_id uuid, p_tenant_id uuid)
RETURNS TABLE (user_id uuid, tenant_id uuid, status text, employee_id uuid, roles text[], session_version bigint, permission_version bigint,
               delegations jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.id, u.tenant_id, u.status::text, e.id,
         coalesce((SELECT array_agg(r.role::text ORDER BY r.role) FROM role_assignments r WHERE r.user_id = u.id), '{}'),
         u.session_version, u.permission_version,
         coalesce((SELECT jsonb_agg(jsonb_build_object('delegator_id', d.delegator_id, 'starts_at', d.starts_at, 'ends_at', d.ends_at) ORDER BY d.ends_at DESC)
                   FROM (SELECT * FROM approval_delegations x WHERE x.delegate_id = e.id AND x.revoked_at IS NULL
                           AND app.employee_may(x.delegator_id, 'request:approve:reports', NULL)
                         ORDER BY x.ends_at DESC LIMIT app.max_held_delegations()) d), '[]')
  FROM users u JOIN tenants t ON t.id = u.tenant_id AND t.status = 'active'
  LEFT JOIN employees e ON e.user_id = u.id
  WHERE u.id = p_user_id AND u.tenant_id = p_tenant_id
$$;

-- A new session's first refresh token, under the session version the caller read when it checked the secret:
-- if a logout-all, password reset or deactivation raised it since, nothing is issued (false). The user row is
-- locked first, as every session change takes it, so the two cannot interleave. `p_kiosk`: a PIN login's.
CREATE OR REPLACE FUNCTION app.issue_refresh_token(p_user_id uuid, p_family_id uuid, p_token_hash text, p_expires_at timestamptz,
                                                   p_session_version bigint, p_kiosk boolean)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  u record;
BEGIN
  SELECT x.tenant_id, x.session_version INTO u FROM users x WHERE x.id = p_user_id AND x.status = 'active' FOR SHARE;
  IF NOT FOUND OR u.session_version > p_session_version THEN
    RETURN false;
  END IF;
  INSERT INTO refresh_tokens (tenant_id, user_id, family_id, token_hash, expires_at, session_version, kiosk)
  VALUES (u.tenant_id, p_user_id, p_family_id, p_token_hash, p_expires_at, u.session_version, p_kiosk);
  RETURN true;
END
$$;

-- Rotation in one step, the user row locked first (a rotation and a logout-all or password reset of the same user
-- run one after the other, never interleaved). A token issued under an older session version is refused
-- ('ended'); a token used twice ends every session of the user ('reused', with the raised session version).
-- The new token keeps the family's kind (kiosk or not).
CREATE OR REPLACE FUNCTION app.rotate_refresh_token(p_token_hash text, p_new_hash text, p_expires_at timestamptz, p_now timestamptz)
RETURNS TABLE (outcome text, user_id uuid, tenant_id uuid, family_id uuid, session_version bigint, kiosk boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  owner uuid;
  t refresh_tokens%ROWTYPE;
  u record;
BEGIN
  SELECT r.user_id INTO owner FROM refresh_tokens r WHERE r.token_hash = p_token_hash;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unknown'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::bigint, NULL::boolean;
    RETURN;
  END IF;
  SELECT x.status, x.session_version INTO u FROM users x WHERE x.id = owner FOR NO KEY UPDATE;
  SELECT * INTO t FROM refresh_tokens r WHERE r.token_hash = p_token_hash FOR UPDATE;
  IF t.revoked_at IS NOT NULL THEN
    RETURN QUERY SELECT 'revoked'::text, t.user_id, t.tenant_id, t.family_id, u.session_version, t.kiosk;
  ELSIF t.used_at IS NOT NULL THEN
    RETURN QUERY SELECT 'reused'::text, t.user_id, t.tenant_id, t.family_id,
      app.end_sessions(t.user_id, greatest(u.session_version + 1, (extract(epoch FROM p_now) * 1000)::bigint), p_now), t.kiosk;
  ELSIF t.expires_at <= p_now THEN
    RETURN QUERY SELECT 'expired'::text, t.user_id, t.tenant_id, t.family_id, u.session_version, t.kiosk;
  ELSIF u.status <> 'active' OR t.session_version < u.session_version THEN
    UPDATE refresh_tokens r SET revoked_at = p_now WHERE r.family_id = t.family_id AND r.revoked_at IS NULL;
    RETURN QUERY SELECT (CASE WHEN u.status <> 'active' THEN 'inactive' ELSE 'ended' END)::text, t.user_id, t.tenant_id, t.family_id,
      u.session_version, t.kiosk;
  ELSE
    UPDATE refresh_tokens r SET used_at = p_now WHERE r.id = t.id;
    INSERT INTO refresh_tokens (tenant_id, user_id, family_id, token_hash, expires_at, session_version, kiosk)
    VALUES (t.tenant_id, t.user_id, t.family_id, p_new_hash, p_expires_at, u.session_version, t.kiosk);
    RETURN QUERY SELECT 'rotated'::text, t.user_id, t.tenant_id, t.family_id, u.session_version, t.kiosk;
  END IF;
END
$$;

-- Logout: the presented refresh token's family ends. Returns the user it belonged to.
CREATE OR REPLACE FUNCTION app.revoke_refresh_family(p_token_hash text, p_now timestamptz)
RETURNS TABLE (user_id uuid, tenant_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  UPDATE refresh_tokens r SET revoked_at = p_now
  WHERE r.family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = p_token_hash) AND r.revoked_at IS NULL
  RETURNING r.user_id, r.tenant_id
$$;

-- Every session of a user ends: session version raised (access tokens die on their next use), then refresh
-- tokens revoked — the user row first, in the order every session function takes its locks. No checks: only
-- the functions below and in 42_credentials.sql call it, after their own.
CREATE OR REPLACE FUNCTION app.end_sessions(p_user_id uuid, p_session_version bigint, p_now timestamptz)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v bigint;
BEGIN
  UPDATE users u SET session_version = greatest(u.session_version, p_session_version), updated_at = p_now
  WHERE u.id = p_user_id RETURNING u.session_version INTO v;
  UPDATE refresh_tokens r SET revoked_at = p_now WHERE r.user_id = p_user_id AND r.revoked_at IS NULL;
  RETURN v;
END
$$;

-- Callable by the user themself, or by an HR Admin / System Admin of the same tenant who may manage the user.
CREATE OR REPLACE FUNCTION app.end_all_sessions(p_user_id uuid, p_session_version bigint, p_now timestamptz)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM users u WHERE u.id = p_user_id AND u.tenant_id = app.tenant_id()
      AND (u.id = app.user_id() OR (app.can('user:manage') AND app.may_manage(u.id)))
  ) THEN
    RAISE EXCEPTION 'not allowed to end the sessions of this user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN app.end_sessions(p_user_id, p_session_version, p_now);
END
$$;

CREATE OR REPLACE FUNCTION app.user_by_external_subject(p_tenant_id uuid, p_subject text)
RETURNS TABLE (user_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.id FROM users u WHERE u.tenant_id = p_tenant_id AND u.external_subject = p_subject AND u.status = 'active'
$$;

-- Just-in-time linking by email (an issuer configured with `jit_link_by_email`): the first verified token of a
-- subject no user holds yet links it to the active, not yet linked user with that email: never a System
-- Admin's account, nor one whose employment has ended. The Worker calls it only when the issuer vouched for the
-- email (`email_verified: true`); otherwise an email HR may edit would open someone else's account. Audited as
-- user.external_identity_link; answers the user, or nothing.
CREATE OR REPLACE FUNCTION app.link_external_subject_by_email(p_tenant_id uuid, p_subject text, p_email text, p_now timestamptz)
RETURNS TABLE (user_id uuid) LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_user uuid;
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:auth' OR app.tenant_id() IS DISTINCT FROM p_tenant_id THEN
    PERFORM app.fail('FORBIDDEN', 'Only sign-in links an identity by email');
  END IF;
  UPDATE users u SET external_subject = p_subject, updated_at = p_now
  WHERE u.tenant_id = p_tenant_id AND lower(u.email) = lower(p_email) AND u.status = 'active' AND u.external_subject IS NULL
    AND NOT EXISTS (SELECT 1 FROM role_assignments r WHERE r.user_id = u.id AND r.role = 'system_admin')
    AND NOT EXISTS (SELECT 1 FROM employees e WHERE e.user_id = u.id AND e.end_date < app.today_in(e.time_zone, p_now))
  RETURNING u.id INTO v_user;
  IF v_user IS NULL THEN RETURN; END IF;
  PERFORM app.audit_ledger('{}', 'user.external_identity_link', 'user', v_user::text, jsonb_build_object('via', 'verified_email'));
  RETURN QUERY SELECT v_user;
EXCEPTION WHEN unique_violation THEN
  RETURN; -- the subject is linked already (a concurrent first sign-in won): the caller looks it up again
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.login_candidate(text,text) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.pin_candidate(text,text) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.identity(uuid,uuid) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.issue_refresh_token(uuid,uuid,text,timestamp with time zone,bigint,boolean) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.rotate_refresh_token(text,text,timestamp with time zone,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.revoke_refresh_family(text,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.end_sessions(uuid,bigint,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.end_all_sessions(uuid,bigint,timestamp with time zone) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.user_by_external_subject(uuid,text) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.link_external_subject_by_email(uuid,text,text,timestamp with time zone) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.login_candidate(text,text), app.pin_candidate(text,text), app.identity(uuid,uuid), app.issue_refresh_token(uuid,uuid,text,timestamp with time zone,bigint,boolean), app.rotate_refresh_token(text,text,timestamp with time zone,timestamp with time zone), app.revoke_refresh_family(text,timestamp with time zone), app.user_by_external_subject(uuid,text) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.login_candidate(text,text), app.pin_candidate(text,text), app.identity(uuid,uuid), app.issue_refresh_token(uuid,uuid,text,timestamp with time zone,bigint,boolean), app.rotate_refresh_token(text,text,timestamp with time zone,timestamp with time zone), app.revoke_refresh_family(text,timestamp with time zone), app.user_by_external_subject(uuid,text) TO leave_ledger_system;
REVOKE ALL ON FUNCTION app.end_sessions(uuid,bigint,timestamp with time zone) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
REVOKE ALL ON FUNCTION app.end_all_sessions(uuid,bigint,timestamp with time zone) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.end_all_sessions(uuid,bigint,timestamp with time zone) TO leave_ledger_app;
REVOKE ALL ON FUNCTION app.link_external_subject_by_email(uuid,text,text,timestamp with time zone) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.link_external_subject_by_email(uuid,text,text,timestamp with time zone) TO leave_ledger_system;
