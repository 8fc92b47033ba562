-- Erasure of a person's data (GDPR art. 17), by a System Admin: what is kept and why is in docs/data-protection.md.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Erases an employee's personal and confidential data, in one transaction, audited as `employee.erase`:
-- - their data keys are destroyed, so every reason, comment and note sealed with them is unreadable for good
--   (and any never sealed, written before sealing existed, is set to null);
-- - name, email, employee number, external identity and time zone are replaced by a pseudonym;
-- - the user's status becomes `erased` (never active again; the last active System Admin is refused by the
--   users_keep_a_system_admin trigger), their sessions and refresh tokens end (p_session_version is what the
--   Worker raised in their Durable Object), password and PIN are deleted, API keys they created are revoked;
-- - audit rows they made or that are about them lose their personal fields (the chains still verify).
-- Amounts and dates stay: balances, reports and reconciliation add up as before. Repeating it erases what was
-- added since (nothing, normally) and answers with the first erasure's time. The answer also names the API keys
-- it revoked (revoked_key_prefixes), whose versions the Worker raises.
CREATE OR REPLACE FUNCTION app.erase_employee(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  e employees;
  v_user uuid;
  v_erased_at timestamptz;
  v_keys bigint;
  v_unsealed bigint := 0;
  v_api_keys bigint;
  v_prefixes jsonb;
  v_audit bigint;
  v_n bigint;
BEGIN
  IF NOT app.can('employee:erase') THEN
    PERFORM app.fail('FORBIDDEN', 'Only a System Admin erases an employee''s data', jsonb_build_object('permission', 'employee:erase'));
  END IF;
  SELECT * INTO e FROM employees WHERE id = (p ->> 'employee_id')::uuid AND tenant_id = v_tenant;
  IF e.id IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such employee', jsonb_build_object('employee_id', p ->> 'employee_id'));
  END IF;
  IF e.user_id = app.user_id() THEN
    PERFORM app.fail('CONFLICT', 'Nobody erases their own data; another System Admin must', '{}');
  END IF;
  v_user := e.user_id;
  UPDATE users SET status = 'erased', erased_at = coalesce(erased_at, v_now), email = 'erased-' || id || '@erased.invalid',
                   display_name = 'Erased employee', external_subject = NULL
  WHERE id = v_user
  RETURNING erased_at INTO v_erased_at;
  PERFORM app.end_sessions(v_user, (p ->> 'session_version')::bigint, v_now);
  DELETE FROM credentials WHERE user_id = v_user;
  DELETE FROM sign_in_places WHERE principal_id = v_user OR principal_id IN (SELECT id FROM api_keys WHERE created_by = v_user);
  WITH revoked AS (UPDATE api_keys SET revoked_at = v_now WHERE created_by = v_user AND revoked_at IS NULL RETURNING prefix)
  SELECT count(*), coalesce(jsonb_agg(prefix), '[]') INTO v_api_keys, v_prefixes FROM revoked;
  DELETE FROM idempotency_keys WHERE tenant_id = v_tenant AND caller_id = v_user::text;
  UPDATE employees SET employee_number = 'erased-' || id, time_zone = 'UTC' WHERE id = e.id;

  PERFORM set_config('app.rewriting_unsealed', 'on', true);
  UPDATE data_keys SET wrapped = NULL, kek_id = NULL, destroyed_at = v_now WHERE employee_id = e.id AND destroyed_at IS NULL;
  GET DIAGNOSTICS v_keys = ROW_COUNT;
  UPDATE leave_requests SET reason = NULL WHERE employee_id = e.id AND data_key_id IS NULL AND reason IS NOT NULL;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  v_unsealed := v_unsealed + v_n;
  UPDATE approvals SET comment = NULL WHERE employee_id = e.id AND data_key_id IS NULL AND comment IS NOT NULL;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  v_unsealed := v_unsealed + v_n;
  UPDATE ledger_entries SET note = NULL WHERE employee_id = e.id AND data_key_id IS NULL AND note IS NOT NULL AND kind IN ('grant', 'adjustment');
  GET DIAGNOSTICS v_n = ROW_COUNT;
  v_unsealed := v_unsealed + v_n;
  -- What the system wrote on the others ('approved', 'year-end 2026') is not about the person: moved, kept.
  UPDATE ledger_entries SET system_note = note, note = NULL WHERE employee_id = e.id AND data_key_id IS NULL AND note IS NOT NULL;

  UPDATE audit_log SET ip = NULL, user_agent = NULL, personal_details = NULL, personal_salt = NULL
  WHERE tenant_id = v_tenant AND personal_salt IS NOT NULL
    AND (actor_id = v_user::text OR (target_type = 'user' AND target_id = v_user::text) OR (target_type = 'employee' AND target_id = e.id::text));
  GET DIAGNOSTICS v_audit = ROW_COUNT;

  PERFORM app.audit_ledger(p -> 'facts', 'employee.erase', 'employee', e.id::text,
                           jsonb_build_object('data_keys_destroyed', v_keys, 'unsealed_fields_erased', v_unsealed,
                                              'api_keys_revoked', v_api_keys, 'audit_rows_erased', v_audit));
  RETURN jsonb_build_object('employee_id', e.id, 'user_id', v_user, 'erased_at', v_erased_at, 'data_keys_destroyed', v_keys,
                            'unsealed_fields_erased', v_unsealed, 'api_keys_revoked', v_api_keys, 'audit_rows_erased', v_audit,
                            'revoked_key_prefixes', v_prefixes);
END
$$;

-- Erased is for good: no change of status (a deactivation, anything else) makes the account usable again, and
-- no edit gives it a name, an email or a sign-in identity again.
CREATE OR REPLACE FUNCTION app.erased_for_good() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF OLD.status = 'erased' AND (NEW.status IS DISTINCT FROM 'erased' OR NEW.email IS DISTINCT FROM OLD.email
                                OR NEW.display_name IS DISTINCT FROM OLD.display_name OR NEW.external_subject IS NOT NULL) THEN
    PERFORM app.fail('CONFLICT', 'This person''s data was erased; the account cannot be used again', jsonb_build_object('user_id', OLD.id));
  END IF;
  RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER users_erased_for_good BEFORE UPDATE OF status, email, display_name, external_subject ON users
  FOR EACH ROW EXECUTE FUNCTION app.erased_for_good();

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.erase_employee(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.erased_for_good() OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.erase_employee(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.erase_employee(jsonb) TO leave_ledger_app;
REVOKE ALL ON FUNCTION app.erased_for_good() FROM PUBLIC, leave_ledger_app, leave_ledger_system;
