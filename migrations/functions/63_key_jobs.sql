-- The daily job's work on confidential fields (src/scheduler/key-jobs.ts), for the scheduler only, one tenant at a
-- time: sealing what was written before sealed fields existed, and moving data keys to the current KEK.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Up to p_limit fields of the caller's tenant still in plaintext (written before sealed fields existed), oldest
-- first, with what the Worker binds each to and the data key of its employee and year if there is one:
-- {fields: [{table, id, employee_id, year, value, policy_key, reference}], keys: {"<employee>:<year>": key}}.
-- What the system wrote on ledger entries (a hold's outcome, a rollover's year) is not confidential: it moves to
-- system_note here, without the Worker. Fields of erased people are gone already (erasure nulls them).
CREATE OR REPLACE FUNCTION app.unsealed_fields(p_limit int) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_fields jsonb;
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:scheduler' OR v_tenant IS NULL THEN
    RAISE EXCEPTION 'only the scheduler seals fields, one tenant at a time' USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM set_config('app.rewriting_unsealed', 'on', true);
  UPDATE ledger_entries SET system_note = note, note = NULL
  WHERE id IN (SELECT id FROM ledger_entries WHERE tenant_id = v_tenant AND data_key_id IS NULL AND note IS NOT NULL
                 AND kind NOT IN ('grant', 'adjustment') ORDER BY id LIMIT p_limit);
  SELECT coalesce(jsonb_agg(f), '[]') INTO v_fields FROM (
    (SELECT jsonb_build_object('table', 'leave_requests', 'id', r.id, 'employee_id', r.employee_id, 'year', extract(year FROM r.start_date)::int,
                               'value', r.reason) AS f
     FROM leave_requests r WHERE r.tenant_id = v_tenant AND r.data_key_id IS NULL AND r.reason IS NOT NULL ORDER BY r.submitted_at, r.id LIMIT p_limit)
    UNION ALL
    (SELECT jsonb_build_object('table', 'approvals', 'id', a.id, 'employee_id', a.employee_id, 'year', extract(year FROM r.start_date)::int,
                               'value', a.comment)
     FROM approvals a JOIN leave_requests r ON r.id = a.request_id
     WHERE a.tenant_id = v_tenant AND a.data_key_id IS NULL AND a.comment IS NOT NULL ORDER BY a.decided_at, a.id LIMIT p_limit)
    UNION ALL
    (SELECT jsonb_build_object('table', 'ledger_entries', 'id', e.id, 'employee_id', e.employee_id, 'year', extract(year FROM e.effective_date)::int,
                               'value', e.note, 'policy_key', e.policy_key, 'reference', e.reference)
     FROM ledger_entries e WHERE e.tenant_id = v_tenant AND e.data_key_id IS NULL AND e.note IS NOT NULL ORDER BY e.id LIMIT p_limit)
    LIMIT p_limit) x;
  RETURN jsonb_build_object('fields', v_fields, 'keys', (
    SELECT coalesce(jsonb_object_agg(k.employee_id || ':' || k.year, app.data_key_json(k)), '{}') FROM data_keys k
    WHERE k.tenant_id = v_tenant AND (k.employee_id, k.year) IN (
      SELECT (f ->> 'employee_id')::uuid, (f ->> 'year')::int FROM jsonb_array_elements(v_fields) f)));
END
$$;

