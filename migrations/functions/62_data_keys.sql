-- Data keys of confidential fields: stored wrapped by the Worker, named by the rows they seal (src/crypto).
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The data key a write seals confidential fields of (tenant, employee, year) with. p_key is what the Worker
-- used: {"id"} for a key it read, {"id", "wrapped" (base64), "kek_id"} for one it made, which is stored unless
-- the employee already has a key for the year. The key stored must be the one the Worker used and must not be
-- destroyed: otherwise the write is refused (CONFLICT with the stored key, so the Worker seals again with it;
-- FORBIDDEN once the person's data was erased). Runs inside the ledger functions, as the definer.
CREATE OR REPLACE FUNCTION app.use_data_key(p_tenant uuid, p_employee uuid, p_year int, p_key jsonb) RETURNS uuid
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  k data_keys;
BEGIN
  IF p_key IS NULL OR NOT p_key ? 'id' THEN
    RAISE EXCEPTION 'a sealed field came without the data key it was sealed with';
  END IF;
  IF p_key ? 'wrapped' THEN
    INSERT INTO data_keys (id, tenant_id, employee_id, year, wrapped, kek_id)
    VALUES ((p_key ->> 'id')::uuid, p_tenant, p_employee, p_year, decode(p_key ->> 'wrapped', 'base64'), p_key ->> 'kek_id')
    ON CONFLICT (tenant_id, employee_id, year) DO NOTHING;
  END IF;
  SELECT * INTO k FROM data_keys WHERE tenant_id = p_tenant AND employee_id = p_employee AND year = p_year;
  IF k.destroyed_at IS NOT NULL THEN
    PERFORM app.fail('FORBIDDEN', 'This person''s confidential data was erased; nothing can be added to it', '{}');
  END IF;
  IF k.id IS DISTINCT FROM (p_key ->> 'id')::uuid THEN
    PERFORM app.fail('CONFLICT', 'The data key changed while the request was sealed',
                     jsonb_build_object('data_key', app.data_key_json(k)));
  END IF;
  RETURN k.id;
END
$$;

-- A key as the Worker reads it: its id, and its wrapping (null once destroyed) under the KEK kek_id names.
CREATE OR REPLACE FUNCTION app.data_key_json(k data_keys) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN k.id IS NULL THEN NULL
              ELSE jsonb_build_object('id', k.id, 'wrapped', encode(k.wrapped, 'base64'), 'kek_id', k.kek_id) END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.use_data_key(uuid,uuid,integer,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.use_data_key(uuid,uuid,integer,jsonb) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.data_key_json(data_keys) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.data_key_json(data_keys) TO leave_ledger_app, leave_ledger_definer;
