-- Refusals: a rule the database enforces fails with SQLSTATE LL001; the API code is the HINT, details the DETAIL.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- ---------------------------------------------------------------------------------------------------------
-- Business failures: SQLSTATE LL001, the API error code in HINT, details (JSON) in DETAIL. The transaction
-- rolls back, so a refused request writes nothing (its idempotency key included).
CREATE OR REPLACE FUNCTION app.fail(p_code text, p_message text, p_details jsonb DEFAULT '{}') RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'LL001', MESSAGE = p_message, DETAIL = p_details::text, HINT = p_code;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.fail(text,text,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.fail(text,text,jsonb) TO leave_ledger_definer;
