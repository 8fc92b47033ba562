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
  v_status user_status;
BEGIN
  IF p_key IS NULL OR NOT p_key ? 'id' THEN
    RAISE EXCEPTION 'a sealed field came without the data key it was sealed with';
  END IF;
  -- An erased person's keys are destroyed, and no new one is made for another year either. FOR SHARE on their
  -- user row: an erasure (which updates it first) waits for this write, then destroys the key it made too; or
  -- this write waits for the erasure, and sees the person erased.
  SELECT u.status INTO v_status FROM employees e JOIN users u ON u.id = e.user_id WHERE e.id = p_employee FOR SHARE OF u;
  IF v_status = 'erased' THEN
    PERFORM app.fail('FORBIDDEN', 'This person''s confidential data was erased; nothing can be added to it', '{}');
  END IF;
  IF p_key ? 'wrapped' THEN
    INSERT INTO data_keys (id, tenant_id, employee_id, year, wrapped, kek_id)
    VALUES ((p_key ->> 'id')::uuid, p_tenant, p_employee, p_year, decode(p_key ->> 'wrapped', 'base64'), p_key ->> 'kek_id')
    ON CONFLICT (tenant_id, employee_id, year) DO NOTHING;
  END IF;
  -- FOR SHARE: an erasure destroying this key waits for this write, or this write sees the key destroyed.
  SELECT * INTO k FROM data_keys WHERE tenant_id = p_tenant AND employee_id = p_employee AND year = p_year FOR SHARE;
  IF k.destroyed_at IS NOT NULL THEN
    PERFORM app.fail('FORBIDDEN', 'This person''s confidential data of that year was destroyed (erasure or retention); nothing can be added to it', '{}');
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

-- Every new reason, comment or note is sealed: written as `v1.…` with the data key that seals it named. Rows written
-- before sealed fields existed keep their plaintext until they are sealed, so only a value that changes is
-- checked (a status change of an old request leaves its reason alone). Even the owner is held to it.
CREATE OR REPLACE FUNCTION app.require_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_new text := to_jsonb(NEW) ->> TG_ARGV[0];
BEGIN
  IF v_new IS NOT NULL AND (TG_OP = 'INSERT' OR v_new IS DISTINCT FROM to_jsonb(OLD) ->> TG_ARGV[0])
     AND NOT (NEW.data_key_id IS NOT NULL AND v_new LIKE 'v1.%') THEN
    RAISE EXCEPTION '%.% must be sealed by the Worker (src/crypto/sealed-fields.ts)', TG_TABLE_NAME, TG_ARGV[0]
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER leave_requests_reason_sealed BEFORE INSERT OR UPDATE ON leave_requests
  FOR EACH ROW EXECUTE FUNCTION app.require_sealed('reason');

CREATE OR REPLACE TRIGGER ledger_entries_note_sealed BEFORE INSERT ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION app.require_sealed('note');

CREATE OR REPLACE TRIGGER approvals_comment_sealed BEFORE INSERT OR UPDATE ON approvals
  FOR EACH ROW EXECUTE FUNCTION app.require_sealed('comment');

CREATE OR REPLACE TRIGGER request_comments_body_sealed BEFORE INSERT OR UPDATE ON request_comments
  FOR EACH ROW EXECUTE FUNCTION app.require_sealed('body');

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.use_data_key(uuid,uuid,integer,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.use_data_key(uuid,uuid,integer,jsonb) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.data_key_json(data_keys) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.data_key_json(data_keys) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.require_sealed() FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