-- Writes what the Worker sealed: p = {keys: [{employee_id, year, key}] (key as for app.use_data_key), fields:
-- [{table, id, value}] (value sealed, or null where the year's key was destroyed by retention: the text is gone),
-- facts}. A field someone changed meanwhile (an erasure nulled it) is left alone. Audited as `confidential.seal`.
-- Answers how many fields were sealed or erased.
CREATE OR REPLACE FUNCTION app.seal_fields(p jsonb) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_key jsonb;
  v_keys jsonb := '{}';
  v_done int := 0;
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:scheduler' OR v_tenant IS NULL THEN
    RAISE EXCEPTION 'only the scheduler seals fields, one tenant at a time' USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM set_config('app.rewriting_unsealed', 'on', true);
  FOR v_key IN SELECT * FROM jsonb_array_elements(p -> 'keys') LOOP
    v_keys := v_keys || jsonb_build_object(v_key ->> 'employee_id' || ':' || (v_key ->> 'year'),
      app.use_data_key(v_tenant, (v_key ->> 'employee_id')::uuid, (v_key ->> 'year')::int, v_key -> 'key'));
  END LOOP;
  WITH f AS (
    SELECT x ->> 'table' AS tbl, x ->> 'id' AS id, x ->> 'value' AS value FROM jsonb_array_elements(p -> 'fields') x
  ), requests AS (
    UPDATE leave_requests r SET reason = f.value, data_key_id = CASE WHEN f.value IS NULL THEN NULL
                                                                     ELSE (v_keys ->> (r.employee_id || ':' || extract(year FROM r.start_date)::int))::uuid END
    FROM f WHERE f.tbl = 'leave_requests' AND r.id = f.id::uuid AND r.tenant_id = v_tenant AND r.data_key_id IS NULL AND r.reason IS NOT NULL
    RETURNING 1
  ), comments AS (
    UPDATE approvals a SET comment = f.value, data_key_id = CASE WHEN f.value IS NULL THEN NULL ELSE (v_keys ->> (a.employee_id || ':' ||
                         (SELECT extract(year FROM r.start_date)::int FROM leave_requests r WHERE r.id = a.request_id)))::uuid END
    FROM f WHERE f.tbl = 'approvals' AND a.id = f.id::uuid AND a.tenant_id = v_tenant AND a.data_key_id IS NULL AND a.comment IS NOT NULL
    RETURNING 1
  ), notes AS (
    UPDATE ledger_entries e SET note = f.value, data_key_id = CASE WHEN f.value IS NULL THEN NULL
                                                                   ELSE (v_keys ->> (e.employee_id || ':' || extract(year FROM e.effective_date)::int))::uuid END
    FROM f WHERE f.tbl = 'ledger_entries' AND e.id = f.id::bigint AND e.tenant_id = v_tenant AND e.data_key_id IS NULL AND e.note IS NOT NULL
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM comments) + (SELECT count(*) FROM notes) INTO v_done;
  IF v_done > 0 THEN
    PERFORM app.audit_ledger(p -> 'facts', 'confidential.seal', 'tenant', v_tenant::text, jsonb_build_object('fields', v_done));
  END IF;
  RETURN v_done;
END
$$;

-- Up to p_limit live data keys of the caller's tenant still wrapped under the KEK p_from_kid (the previous one):
-- [{id, wrapped, kek_id}], oldest first.
CREATE OR REPLACE FUNCTION app.keys_to_rewrap(p_from_kid text, p_limit int) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:scheduler' OR app.tenant_id() IS NULL THEN
    RAISE EXCEPTION 'only the scheduler re-wraps keys, one tenant at a time' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN (SELECT coalesce(jsonb_agg(app.data_key_json(k) ORDER BY k.created_at, k.id), '[]') FROM (
    SELECT * FROM data_keys WHERE tenant_id = app.tenant_id() AND destroyed_at IS NULL AND kek_id = p_from_kid
    ORDER BY created_at, id LIMIT p_limit) k);
END
$$;

-- Stores new wrappings: p = {kek_id (the current KEK), keys: [{id, from (the kid it was under), wrapped}], facts}.
-- A key destroyed or re-wrapped meanwhile is left alone. Audited as `data_keys.rewrap`; answers how many moved.
CREATE OR REPLACE FUNCTION app.rewrap_keys(p jsonb) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_done int;
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:scheduler' OR app.tenant_id() IS NULL THEN
    RAISE EXCEPTION 'only the scheduler re-wraps keys, one tenant at a time' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE data_keys k SET wrapped = decode(x ->> 'wrapped', 'base64'), kek_id = p ->> 'kek_id', rewrapped_at = (p ->> 'now')::timestamptz
  FROM jsonb_array_elements(p -> 'keys') x
  WHERE k.id = (x ->> 'id')::uuid AND k.tenant_id = app.tenant_id() AND k.kek_id = x ->> 'from' AND k.destroyed_at IS NULL;
  GET DIAGNOSTICS v_done = ROW_COUNT;
  IF v_done > 0 THEN
    PERFORM app.audit_ledger(p -> 'facts', 'data_keys.rewrap', 'tenant', app.tenant_id()::text,
                             jsonb_build_object('keys', v_done, 'kek_id', p ->> 'kek_id',
                                                'from', (SELECT jsonb_agg(DISTINCT x ->> 'from') FROM jsonb_array_elements(p -> 'keys') x)));
  END IF;
  RETURN v_done;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.unsealed_fields(integer) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.seal_fields(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.keys_to_rewrap(text,integer) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.rewrap_keys(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.unsealed_fields(integer), app.seal_fields(jsonb), app.keys_to_rewrap(text,integer), app.rewrap_keys(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.unsealed_fields(integer), app.seal_fields(jsonb), app.keys_to_rewrap(text,integer), app.rewrap_keys(jsonb) TO leave_ledger_system;
