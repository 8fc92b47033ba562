-- The end of an employment (docs/ledger.md, "Termination"): the last day is recorded, what was planned after it
-- is undone, accruals are prorated to it, and the final balances are reported (no payout is computed).
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The precision prorated amounts are rounded to, half up: half a day in the policy's unit (the smallest amount a
-- request can cost): 0.5 day, 1 half day, 4 hours.
CREATE OR REPLACE FUNCTION app.unit_precision(p_unit policy_unit) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT 0.5 * app.unit_factor(p_unit)
$$;

-- A whole period's amount for the days from p_from through p_to of the period p_start..p_end (inclusive), rounded
-- half up to the unit's precision: prorated yearly allowances and accruals of an employment's last period.
CREATE OR REPLACE FUNCTION app.employed_share(p_whole numeric, p_unit policy_unit, p_from date, p_to date, p_start date, p_end date)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_to < p_from THEN 0
              ELSE round(p_whole * (p_to - p_from + 1) / (p_end - p_start + 1) / app.unit_precision(p_unit)) * app.unit_precision(p_unit) END
$$;

-- Brings every accrual of the employee whose period runs past `p_end` to the policy's amount for the share of
-- the period employed (days from the accrual's date, or the later hire date, through the end, over the period's
-- days), rounded half up to the unit's precision, never above the accrual (which max_balance or a prorated
-- first year may have reduced); a period that starts after the end comes to 0. The correction is the difference from what that accrual nets to
-- (itself plus earlier corrections, numbered in their references), so running it again, after a later accrual
-- run, an earlier end date or a new hire date, posts only what is still missing. Answers the entries posted.
CREATE OR REPLACE FUNCTION app.settle_final_accruals(p_employee uuid, p_end date, p_now timestamptz, p_actor text, p_run uuid) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_posted int;
BEGIN
  WITH accruals AS (
    SELECT x.*, pol.unit, pol.accrual_amount AS whole, e.hire_date, per.starts_on AS period_start, per.ends_on AS period_end
    FROM ledger_entries x JOIN leave_policies pol ON pol.id = x.policy_version_id
    CROSS JOIN (SELECT hire_date FROM employees WHERE id = p_employee) e
    CROSS JOIN LATERAL app.accrual_period(pol.accrual_period, pol.accrual_year, e.hire_date, x.effective_date) per
    WHERE x.employee_id = p_employee AND x.kind = 'accrual'
  ), spans AS (
    SELECT a.*, greatest(a.effective_date, a.hire_date) AS from_day, least(a.period_end, p_end) AS to_day
    FROM accruals a WHERE a.period_end > p_end
  ), targets AS (
    SELECT s.*,
      least(s.amount, app.employed_share(s.whole, s.unit, s.from_day, s.to_day, s.period_start, s.period_end)) AS target,
      s.amount + coalesce(c.corrected, 0) AS net, c.corrections
    FROM spans s
    CROSS JOIN LATERAL (SELECT sum(x.amount) AS corrected, count(*) AS corrections FROM ledger_entries x
                        WHERE x.account_id = s.account_id AND x.reference LIKE 'termination:accrual:' || s.id || ':%') c
  ), posted AS (
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                                reference, run_id, actor_id, system_note)
    SELECT t.tenant_id, t.account_id, t.employee_id, t.policy_key, t.policy_version_id, 'adjustment', t.target - t.net, t.effective_date, p_now,
           'termination:accrual:' || t.id || ':' || (t.corrections + 1), p_run, p_actor, 'employment ended ' || p_end || ': accrual prorated'
    FROM targets t WHERE t.target <> t.net
    ORDER BY t.account_id, t.effective_date
    RETURNING 1
  )
  SELECT count(*) INTO v_posted FROM posted;
  RETURN v_posted;
END
$$;

