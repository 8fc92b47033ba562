-- Policy versions: which version of a policy governs a given day.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The version in force on a day: the newest version whose effective_from is on or before it (a later version
-- supersedes an earlier one from its own effective date). No row before the first version takes effect.
-- Runs with the caller's rights: row-level security decides which policies the caller sees.
CREATE OR REPLACE FUNCTION app.policy_in_force(p_tenant uuid, p_key text, p_day date) RETURNS SETOF leave_policies
LANGUAGE sql STABLE ROWS 1 AS $$
  SELECT * FROM leave_policies lp WHERE lp.tenant_id = p_tenant AND lp.key = p_key AND lp.effective_from <= p_day ORDER BY lp.version DESC LIMIT 1
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.policy_in_force(uuid, text, date) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.policy_in_force(uuid, text, date) TO leave_ledger_app, leave_ledger_definer;
