-- Hand-posted entries: grants and adjustments; the JSON shape of an entry.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The API's view of a ledger entry.
CREATE OR REPLACE FUNCTION app.entry_json(e ledger_entries) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', e.id, 'employee_id', e.employee_id, 'policy_key', e.policy_key, 'policy_version_id', e.policy_version_id,
    'kind', e.kind, 'amount', e.amount, 'effective_date', e.effective_date, 'recorded_at', e.recorded_at, 'reference', e.reference,
    'request_id', e.request_id, 'run_id', e.run_id, 'resolves_entry_id', e.resolves_entry_id, 'expires_at', e.expires_at,
    'note', e.note, 'data_key_id', e.data_key_id, 'system_note', e.system_note)
$$;

-- The data key an entry's sealed note needs, by id (as app.request_keys for requests).
CREATE OR REPLACE FUNCTION app.entry_keys(e ledger_entries) RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT coalesce(jsonb_object_agg(k.id, app.data_key_json(k)), '{}') FROM data_keys k WHERE k.id = e.data_key_id
$$;

-- A grant or adjustment by HR Admin or System Admin (never blocked by limits: it corrects the ledger), never to
-- their own balance (nor by a key of theirs: it acts as them).
CREATE OR REPLACE FUNCTION app.post_adjustment(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_user uuid := app.user_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_employee uuid := (p ->> 'employee_id')::uuid;
  v_key text := p ->> 'policy_key';
  v_replay jsonb;
  v_policy uuid;
  v_account uuid;
  v_entry ledger_entries;
  v_data_key uuid;
BEGIN
  IF NOT app.can('policy:manage') THEN
    PERFORM app.fail('FORBIDDEN', 'Only HR Admins and System Admins post adjustments');
  END IF;
  IF p ->> 'kind' IS DISTINCT FROM 'grant' AND p ->> 'kind' IS DISTINCT FROM 'adjustment' THEN
    -- Every other kind is posted only by the rules that own it (requests, accruals, rollover).
    PERFORM app.fail('VALIDATION_FAILED', 'Only grants and adjustments are posted by hand',
                     jsonb_build_object('issues', jsonb_build_array(jsonb_build_object('path', 'kind', 'message', 'grant or adjustment', 'code', 'custom'))));
  END IF;
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;
  IF NOT EXISTS (SELECT 1 FROM employees WHERE id = v_employee AND tenant_id = v_tenant) THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such employee', jsonb_build_object('employee_id', v_employee));
  END IF;
  IF v_employee = app.employee_id() THEN
    PERFORM app.fail('FORBIDDEN', 'Nobody posts grants or adjustments to their own balance; another HR Admin must',
                     jsonb_build_object('reason', 'own balance'));
  END IF;
  SELECT id INTO v_policy FROM leave_policies WHERE tenant_id = v_tenant AND key = v_key ORDER BY version DESC LIMIT 1;
  IF v_policy IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such policy', jsonb_build_object('policy_key', v_key));
  END IF;
  v_account := app.lock_account(v_tenant, v_employee, v_key);
  -- The note comes sealed by the Worker under the employee's data key for the effective date's year, bound to
  -- the entry's place (employee, policy, reference), which the Worker knows before the entry exists.
  IF p ->> 'note' IS NOT NULL THEN
    v_data_key := app.use_data_key(v_tenant, v_employee, extract(year FROM (p ->> 'effective_date')::date)::int, p -> 'data_key');
  END IF;
  INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                              reference, actor_id, note, data_key_id)
  VALUES (v_tenant, v_account, v_employee, v_key, v_policy, (p ->> 'kind')::ledger_entry_kind, (p ->> 'amount')::numeric, (p ->> 'effective_date')::date,
          v_now, 'manual:' || v_user || ':' || (p ->> 'idempotency_key'), v_user::text, p ->> 'note', v_data_key)
  RETURNING * INTO v_entry;
  PERFORM app.audit_ledger(p -> 'facts', 'ledger.' || v_entry.kind, 'employee', v_employee::text,
                           jsonb_build_object('policy_key', v_key, 'amount', v_entry.amount, 'effective_date', v_entry.effective_date, 'entry_id', v_entry.id));
  PERFORM app.snapshot_if_due(v_account, v_now);
  RETURN app.answer(p, 201, app.entry_json(v_entry)) || jsonb_build_object('keys', app.entry_keys(v_entry),
    'signals', CASE WHEN app.check_bulk_adjustments(v_tenant, v_user, v_now, p -> 'bulk_rule', p -> 'facts')
                    THEN '["bulk_adjustments"]'::jsonb ELSE '[]'::jsonb END);
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.post_adjustment(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.entry_json(ledger_entries), app.entry_keys(ledger_entries) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.entry_json(ledger_entries), app.entry_keys(ledger_entries) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.post_adjustment(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.post_adjustment(jsonb) TO leave_ledger_app;
