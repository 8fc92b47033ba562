-- Idempotency: replaying the first answer of a key, recording an answer.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Idempotency, in the transaction of the work it guards. `app.replay(p)` claims p's idempotency_key for the
-- caller and answers NULL (do the work), or the answer stored for it; a concurrent holder of the key makes it
-- wait for that commit, and another request_hash is DUPLICATE_REQUEST. `app.answer(p, status, body)` stores the
-- answer and returns it. Calls without a key (the scheduler's, idempotent by their own keys) skip both.
CREATE OR REPLACE FUNCTION app.replay(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE v_row idempotency_keys;
BEGIN
  IF NOT p ? 'idempotency_key' THEN RETURN NULL; END IF;
  INSERT INTO idempotency_keys (tenant_id, caller_id, key, request_hash, response_status, response_body, created_at)
  VALUES (app.tenant_id(), app.claims() ->> 'sub', p ->> 'idempotency_key', p ->> 'request_hash', 0, 'null', (p ->> 'now')::timestamptz)
  ON CONFLICT DO NOTHING;
  IF FOUND THEN RETURN NULL; END IF;
  SELECT * INTO v_row FROM idempotency_keys WHERE tenant_id = app.tenant_id() AND caller_id = app.claims() ->> 'sub' AND key = p ->> 'idempotency_key';
  -- The hash under the Worker's current key, or during a key rotation under the previous one (src/crypto/request-hash.ts).
  IF v_row.request_hash IS DISTINCT FROM p ->> 'request_hash' AND v_row.request_hash IS DISTINCT FROM p ->> 'request_hash_previous' THEN
    PERFORM app.fail('DUPLICATE_REQUEST', 'This Idempotency-Key was used with a different request', jsonb_build_object('idempotency_key', p ->> 'idempotency_key'));
  END IF;
  RETURN jsonb_build_object('status', v_row.response_status, 'body', v_row.response_body, 'replayed', true);
END
$$;

CREATE OR REPLACE FUNCTION app.answer(p jsonb, p_status int, p_body jsonb) RETURNS jsonb
LANGUAGE sql SET search_path = pg_catalog, public, pg_temp AS $$
  UPDATE idempotency_keys SET response_status = p_status, response_body = p_body
  WHERE p ? 'idempotency_key' AND tenant_id = app.tenant_id() AND caller_id = app.claims() ->> 'sub' AND key = p ->> 'idempotency_key';
  SELECT jsonb_build_object('status', p_status, 'body', p_body, 'replayed', false)
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.replay(jsonb), app.answer(jsonb,integer,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.replay(jsonb), app.answer(jsonb,integer,jsonb) TO leave_ledger_definer;
