-- Generated from CHUNK_LIMITS in src/kernel/constants.ts by `npm run db:functions`: change the source, not this file.
-- How many items one call of a chunked ledger run handles: the requested number within [1, max], or the
-- default. The API validates the same bounds; direct callers of the functions are held to them here.
CREATE OR REPLACE FUNCTION app.chunk_size(p_kind text, p_requested int) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT least(greatest(coalesce(p_requested, CASE p_kind WHEN 'accruals' THEN 500 WHEN 'rollover' THEN 500 WHEN 'reversal' THEN 1000 END), 1), CASE p_kind WHEN 'accruals' THEN 2000 WHEN 'rollover' THEN 2000 WHEN 'reversal' THEN 5000 END)
$$;

REVOKE ALL ON FUNCTION app.chunk_size(text, int) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.chunk_size(text, int) TO leave_ledger_definer;
