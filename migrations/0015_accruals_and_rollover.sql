-- Accruals, carried-over days' expiry, year-end rollover and its reversal, and housekeeping. Hand-written.
-- All set-based, each call one chunk of employees (or accounts) by keyset, so a tenant of 50 000 employees is
-- processed in calls that each fit a Worker's limits; every call is safe to repeat.
ALTER TABLE accrual_postings FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON accrual_postings TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON accrual_postings TO leave_ledger_definer;
--> statement-breakpoint
CREATE TRIGGER accrual_postings_append_only BEFORE UPDATE OR DELETE ON accrual_postings FOR EACH ROW EXECUTE FUNCTION app.refuse_change();
--> statement-breakpoint
-- One chunk of the accrual run: for each employee after `after` (by id, `limit` of them), every due period of
-- every assigned accruing policy is claimed in accrual_postings (the unique key) and posted, capped at the
-- policy's max balance. A period is due once its first day has come in the employee's time zone, the
-- assignment covers that day and the waiting period has ended. Missed periods are simply still due.
-- The same chunk expires carried-over days whose expiry date has come, less what was used of them meanwhile.
CREATE FUNCTION app.post_accruals(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_replay jsonb;
  v_tenant uuid := app.tenant_id();
  v_actor text := coalesce(app.claims() ->> 'sub', app.claims() ->> 'caller');
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_limit int := least(greatest(coalesce((p ->> 'limit')::int, 500), 1), 2000);
  v_run uuid := gen_random_uuid();
  v_ids uuid[];
  v_posted int;
  v_amount numeric;
  v_expired int;
BEGIN
  IF v_tenant IS NULL OR NOT (app.claims() ->> 'caller' = 'system:scheduler' OR app.has_any_role(ARRAY['hr_admin', 'system_admin'])) THEN
    PERFORM app.fail('FORBIDDEN', 'Only the scheduler, HR Admins and System Admins run accruals');
  END IF;
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM (
    SELECT e.id FROM employees e WHERE e.tenant_id = v_tenant AND (p ->> 'after' IS NULL OR e.id > (p ->> 'after')::uuid) ORDER BY e.id LIMIT v_limit) chunk;
  PERFORM 1 FROM ledger_accounts a WHERE a.tenant_id = v_tenant AND a.employee_id = ANY (v_ids) ORDER BY a.id FOR UPDATE;

  WITH emp AS (
    SELECT e.id, e.hire_date, (v_now AT TIME ZONE e.time_zone)::date AS today FROM employees e WHERE e.id = ANY (v_ids)
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
    CROSS JOIN LATERAL (SELECT * FROM leave_policies lp WHERE lp.tenant_id = v_tenant AND lp.key = c.policy_key AND lp.effective_from <= c.first_day
                        ORDER BY lp.version DESC LIMIT 1) pol
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

  WITH emp AS (
    SELECT e.id, (v_now AT TIME ZONE e.time_zone)::date AS today FROM employees e WHERE e.id = ANY (v_ids)
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
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at, reference, run_id, actor_id, note)
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
--> statement-breakpoint
-- Whether a tenant's rollover of a year is in effect: run, and not (completely) reversed.
CREATE FUNCTION app.rollover_in_effect(p_tenant uuid, p_year int) RETURNS uuid LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
  SELECT r.id FROM ledger_runs r
  WHERE r.tenant_id = p_tenant AND r.kind = 'rollover' AND r.period = p_year::text
    AND (NOT EXISTS (SELECT 1 FROM ledger_runs x WHERE x.reverses_run_id = r.id)
         OR EXISTS (SELECT 1 FROM ledger_entries e WHERE e.run_id = r.id AND NOT EXISTS (SELECT 1 FROM ledger_entries v WHERE v.resolves_entry_id = e.id)))
  ORDER BY r.started_at DESC LIMIT 1
$$;
--> statement-breakpoint
-- Year-end rollover, one chunk of accounts (System Admin). Each account's balance as of 31 December (settled
-- entries effective that year or before) carries over up to the policy's carry-over cap (no cap: all of it);
-- the rest expires. Posted as expiry and carry-over out on 31 December, carry-over in on 1 January.
-- A dry run reports the same plan and writes nothing. The first real chunk opens the run; later chunks name it.
CREATE FUNCTION app.year_end_rollover(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_replay jsonb;
  v_tenant uuid := app.tenant_id();
  v_actor text := app.claims() ->> 'sub';
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_year int := (p ->> 'year')::int;
  v_year_end date := make_date(v_year, 12, 31);
  v_dry boolean := coalesce((p ->> 'dry_run')::boolean, true);
  v_limit int := least(greatest(coalesce((p ->> 'limit')::int, 500), 1), 2000);
  v_run uuid := (p ->> 'run_id')::uuid;
  v_in_effect uuid;
  v_ids uuid[];
  v_plan jsonb;
BEGIN
  IF v_tenant IS NULL OR NOT app.has_any_role(ARRAY['system_admin']) THEN
    PERFORM app.fail('FORBIDDEN', 'Only System Admins run the year-end rollover');
  END IF;
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('rollover:' || v_tenant || ':' || v_year, 0));
  v_in_effect := app.rollover_in_effect(v_tenant, v_year);
  IF NOT v_dry AND v_run IS NULL THEN
    IF v_in_effect IS NOT NULL THEN
      PERFORM app.fail('CONFLICT', 'This year was rolled over already; reverse that run first', jsonb_build_object('run_id', v_in_effect, 'year', v_year));
    END IF;
    INSERT INTO ledger_runs (tenant_id, kind, period, actor_id, summary) VALUES (v_tenant, 'rollover', v_year::text, v_actor, jsonb_build_object('year', v_year))
    RETURNING id INTO v_run;
    PERFORM app.audit_ledger(p -> 'facts', 'rollover.start', 'ledger_run', v_run::text, jsonb_build_object('year', v_year));
  ELSIF NOT v_dry AND v_run IS DISTINCT FROM v_in_effect THEN
    PERFORM app.fail('CONFLICT', 'That run is not this year''s rollover in effect', jsonb_build_object('run_id', v_run, 'in_effect', v_in_effect));
  END IF;

  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM (
    SELECT a.id FROM ledger_accounts a WHERE a.tenant_id = v_tenant AND (p ->> 'after' IS NULL OR a.id > (p ->> 'after')::uuid) ORDER BY a.id LIMIT v_limit) chunk;
  IF NOT v_dry THEN
    PERFORM 1 FROM ledger_accounts a WHERE a.id = ANY (v_ids) ORDER BY a.id FOR UPDATE;
  END IF;

  WITH plan AS (
    SELECT a.id AS account_id, a.tenant_id, a.employee_id, a.policy_key, pol.id AS policy_id, pol.carryover_cap, b.posted AS balance,
           CASE WHEN b.posted <= 0 THEN 0 WHEN pol.carryover_cap IS NULL THEN b.posted ELSE least(b.posted, pol.carryover_cap) END AS carry
    FROM ledger_accounts a
    CROSS JOIN LATERAL (SELECT * FROM leave_policies lp WHERE lp.tenant_id = v_tenant AND lp.key = a.policy_key AND lp.effective_from <= v_year_end
                        ORDER BY lp.version DESC LIMIT 1) pol
    CROSS JOIN LATERAL app.balance_of(a.id, v_year_end, v_now) b
    WHERE a.id = ANY (v_ids) AND (v_run IS NULL OR NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.account_id = a.id AND x.run_id = v_run))
  ), lines AS (
    SELECT plan.*, greatest(plan.balance - plan.carry, 0) AS expire FROM plan
  ), posted AS (
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at, reference, run_id, actor_id, note)
    SELECT l.tenant_id, l.account_id, l.employee_id, l.policy_key, l.policy_id, x.kind, x.amount, x.effective_date, v_now,
           'rollover:' || v_run || ':' || x.kind, v_run, v_actor, 'year-end ' || v_year
    FROM lines l CROSS JOIN LATERAL (VALUES ('expiry'::ledger_entry_kind, -l.expire, v_year_end),
                                            ('carryover_out'::ledger_entry_kind, -l.carry, v_year_end),
                                            ('carryover_in'::ledger_entry_kind, l.carry, v_year_end + 1)) x(kind, amount, effective_date)
    WHERE NOT v_dry AND x.amount <> 0
    RETURNING 1
  )
  SELECT jsonb_build_object(
    'posted_entries', (SELECT count(*) FROM posted),
    'balance', coalesce(sum(balance), 0), 'carried', coalesce(sum(carry), 0), 'expired', coalesce(sum(expire), 0),
    'accounts', coalesce(jsonb_agg(jsonb_build_object('employee_id', employee_id, 'policy_key', policy_key, 'balance', balance,
                                                      'carry', carry, 'expire', expire) ORDER BY account_id), '[]'))
  INTO v_plan FROM lines;

  PERFORM app.audit_ledger(p -> 'facts', CASE WHEN v_dry THEN 'rollover.dry_run' ELSE 'rollover.chunk' END, 'ledger_run', coalesce(v_run::text, v_year::text),
                           jsonb_build_object('year', v_year, 'accounts', cardinality(v_ids), 'carried', v_plan -> 'carried', 'expired', v_plan -> 'expired'));
  RETURN app.answer(p, 200, v_plan || jsonb_build_object('year', v_year, 'dry_run', v_dry, 'run_id', v_run,
                                                         'next_after', CASE WHEN cardinality(v_ids) = v_limit THEN v_ids[v_limit] END));
