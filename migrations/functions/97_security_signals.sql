-- Security signals: what deserves a security team's attention becomes an audit row `security.<kind>` and, for a
-- known tenant, a domain event of the same type (a webhook), in the transaction that noticed it. The Worker records
-- a metric for each. Kinds (docs/security.md, "Security signals"): refresh_token_reuse, login_failures_from_address,
-- admin_new_country, api_key_new_asn, self_serving_refused, bulk_adjustments.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- A signal never breaks the work that noticed it: a failure to record it is a warning in the database's log, and the
-- work goes on (the signal's own writes are undone with it).
CREATE OR REPLACE FUNCTION app.security_signal(p_tenant uuid, p_kind text, p_actor_type text, p_actor_id text, p_target_type text,
  p_target_id text, p_facts jsonb, p_data jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM app.audit_system(p_tenant, p_actor_type, p_actor_id, 'security.' || p_kind, p_target_type, p_target_id, true,
                           p_facts ->> 'ip', p_facts ->> 'user_agent', p_facts ->> 'request_id', p_data);
  IF p_tenant IS NOT NULL THEN
    PERFORM app.emit(p_tenant, 'security.' || p_kind, 'security:' || gen_random_uuid(), coalesce((p_facts ->> 'now')::timestamptz, now()), p_data);
  END IF;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'security signal % not recorded: %', p_kind, SQLERRM;
END
$$;

-- A signal the Worker noticed (a refresh token used twice, an address blocked after failed logins, a refused attempt
-- to serve oneself), for the tenant of the caller's claims (none for a failed login to an unknown tenant: audited
-- only). Sign-in and session callers only; each kind names who acted and what its data holds.
CREATE OR REPLACE FUNCTION app.raise_security_signal(p jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_kind text := p ->> 'kind';
BEGIN
  IF coalesce(app.claims() ->> 'caller', '') NOT IN ('system:auth', 'system:login') THEN
    PERFORM app.fail('FORBIDDEN', 'Only sign-in and sessions raise security signals');
  END IF;
  IF coalesce(v_kind, '') NOT IN ('refresh_token_reuse', 'login_failures_from_address', 'self_serving_refused') THEN
    PERFORM app.fail('VALIDATION_FAILED', 'Not a security signal the Worker raises', jsonb_build_object('kind', v_kind));
  END IF;
  PERFORM app.security_signal(app.tenant_id(), v_kind, p ->> 'actor_type', p ->> 'actor_id', p ->> 'target_type', p ->> 'target_id',
                              p -> 'facts', coalesce(p -> 'data', '{}'));
END
$$;

-- Notes where a person signed in from (`country`) or an API key was used from (`asn`), and answers the signal it
-- raised, if any: `admin_new_country` for a System or HR Admin's first sign-in from a country after others,
-- `api_key_new_asn` for a key's first use from a network after others. The first place of each is not news.
CREATE OR REPLACE FUNCTION app.note_sign_in_place(p jsonb) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_type text := p ->> 'principal_type';
  v_principal uuid := (p ->> 'principal_id')::uuid;
  v_kind text := CASE v_type WHEN 'user' THEN 'country' ELSE 'asn' END;
  v_value text := nullif(p ->> 'value', '');
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_new boolean;
  v_signal text;
BEGIN
  IF coalesce(app.claims() ->> 'caller', '') NOT IN ('system:auth', 'system:login') OR v_tenant IS NULL THEN
    PERFORM app.fail('FORBIDDEN', 'Only sign-in and sessions note where they come from');
  END IF;
  IF v_value IS NULL OR v_type NOT IN ('user', 'api_key') THEN
    RETURN NULL;
  END IF;
  BEGIN -- noting a place never breaks a sign-in
    INSERT INTO sign_in_places AS s (tenant_id, principal_type, principal_id, kind, value, first_seen_at, last_seen_at)
    VALUES (v_tenant, v_type, v_principal, v_kind, v_value, v_now, v_now)
    ON CONFLICT (principal_id, kind, value) DO UPDATE SET last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at)
    RETURNING (xmax = 0) INTO v_new;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'sign-in place not noted: %', SQLERRM;
    RETURN NULL;
  END;
  IF NOT v_new OR NOT EXISTS (SELECT 1 FROM sign_in_places WHERE principal_id = v_principal AND kind = v_kind AND value <> v_value) THEN
    RETURN NULL;
  END IF;
  IF v_type = 'user' AND EXISTS (SELECT 1 FROM role_assignments WHERE user_id = v_principal AND tenant_id = v_tenant
                                 AND role IN ('system_admin', 'hr_admin')) THEN
    v_signal := 'admin_new_country';
    PERFORM app.security_signal(v_tenant, v_signal, 'user', v_principal::text, 'user', v_principal::text, p -> 'facts',
                                jsonb_build_object('user_id', v_principal, 'country', v_value));
  ELSIF v_type = 'api_key' THEN
    v_signal := 'api_key_new_asn';
    PERFORM app.security_signal(v_tenant, v_signal, 'api_key', v_principal::text, 'api_key', v_principal::text, p -> 'facts',
                                jsonb_build_object('api_key_id', v_principal, 'asn', v_value));
  END IF;
  RETURN v_signal;
END
$$;

-- bulk_adjustments: raised by the grant or adjustment posted by hand that brings its author's count within the last
-- `window_minutes` to `threshold`, once per crossing. The author's posts count one at a time (a transaction lock per
-- author), so parallel posts cannot step over the threshold unseen. Answers whether it did.
CREATE OR REPLACE FUNCTION app.check_bulk_adjustments(p_tenant uuid, p_actor uuid, p_now timestamptz, p_rule jsonb, p_facts jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_window int := (p_rule ->> 'window_minutes')::int;
  v_count int;
BEGIN
  IF p_rule IS NULL THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('bulk-adjustments:' || p_tenant || ':' || p_actor, 0));
  SELECT count(*) INTO v_count FROM ledger_entries
  WHERE tenant_id = p_tenant AND actor_id = p_actor::text AND kind IN ('grant', 'adjustment') AND reference LIKE 'manual:%'
    AND recorded_at > p_now - make_interval(mins => v_window) AND recorded_at <= p_now;
  IF v_count <> (p_rule ->> 'threshold')::int THEN
    RETURN false;
  END IF;
  PERFORM app.security_signal(p_tenant, 'bulk_adjustments', 'user', p_actor::text, 'user', p_actor::text, p_facts || jsonb_build_object('now', p_now),
                              jsonb_build_object('user_id', p_actor, 'entries', v_count, 'window_minutes', v_window));
  RETURN true;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.raise_security_signal(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.note_sign_in_place(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.security_signal(uuid,text,text,text,text,text,jsonb,jsonb),
  app.check_bulk_adjustments(uuid,uuid,timestamp with time zone,jsonb,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.security_signal(uuid,text,text,text,text,text,jsonb,jsonb),
  app.check_bulk_adjustments(uuid,uuid,timestamp with time zone,jsonb,jsonb) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.raise_security_signal(jsonb), app.note_sign_in_place(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.raise_security_signal(jsonb), app.note_sign_in_place(jsonb) TO leave_ledger_system;