-- Ends an employment on `end_date` (HR Admin, System Admin; for people they may manage, never themselves), in
-- one transaction under the employee's account locks: pending requests with a day after it are cancelled,
-- approved days after it reversed (requests wholly after it cancelled), accruals settled to it; later periods
-- are never accrued (app.post_accruals) and no request may reach past it (app.submit_leave_request). The same
-- date again changes nothing and answers the same report; an earlier date applies the difference; a later one
-- is refused, since what was undone is not redone by itself.
CREATE OR REPLACE FUNCTION app.terminate_employee(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_actor uuid := app.user_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_end date := (p ->> 'end_date')::date;
  v_replay jsonb;
  e employees;
  r leave_requests;
  v_cancelled jsonb := '[]';
  v_reversed int;
  v_corrections int;
  v_balances jsonb;
BEGIN
  IF v_tenant IS NULL OR NOT app.can('user:manage') THEN
    PERFORM app.fail('FORBIDDEN', 'Only HR Admins and System Admins end an employment');
  END IF;
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;

  -- NO KEY: a submission holding an account lock still inserts its request (its foreign key shares this row's key).
  SELECT * INTO e FROM employees WHERE id = (p ->> 'employee_id')::uuid AND tenant_id = v_tenant FOR NO KEY UPDATE;
  IF e.id IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such employee', jsonb_build_object('employee_id', p ->> 'employee_id'));
  END IF;
  IF NOT app.may_manage(e.user_id) THEN
    PERFORM app.fail('FORBIDDEN', 'Only a System Admin ends a System Admin''s employment', jsonb_build_object('employee_id', e.id));
  END IF;
  IF e.user_id = v_actor THEN
    PERFORM app.fail('CONFLICT', 'You cannot end your own employment');
  END IF;
  IF v_end < e.hire_date THEN
    PERFORM app.fail('VALIDATION_FAILED', 'The end date is before the hire date', jsonb_build_object('issues', jsonb_build_array(
      jsonb_build_object('path', 'end_date', 'message', 'on or after the hire date, ' || e.hire_date, 'code', 'custom'))));
  END IF;
  IF e.end_date < v_end THEN
    PERFORM app.fail('CONFLICT', 'The employment already ends earlier; what that undid is not redone by a later date',
                     jsonb_build_object('end_date', e.end_date));
  END IF;

  PERFORM 1 FROM ledger_accounts WHERE employee_id = e.id ORDER BY id FOR UPDATE;
  UPDATE employees SET end_date = v_end WHERE id = e.id;
  PERFORM app.expire_overdue(v_tenant, e.id, v_now, 1000);

  FOR r IN SELECT * FROM leave_requests WHERE employee_id = e.id AND status = 'pending' AND end_date > v_end ORDER BY id FOR UPDATE LOOP
    PERFORM app.resolve_hold(r.id, 'cancelled', v_now, v_actor);
    v_cancelled := v_cancelled || to_jsonb(r.id);
  END LOOP;

  INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                              reference, request_id, resolves_entry_id, actor_id, system_note)
  SELECT u.tenant_id, u.account_id, u.employee_id, u.policy_key, u.policy_version_id, 'reversal', -u.amount, u.effective_date, v_now,
         'request:' || u.request_id || ':reversal:' || u.effective_date, u.request_id, u.id, v_actor::text, 'employment ended ' || v_end
  FROM ledger_entries u JOIN leave_requests q ON q.id = u.request_id
  WHERE u.employee_id = e.id AND u.kind = 'usage' AND q.status = 'approved' AND u.effective_date > v_end
    AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.resolves_entry_id = u.id)
  ORDER BY u.id;
  GET DIAGNOSTICS v_reversed = ROW_COUNT;
  DELETE FROM booked_days b USING leave_requests q WHERE b.request_id = q.id AND q.employee_id = e.id AND q.status = 'approved' AND b.day > v_end;
  WITH ended AS (
    UPDATE leave_requests SET status = 'cancelled', resolved_at = v_now, resolved_by = v_actor
    WHERE employee_id = e.id AND status = 'approved' AND start_date > v_end RETURNING id
  ) SELECT v_cancelled || coalesce(jsonb_agg(id ORDER BY id), '[]') INTO v_cancelled FROM ended;

  v_corrections := app.settle_final_accruals(e.id, v_end, v_now, v_actor::text, NULL);
  PERFORM app.snapshot_if_due(a.id, v_now) FROM ledger_accounts a WHERE a.employee_id = e.id;

  SELECT coalesce(jsonb_agg(jsonb_build_object('policy_key', a.policy_key, 'unit', pol.unit, 'posted', b.posted, 'pending', b.pending)
                            ORDER BY a.policy_key), '[]') INTO v_balances
  FROM ledger_accounts a
  CROSS JOIN LATERAL app.balance_of(a.id, NULL, v_now) b
  LEFT JOIN LATERAL (SELECT v.unit FROM app.policy_in_force(v_tenant, a.policy_key, 'infinity') v) pol ON true
  WHERE a.employee_id = e.id;

  PERFORM app.audit_ledger(p -> 'facts', 'employee.terminate', 'employee', e.id::text,
                           jsonb_build_object('end_date', v_end, 'cancelled_requests', v_cancelled, 'reversed_entries', v_reversed,
                                              'accrual_corrections', v_corrections));
  RETURN app.answer(p, 200, jsonb_build_object('employee_id', e.id, 'end_date', v_end, 'cancelled_request_ids', v_cancelled,
                                               'reversed_entries', v_reversed, 'accrual_corrections', v_corrections,
                                               'final_balances', v_balances));
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.terminate_employee(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.unit_precision(policy_unit), app.employed_share(numeric, policy_unit, date, date, date, date),
  app.settle_final_accruals(uuid, date, timestamptz, text, uuid) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.unit_precision(policy_unit), app.employed_share(numeric, policy_unit, date, date, date, date) TO leave_ledger_app, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.settle_final_accruals(uuid, date, timestamptz, text, uuid) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.terminate_employee(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.terminate_employee(jsonb) TO leave_ledger_app;
