-- Accruals: every due period posted once per (account, period), in chunks of employees.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

DROP FUNCTION IF EXISTS app.open_accounts(text, uuid[]);

-- What accrual runs post for these employees (one policy's accounts, or all with p_key null) through p_until
-- (null: each one's today in their time zone), never past the end of the employment: one row per account and
-- period, before max_balance and whether it was already posted. Monthly: a period is due once its first day has
-- come, the assignment covers that day and the waiting period has ended. Yearly (docs/ledger.md, "Yearly
-- allowances"): the year's whole allowance is due on the first day of it the employee is eligible for (the
-- latest of the year's start, the assignment's start, the end of the waiting period and the version's
-- effective_from), prorated when that is after the year's start. The version in force on the year's first day
-- in the assignment governs the year. A period the employment is known to end in is prorated to its last day.
CREATE OR REPLACE FUNCTION app.accrual_schedule(p_tenant uuid, p_employees uuid[], p_key text, p_now timestamptz, p_until date)
RETURNS TABLE (account_id uuid, employee_id uuid, policy_key text, policy_id uuid, period text, first_day date, amount numeric, max_balance numeric)
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  WITH emp AS (
    SELECT e.id, e.hire_date, e.end_date, least(coalesce(p_until, app.today_in(e.time_zone, p_now)), e.end_date) AS until
    FROM employees e WHERE e.tenant_id = p_tenant AND e.id = ANY (p_employees)
  ), anchors AS (
    -- Every period has one of these days in the assignment on or before its first eligible day: its first day,
    -- or the assignment's. Months begin on the 1st; anniversary years on the hire date's anniversaries.
    SELECT a.id AS account_id, emp.id AS employee_id, a.policy_key, emp.hire_date, emp.end_date, pa.starts_on, w.last_day, d.day
    FROM emp
    JOIN policy_assignments pa ON pa.tenant_id = p_tenant AND pa.employee_id = emp.id AND (p_key IS NULL OR pa.policy_key = p_key)
    JOIN ledger_accounts a ON a.tenant_id = p_tenant AND a.employee_id = emp.id AND a.policy_key = pa.policy_key
    CROSS JOIN LATERAL (SELECT least(emp.until, pa.ends_on) AS last_day) w
    CROSS JOIN LATERAL (
      SELECT generate_series(date_trunc('month', pa.starts_on - 1) + interval '1 month', w.last_day, interval '1 month')::date
      UNION SELECT pa.starts_on
      UNION SELECT (emp.hire_date + make_interval(years => n))::date
            FROM generate_series((extract(year FROM pa.starts_on) - extract(year FROM emp.hire_date))::int,
                                 (extract(year FROM w.last_day) - extract(year FROM emp.hire_date))::int) n
    ) d(day)
    WHERE d.day BETWEEN pa.starts_on AND w.last_day
  ), periods AS (
    SELECT DISTINCT ON (x.account_id, pol.accrual_period, per.label) x.*, pol.id AS policy_id, pol.accrual_period, pol.accrual_amount, pol.unit,
           pol.max_balance, per.label, per.starts_on AS period_start, per.ends_on AS period_end,
           greatest(per.starts_on, x.starts_on, x.hire_date + pol.waiting_period_days, pol.effective_from) AS eligible_from
    FROM anchors x
    CROSS JOIN LATERAL app.policy_in_force(p_tenant, x.policy_key, x.day) pol
    CROSS JOIN LATERAL app.accrual_period(pol.accrual_period, pol.accrual_year, x.hire_date, x.day) per
    WHERE pol.accrual_period <> 'none'
    ORDER BY x.account_id, pol.accrual_period, per.label, x.day
  )
  SELECT p.account_id, p.employee_id, p.policy_key, p.policy_id, p.label,
         CASE p.accrual_period WHEN 'monthly' THEN p.period_start ELSE p.eligible_from END,
         CASE WHEN p.eligible_from = p.period_start AND coalesce(p.end_date >= p.period_end, true) THEN p.accrual_amount
              ELSE app.employed_share(p.accrual_amount, p.unit, p.eligible_from, least(p.period_end, p.end_date), p.period_start, p.period_end) END,
         p.max_balance
  FROM periods p
  WHERE CASE p.accrual_period WHEN 'monthly' THEN p.eligible_from = p.period_start ELSE p.eligible_from <= least(p.last_day, p.period_end) END
$$;

-- What is due through p_until (null: each employee's today) and not yet posted, with the amount capped at the
-- policy's max balance: what the accrual run would post (app.accrue), or has still to post by then (forecasts).
CREATE OR REPLACE FUNCTION app.due_accruals(p_tenant uuid, p_employees uuid[], p_key text, p_now timestamptz, p_until date)
RETURNS TABLE (account_id uuid, employee_id uuid, policy_key text, policy_id uuid, period text, first_day date, amount numeric)
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  WITH open AS (
    SELECT s.* FROM app.accrual_schedule(p_tenant, p_employees, p_key, p_now, p_until) s
    WHERE NOT EXISTS (SELECT 1 FROM accrual_postings x WHERE x.account_id = s.account_id AND x.period = s.period)
  ), balances AS (
    SELECT o.account_id, b.posted FROM (SELECT DISTINCT account_id FROM open) o CROSS JOIN LATERAL app.balance_of(o.account_id, NULL, p_now) b
  )
  SELECT o.account_id, o.employee_id, o.policy_key, o.policy_id, o.period, o.first_day,
         greatest(0, least(o.amount, coalesce(o.max_balance, 'infinity'::numeric) - b.posted
                  - coalesce(sum(o.amount) OVER (PARTITION BY o.account_id ORDER BY o.first_day, o.period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)))
  FROM open o JOIN balances b USING (account_id)
$$;

-- Posts what is due and not yet posted for these employees (one policy's accounts, or all), under their
-- accounts' locks: each period claimed in accrual_postings (the unique key), then posted as an `accrual` dated
-- on its first day (a yearly allowance's: the first day the employee was eligible for). Answers how many were
-- posted, and how much.
CREATE OR REPLACE FUNCTION app.accrue(p_tenant uuid, p_employees uuid[], p_key text, p_now timestamptz, p_actor text, p_run uuid,
                                      OUT n_posted int, OUT n_amount numeric)
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM 1 FROM ledger_accounts a WHERE a.tenant_id = p_tenant AND a.employee_id = ANY (p_employees) AND (p_key IS NULL OR a.policy_key = p_key)
  ORDER BY a.id FOR UPDATE;
  WITH due AS (
    SELECT * FROM app.due_accruals(p_tenant, p_employees, p_key, p_now, NULL)
  ), claimed AS (
    INSERT INTO accrual_postings (tenant_id, account_id, employee_id, period, amount, run_id, posted_at)
    SELECT p_tenant, d.account_id, d.employee_id, d.period, d.amount, p_run, p_now FROM due d
    ON CONFLICT DO NOTHING RETURNING accrual_postings.account_id, accrual_postings.period, accrual_postings.amount
  ), posted AS (
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at, reference, run_id, actor_id)
    SELECT p_tenant, d.account_id, d.employee_id, d.policy_key, d.policy_id, 'accrual', c.amount, d.first_day, p_now, 'accrual:' || d.period, p_run, p_actor
    FROM claimed c JOIN due d ON d.account_id = c.account_id AND d.period = c.period WHERE c.amount > 0
    ORDER BY d.account_id, d.first_day
    RETURNING ledger_entries.amount
  )
  SELECT count(*), coalesce(sum(posted.amount), 0) INTO n_posted, n_amount FROM posted;
END
$$;

-- One chunk of the accrual run: for each employee after `after` (by id, `limit` of them), every due period of
-- every assigned accruing policy is posted (app.accrue); missed periods are simply still due. The same chunk
-- expires carried-over days whose expiry date has come, less what was used of them meanwhile.
CREATE OR REPLACE FUNCTION app.post_accruals(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_replay jsonb;
  v_tenant uuid := app.tenant_id();
  v_actor text := coalesce(app.claims() ->> 'sub', app.claims() ->> 'caller');
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_limit int := app.chunk_size('accruals', (p ->> 'limit')::int);
  v_run uuid := gen_random_uuid();
  v_ids uuid[];
  v_posted int;
  v_amount numeric;
  v_expired int;
BEGIN
  IF v_tenant IS NULL OR NOT (app.claims() ->> 'caller' = 'system:scheduler' OR app.can('accrual:run')) THEN
    PERFORM app.fail('FORBIDDEN', 'Only the scheduler, HR Admins and System Admins run accruals');
  END IF;
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM (
    SELECT e.id FROM employees e WHERE e.tenant_id = v_tenant AND (p ->> 'after' IS NULL OR e.id > (p ->> 'after')::uuid) ORDER BY e.id LIMIT v_limit) chunk;
  SELECT n_posted, n_amount INTO v_posted, v_amount FROM app.accrue(v_tenant, v_ids, NULL, v_now, v_actor, v_run);

  WITH emp AS (
    SELECT e.id, app.today_in(e.time_zone, v_now) AS today FROM employees e WHERE e.id = ANY (v_ids)
  ), carried AS (
    SELECT c.id, c.tenant_id, c.account_id, c.employee_id, c.policy_key, c.policy_version_id, c.amount, c.effective_date,
           (c.effective_date + make_interval(months => pol.carryover_expiry_months))::date AS expires_on, emp.today
    FROM ledger_entries c JOIN emp ON emp.id = c.employee_id JOIN leave_policies pol ON pol.id = c.policy_version_id
    WHERE c.kind = 'carryover_in' AND pol.carryover_expiry_months IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.resolves_entry_id = c.id)
  ), due AS (
    SELECT c.* FROM carried c WHERE c.expires_on <= c.today
      AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.account_id = c.account_id AND x.reference = 'carryover-expiry:' || c.id)
  ), amounts AS (
    SELECT d.*, greatest(0, least(d.amount + coalesce((SELECT sum(u.amount) FROM ledger_entries u WHERE u.account_id = d.account_id
                   AND u.kind IN ('usage', 'reversal') AND u.effective_date >= d.effective_date AND u.effective_date < d.expires_on), 0), b.posted)) AS expire
    FROM due d CROSS JOIN LATERAL app.balance_of(d.account_id, NULL, v_now) b
  ), posted AS (
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at, reference, run_id, actor_id, system_note)
    SELECT a.tenant_id, a.account_id, a.employee_id, a.policy_key, a.policy_version_id, 'expiry', -a.expire, a.expires_on, v_now,
           'carryover-expiry:' || a.id, v_run, v_actor, 'carried-over days expired'
    FROM amounts a WHERE a.expire > 0
    RETURNING 1
  )
  SELECT count(*) INTO v_expired FROM posted;

  IF v_posted + v_expired > 0 THEN
    INSERT INTO ledger_runs (id, tenant_id, kind, period, actor_id, summary, started_at)
    VALUES (v_run, v_tenant, 'accrual', to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD'), v_actor,
            jsonb_build_object('after', p ->> 'after', 'employees', cardinality(v_ids), 'accruals', v_posted, 'amount', v_amount, 'carryover_expiries', v_expired),
            v_now);
    PERFORM app.audit_ledger(p -> 'facts', 'accrual.run', 'ledger_run', v_run::text,
                             jsonb_build_object('employees', cardinality(v_ids), 'accruals', v_posted, 'amount', v_amount, 'carryover_expiries', v_expired));
  END IF;
  RETURN app.answer(p, 200, jsonb_build_object('employees', cardinality(v_ids), 'accruals', v_posted, 'amount', v_amount, 'carryover_expiries', v_expired,
                                               'next_after', CASE WHEN cardinality(v_ids) = v_limit THEN v_ids[v_limit] END));
END
$$;

-- Called with an assignment (by HR Admins and System Admins): newly assigned employees get an account to post to
-- and lock, and what is already due under the assignment is posted at once (a yearly allowance as soon as the
-- assignment starts), not at the next run. Posting is one ledger run, audited as `accrual.run`.
CREATE OR REPLACE FUNCTION app.open_accounts(p_policy_key text, p_employees uuid[], p_now timestamptz, p_facts jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_actor text := app.claims() ->> 'sub';
  v_run uuid := gen_random_uuid();
  v_posted int;
  v_amount numeric;
BEGIN
  IF v_tenant IS NULL OR NOT app.can('policy:manage') THEN
    PERFORM app.fail('FORBIDDEN', 'Only HR Admins and System Admins assign policies');
  END IF;
  INSERT INTO ledger_accounts (tenant_id, employee_id, policy_key)
  SELECT e.tenant_id, e.id, p_policy_key FROM employees e
  WHERE e.id = ANY (p_employees) AND e.tenant_id = v_tenant
    AND EXISTS (SELECT 1 FROM leave_policies p WHERE p.tenant_id = e.tenant_id AND p.key = p_policy_key)
  ON CONFLICT DO NOTHING;
  SELECT n_posted, n_amount INTO v_posted, v_amount FROM app.accrue(v_tenant, p_employees, p_policy_key, p_now, v_actor, v_run);
  IF v_posted > 0 THEN
    INSERT INTO ledger_runs (id, tenant_id, kind, period, actor_id, summary, started_at)
    VALUES (v_run, v_tenant, 'accrual', to_char(p_now AT TIME ZONE 'UTC', 'YYYY-MM-DD'), v_actor,
            jsonb_build_object('policy_key', p_policy_key, 'employees', cardinality(p_employees), 'accruals', v_posted, 'amount', v_amount), p_now);
    PERFORM app.audit_ledger(p_facts, 'accrual.run', 'ledger_run', v_run::text,
                             jsonb_build_object('policy_key', p_policy_key, 'assignment', true, 'accruals', v_posted, 'amount', v_amount));
  END IF;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.post_accruals(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.open_accounts(text, uuid[], timestamptz, jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.accrual_schedule(uuid, uuid[], text, timestamptz, date), app.due_accruals(uuid, uuid[], text, timestamptz, date),
  app.accrue(uuid, uuid[], text, timestamptz, text, uuid) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.accrual_schedule(uuid, uuid[], text, timestamptz, date), app.due_accruals(uuid, uuid[], text, timestamptz, date)
  TO leave_ledger_app, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.accrue(uuid, uuid[], text, timestamptz, text, uuid) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.post_accruals(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.post_accruals(jsonb) TO leave_ledger_app, leave_ledger_system;
REVOKE ALL ON FUNCTION app.open_accounts(text, uuid[], timestamptz, jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.open_accounts(text, uuid[], timestamptz, jsonb) TO leave_ledger_app;
