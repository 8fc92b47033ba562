-- Accruals: every due period posted once per (account, period), in chunks of employees.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- One chunk of the accrual run: for each employee after `after` (by id, `limit` of them), every due period of
-- every assigned accruing policy is claimed in accrual_postings (the unique key) and posted, capped at the
-- policy's max balance. A period is due once its first day has come in the employee's time zone, the
-- assignment covers that day, the waiting period has ended and the employment has not (a period it ends in is
-- prorated to it). Missed periods are simply still due.
-- The same chunk expires carried-over days whose expiry date has come, less what was used of them meanwhile.
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
  PERFORM 1 FROM ledger_accounts a WHERE a.tenant_id = v_tenant AND a.employee_id = ANY (v_ids) ORDER BY a.id FOR UPDATE;

  WITH emp AS (
    SELECT e.id, e.hire_date, least(app.today_in(e.time_zone, v_now), e.end_date) AS today FROM employees e WHERE e.id = ANY (v_ids)
  ), candidates AS (
    SELECT DISTINCT a.id AS account_id, emp.id AS employee_id, a.policy_key, emp.hire_date, d::date AS first_day
    FROM emp
    JOIN policy_assignments pa ON pa.tenant_id = v_tenant AND pa.employee_id = emp.id
    JOIN ledger_accounts a ON a.tenant_id = v_tenant AND a.employee_id = emp.id AND a.policy_key = pa.policy_key
    CROSS JOIN LATERAL generate_series(date_trunc('month', pa.starts_on - 1) + interval '1 month', least(emp.today, coalesce(pa.ends_on, emp.today)), interval '1 month') d
  ), due AS (
    SELECT c.*, pol.id AS policy_id, pol.accrual_amount, pol.max_balance,
           CASE pol.accrual_period WHEN 'monthly' THEN to_char(c.first_day, 'YYYY-MM') ELSE to_char(c.first_day, 'YYYY') END AS period
    FROM candidates c
    CROSS JOIN LATERAL app.policy_in_force(v_tenant, c.policy_key, c.first_day) pol
    WHERE (pol.accrual_period = 'monthly' OR (pol.accrual_period = 'yearly' AND extract(month FROM c.first_day) = 1))
      AND c.first_day >= c.hire_date + pol.waiting_period_days
  ), open AS (
    SELECT d.* FROM due d WHERE NOT EXISTS (SELECT 1 FROM accrual_postings x WHERE x.account_id = d.account_id AND x.period = d.period)
  ), balances AS (
    SELECT o.account_id, b.posted FROM (SELECT DISTINCT account_id FROM open) o CROSS JOIN LATERAL app.balance_of(o.account_id, NULL, v_now) b
  ), amounts AS (
    SELECT o.*, greatest(0, least(o.accrual_amount, coalesce(o.max_balance, 'infinity'::numeric)
             - b.posted - coalesce(sum(o.accrual_amount) OVER (PARTITION BY o.account_id ORDER BY o.first_day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))) AS amount
    FROM open o JOIN balances b USING (account_id)
  ), claimed AS (
    INSERT INTO accrual_postings (tenant_id, account_id, employee_id, period, amount, run_id, posted_at)
    SELECT v_tenant, account_id, employee_id, period, amount, v_run, v_now FROM amounts
    ON CONFLICT DO NOTHING RETURNING account_id, period, amount
  ), posted AS (
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at, reference, run_id, actor_id)
    SELECT v_tenant, m.account_id, m.employee_id, m.policy_key, m.policy_id, 'accrual', c.amount, m.first_day, v_now, 'accrual:' || m.period, v_run, v_actor
    FROM claimed c JOIN amounts m USING (account_id, period) WHERE c.amount > 0
    ORDER BY m.account_id, m.first_day
    RETURNING amount
  )
  SELECT count(*), coalesce(sum(amount), 0) INTO v_posted, v_amount FROM posted;
  -- A period an employment ends in was posted whole: settle it to the days employed (app.settle_final_accruals).
  PERFORM app.settle_final_accruals(e.id, e.end_date, v_now, v_actor, v_run) FROM employees e
  WHERE e.id = ANY (v_ids) AND e.end_date IS NOT NULL AND EXISTS (SELECT 1 FROM ledger_entries x WHERE x.employee_id = e.id AND x.run_id = v_run);

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
    INSERT INTO ledger_runs (id, tenant_id, kind, period, actor_id, summary)
    VALUES (v_run, v_tenant, 'accrual', to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD'), v_actor,
            jsonb_build_object('after', p ->> 'after', 'employees', cardinality(v_ids), 'accruals', v_posted, 'amount', v_amount, 'carryover_expiries', v_expired));
    PERFORM app.audit_ledger(p -> 'facts', 'accrual.run', 'ledger_run', v_run::text,
                             jsonb_build_object('employees', cardinality(v_ids), 'accruals', v_posted, 'amount', v_amount, 'carryover_expiries', v_expired));
  END IF;
  RETURN app.answer(p, 200, jsonb_build_object('employees', cardinality(v_ids), 'accruals', v_posted, 'amount', v_amount, 'carryover_expiries', v_expired,
                                               'next_after', CASE WHEN cardinality(v_ids) = v_limit THEN v_ids[v_limit] END));
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.post_accruals(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.post_accruals(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.post_accruals(jsonb) TO leave_ledger_app, leave_ledger_system;
