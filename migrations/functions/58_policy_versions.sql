-- Policy versions: which version of a policy governs a given day.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The version in force on a day: the newest version whose effective_from is on or before it (a later version
-- supersedes an earlier one from its own effective date). No row before the first version takes effect.
-- Runs with the caller's rights: row-level security decides which policies the caller sees.
CREATE OR REPLACE FUNCTION app.policy_in_force(p_tenant uuid, p_key text, p_day date) RETURNS SETOF leave_policies
LANGUAGE sql STABLE ROWS 1 AS $$
  SELECT * FROM leave_policies lp WHERE lp.tenant_id = p_tenant AND lp.key = p_key AND lp.effective_from <= p_day ORDER BY lp.version DESC LIMIT 1
$$;

-- The accrual period of a policy that contains a day: its label (unique per account, in accrual_postings and the
-- accrual's reference), first and last day. Monthly: the calendar month (`2027-03`). Yearly: the calendar year
-- (`2027`), or the n-th year from the hire date (`anniversary-5`), from one anniversary to the day before the
-- next (a 29 February hire's years begin on 28 February in other years). Numbering anniversary years keeps a
-- paid year paid when a hire date is corrected by days or months.
CREATE OR REPLACE FUNCTION app.accrual_period(p_period accrual_period, p_year allowance_year, p_hire date, p_day date)
RETURNS TABLE (label text, starts_on date, ends_on date) LANGUAGE sql IMMUTABLE ROWS 1 AS $$
  SELECT CASE WHEN p_period = 'monthly' THEN to_char(p_day, 'YYYY-MM')
              WHEN p_year = 'calendar' THEN to_char(p_day, 'YYYY')
              ELSE 'anniversary-' || n END,
         CASE WHEN p_period = 'monthly' THEN date_trunc('month', p_day)::date
              WHEN p_year = 'calendar' THEN date_trunc('year', p_day)::date
              ELSE (p_hire + make_interval(years => n))::date END,
         CASE WHEN p_period = 'monthly' THEN (date_trunc('month', p_day) + interval '1 month')::date - 1
              WHEN p_year = 'calendar' THEN (date_trunc('year', p_day) + interval '1 year')::date - 1
              ELSE (p_hire + make_interval(years => n + 1))::date - 1 END
  FROM (SELECT k - CASE WHEN p_hire + make_interval(years => k) > p_day THEN 1 ELSE 0 END AS n
        FROM (SELECT (extract(year FROM p_day) - extract(year FROM p_hire))::int AS k) y) a
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.policy_in_force(uuid, text, date) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.policy_in_force(uuid, text, date) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.accrual_period(accrual_period, allowance_year, date, date) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.accrual_period(accrual_period, allowance_year, date, date) TO leave_ledger_app, leave_ledger_definer;