END
$$;
--> statement-breakpoint
-- Reverses a rollover run, `limit` entries per call: each of its entries gets a reversal entry resolving it
-- (never twice). The reversal is a run of its own; once complete, the year may be rolled over again.
CREATE FUNCTION app.reverse_rollover(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_replay jsonb;
  v_tenant uuid := app.tenant_id();
  v_actor text := app.claims() ->> 'sub';
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_limit int := least(greatest(coalesce((p ->> 'limit')::int, 1000), 1), 5000);
  v_run ledger_runs;
  v_reversal uuid;
  v_count int;
BEGIN
  IF v_tenant IS NULL OR NOT app.has_any_role(ARRAY['system_admin']) THEN
    PERFORM app.fail('FORBIDDEN', 'Only System Admins reverse a rollover');
  END IF;
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;
  SELECT * INTO v_run FROM ledger_runs WHERE id = (p ->> 'run_id')::uuid AND tenant_id = v_tenant AND kind = 'rollover';
  IF v_run.id IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such rollover run', jsonb_build_object('run_id', p ->> 'run_id'));
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('rollover:' || v_tenant || ':' || v_run.period, 0));
  SELECT id INTO v_reversal FROM ledger_runs WHERE reverses_run_id = v_run.id;
  IF v_reversal IS NULL THEN
    INSERT INTO ledger_runs (tenant_id, kind, period, reverses_run_id, actor_id, summary)
    VALUES (v_tenant, 'rollover_reversal', v_run.period, v_run.id, v_actor, jsonb_build_object('reverses', v_run.id)) RETURNING id INTO v_reversal;
  END IF;
  PERFORM 1 FROM ledger_accounts a WHERE a.id IN (
    SELECT e.account_id FROM ledger_entries e WHERE e.run_id = v_run.id AND NOT EXISTS (SELECT 1 FROM ledger_entries v WHERE v.resolves_entry_id = e.id)
    ORDER BY e.id LIMIT v_limit) ORDER BY a.id FOR UPDATE;
  WITH reversed AS (
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at, reference, run_id,
                                resolves_entry_id, actor_id, note)
    SELECT e.tenant_id, e.account_id, e.employee_id, e.policy_key, e.policy_version_id, 'reversal', -e.amount, e.effective_date, v_now,
           'reversal:' || e.id, v_reversal, e.id, v_actor, 'rollover ' || v_run.period || ' reversed'
    FROM ledger_entries e WHERE e.run_id = v_run.id AND NOT EXISTS (SELECT 1 FROM ledger_entries v WHERE v.resolves_entry_id = e.id)
    ORDER BY e.id LIMIT v_limit
    RETURNING 1
  )
  SELECT count(*) INTO v_count FROM reversed;
  PERFORM app.audit_ledger(p -> 'facts', 'rollover.reverse', 'ledger_run', v_run.id::text, jsonb_build_object('reversal_run_id', v_reversal, 'entries', v_count));
  RETURN app.answer(p, 200, jsonb_build_object('run_id', v_run.id, 'reversal_run_id', v_reversal, 'reversed_entries', v_count, 'done', v_count < v_limit));
