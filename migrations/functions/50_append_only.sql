-- Facts stay facts: ledger entries, snapshots, approvals, runs and accrual postings refuse UPDATE, DELETE (and TRUNCATE of entries), the owner included;
-- erasure may only null a never-sealed comment or note.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Entries, snapshots, approvals and runs are facts: nobody changes or removes them, the owner included.
CREATE OR REPLACE FUNCTION app.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Approval comments and ledger notes are facts too, with one exception, made only by an erasure
-- (app.erase_employee, audited): a comment or note never sealed (written before sealed fields, so it names no
-- data key) may be set to null, and nothing else changed. Sealed ones need no such thing: erasure destroys their key.
CREATE OR REPLACE FUNCTION app.refuse_change_but_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.data_key_id IS NULL AND to_jsonb(OLD) ->> TG_ARGV[0] IS NOT NULL
     AND to_jsonb(NEW) = to_jsonb(OLD) || jsonb_build_object(TG_ARGV[0], NULL) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION app.refuse_change_but_erasure('note');

CREATE OR REPLACE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION app.refuse_change();

CREATE OR REPLACE TRIGGER balance_snapshots_append_only BEFORE UPDATE OR DELETE ON balance_snapshots FOR EACH ROW EXECUTE FUNCTION app.refuse_change();

CREATE OR REPLACE TRIGGER approvals_append_only BEFORE UPDATE OR DELETE ON approvals FOR EACH ROW EXECUTE FUNCTION app.refuse_change_but_erasure('comment');

CREATE OR REPLACE TRIGGER ledger_runs_append_only BEFORE UPDATE OR DELETE ON ledger_runs FOR EACH ROW EXECUTE FUNCTION app.refuse_change();

CREATE OR REPLACE TRIGGER accrual_postings_append_only BEFORE UPDATE OR DELETE ON accrual_postings FOR EACH ROW EXECUTE FUNCTION app.refuse_change();

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.refuse_change(), app.refuse_change_but_erasure() FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
