-- Facts stay facts: ledger entries, snapshots, approvals, runs and accrual postings refuse UPDATE, DELETE (and TRUNCATE of entries), the owner included;
-- a comment or note never sealed may only be sealed, nulled or moved to system_note.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Entries, snapshots, approvals and runs are facts: nobody changes or removes them, the owner included.
CREATE OR REPLACE FUNCTION app.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Approval comments and ledger notes are facts too, with one exception for a comment or note never sealed
-- (written before sealed fields existed, so it names no data key): it may be rewritten once, by the definer's
-- audited jobs (which say so for their transaction: app.rewriting_unsealed), and only to leave plaintext behind — sealed (app.seal_fields), set to null (app.erase_employee,
-- or where retention destroyed its year's key), or, for a note the system wrote, moved to system_note
-- (app.unsealed_fields). Nothing else in the row changes. Sealed values need none of this: their key is destroyed.
CREATE OR REPLACE FUNCTION app.refuse_change_but_unsealed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_old jsonb := to_jsonb(OLD);
  v_new jsonb := to_jsonb(NEW);
  v_field text := TG_ARGV[0];
  v_note_kept boolean := v_new -> 'system_note' IS NOT DISTINCT FROM v_old -> 'system_note';
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('app.rewriting_unsealed', true) = 'on'
     AND OLD.data_key_id IS NULL AND v_old ->> v_field IS NOT NULL
     AND v_new - v_field - 'data_key_id' - 'system_note' = v_old - v_field - 'data_key_id' - 'system_note'
     AND ((v_new ->> v_field IS NULL AND NEW.data_key_id IS NULL AND v_note_kept)
          OR (v_new ->> v_field LIKE 'v1.%' AND NEW.data_key_id IS NOT NULL AND v_note_kept)
          OR (v_new ->> v_field IS NULL AND NEW.data_key_id IS NULL AND v_old ->> 'system_note' IS NULL
              AND v_new ->> 'system_note' = v_old ->> v_field)) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION app.refuse_change_but_unsealed('note');

CREATE OR REPLACE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION app.refuse_change();

CREATE OR REPLACE TRIGGER balance_snapshots_append_only BEFORE UPDATE OR DELETE ON balance_snapshots FOR EACH ROW EXECUTE FUNCTION app.refuse_change();

CREATE OR REPLACE TRIGGER approvals_append_only BEFORE UPDATE OR DELETE ON approvals FOR EACH ROW EXECUTE FUNCTION app.refuse_change_but_unsealed('comment');

CREATE OR REPLACE TRIGGER request_comments_append_only BEFORE UPDATE OR DELETE ON request_comments FOR EACH ROW EXECUTE FUNCTION app.refuse_change();

CREATE OR REPLACE TRIGGER ledger_runs_append_only BEFORE UPDATE OR DELETE ON ledger_runs FOR EACH ROW EXECUTE FUNCTION app.refuse_change();

CREATE OR REPLACE TRIGGER accrual_postings_append_only BEFORE UPDATE OR DELETE ON accrual_postings FOR EACH ROW EXECUTE FUNCTION app.refuse_change();

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.refuse_change(), app.refuse_change_but_unsealed() FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