END
$$;
--> statement-breakpoint
-- Housekeeping for the scheduler: pending requests past their TTL are expired (their holds stopped counting
-- already), and idempotency keys older than the retention are forgotten.
CREATE FUNCTION app.sweep(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_expired int;
  v_forgotten int;
BEGIN
  IF v_tenant IS NULL OR app.claims() ->> 'caller' <> 'system:scheduler' THEN
    PERFORM app.fail('FORBIDDEN', 'Only the scheduler sweeps');
  END IF;
  v_expired := app.expire_overdue(v_tenant, NULL, v_now, coalesce((p ->> 'limit')::int, 1000));
  WITH old AS (
    SELECT tenant_id, caller_id, key FROM idempotency_keys
    WHERE tenant_id = v_tenant AND created_at < v_now - make_interval(hours => (p ->> 'idempotency_retention_hours')::int) LIMIT 10000
  ), gone AS (
    DELETE FROM idempotency_keys k USING old WHERE (k.tenant_id, k.caller_id, k.key) = (old.tenant_id, old.caller_id, old.key) RETURNING 1
  )
  SELECT count(*) INTO v_forgotten FROM gone;
  RETURN jsonb_build_object('expired_requests', v_expired, 'forgotten_idempotency_keys', v_forgotten);
END
$$;
--> statement-breakpoint
-- The tenants the scheduler works for.
CREATE FUNCTION app.active_tenants() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT id FROM tenants WHERE status = 'active' ORDER BY id
$$;
--> statement-breakpoint
GRANT SELECT (status) ON tenants TO leave_ledger_definer;
--> statement-breakpoint
GRANT CREATE ON SCHEMA app TO leave_ledger_definer;
--> statement-breakpoint
DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['app.post_accruals(jsonb)', 'app.year_end_rollover(jsonb)', 'app.reverse_rollover(jsonb)', 'app.sweep(jsonb)', 'app.active_tenants()'] LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO leave_ledger_definer', f);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END
$$;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION app.rollover_in_effect(uuid, int) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.rollover_in_effect(uuid, int) TO leave_ledger_definer;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.post_accruals(jsonb), app.year_end_rollover(jsonb), app.reverse_rollover(jsonb) TO leave_ledger_app;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.post_accruals(jsonb), app.sweep(jsonb), app.active_tenants() TO leave_ledger_system;
