-- What-if (POST /v1/requests/simulations): what a request would cost, whether it would be accepted, and the
-- facts its balance path is drawn from. Reads only; the path itself is drawn by src/domain/balance-path.ts.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Prices the request as a submission would (app.price_request: the same refusals) and answers, without writing:
-- the balance now (what a submission is checked against), days already booked among the request's, and for the
-- path from the employee's today to `until` (default: 31 December of the end date's year, or today): the posted
-- balance as of today; the entries dated after it; the half days of pending requests; the accruals due by then and not yet posted (app.due_accruals); carried-over days that will
-- expire, with what was used of them by today; each 31 December with the carry-over rules in force then (the
-- cap, and when days carried into 1 January expire) and whether that year was rolled over already.
CREATE OR REPLACE FUNCTION app.simulate_request(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_priced record;
  e employees;
  pol leave_policies;
  v_today date;
  v_until date;
  v_account uuid;
  v_balance record;
BEGIN
  PERFORM app.assert_may_request(p);
  SELECT * INTO v_priced FROM app.price_request(p);
  e := v_priced.o_employee;
  pol := v_priced.o_policy;
  v_today := app.today_in(e.time_zone, v_now);
  v_until := coalesce((p ->> 'until')::date, greatest(make_date(extract(year FROM (p ->> 'end_date')::date)::int, 12, 31), v_today));
  IF v_until < v_today THEN
    PERFORM app.fail('VALIDATION_FAILED', 'The path ends before the employee''s today', jsonb_build_object('issues', jsonb_build_array(
      jsonb_build_object('path', 'until', 'message', 'on or after ' || v_today, 'code', 'custom'))));
  END IF;
  SELECT a.id INTO v_account FROM ledger_accounts a WHERE a.tenant_id = v_tenant AND a.employee_id = e.id AND a.policy_key = pol.key;
  SELECT * INTO v_balance FROM app.balance_of(v_account, NULL, v_now);

  RETURN jsonb_build_object(
    'employee_id', e.id,
    'employee_name', app.employee_name(e.id),
    'policy_key', pol.key,
    'unit', pol.unit,
    'tracking', pol.tracking,
    'negative_allowance', pol.negative_allowance,
    'approvals_required', pol.approvals_required,
    'days', cardinality(v_priced.o_days) * 0.5,
    'request_days', (SELECT jsonb_agg(jsonb_build_object('date', d.day, 'amount', -0.5 * app.unit_factor(pol.unit) * d.halves) ORDER BY d.day)
                     FROM (SELECT h.day, count(*) AS halves FROM unnest(v_priced.o_days) AS h(day) GROUP BY h.day) d),
    'amount', v_priced.o_amount,
    'posted', v_balance.posted,
    'pending', v_balance.pending,
    'booked', (SELECT coalesce(jsonb_agg(DISTINCT b.day ORDER BY b.day), '[]') FROM booked_days b
               JOIN unnest(v_priced.o_days, v_priced.o_parts) AS c(day, half) ON c.day = b.day AND c.half = b.half
               WHERE b.employee_id = e.id),
    'today', v_today,
    'until', v_until,
    'opening', (SELECT b.posted FROM app.balance_of(v_account, v_today, v_now) b),
    'entries', (SELECT coalesce(jsonb_agg(jsonb_build_object('date', x.effective_date, 'kind', x.kind, 'amount', x.amount) ORDER BY x.effective_date, x.id), '[]')
                FROM ledger_entries x WHERE x.account_id = v_account AND x.kind NOT IN ('hold', 'hold_release')
                  AND x.effective_date > v_today AND x.effective_date <= v_until),
    'pending_days', (SELECT coalesce(jsonb_agg(jsonb_build_object('date', d.day, 'amount', d.amount) ORDER BY d.day), '[]')
                     FROM (SELECT b.day, sum(-q.amount / (2 * q.days)) AS amount FROM leave_requests q JOIN booked_days b ON b.request_id = q.id
                           WHERE q.account_id = v_account AND q.status = 'pending' AND q.expires_at > v_now AND b.day <= v_until
                           GROUP BY b.day) d),
    'accruals', (SELECT coalesce(jsonb_agg(jsonb_build_object('date', d.first_day, 'amount', d.amount) ORDER BY d.first_day), '[]')
                 FROM app.due_accruals(v_tenant, ARRAY[e.id], pol.key, v_now, v_until) d WHERE d.amount > 0),
    'carryovers', (SELECT coalesce(jsonb_agg(jsonb_build_object('carried_on', c.effective_date, 'amount', c.amount, 'expires_on', c.expires_on,
                                                               'used', (SELECT coalesce(sum(u.amount), 0) FROM ledger_entries u WHERE u.account_id = v_account
                                                                          AND u.kind IN ('usage', 'reversal') AND u.effective_date >= c.effective_date
                                                                          AND u.effective_date <= v_today))
                                            ORDER BY c.effective_date), '[]')
                   FROM (SELECT x.*, (x.effective_date + make_interval(months => cp.carryover_expiry_months))::date AS expires_on
                         FROM ledger_entries x JOIN leave_policies cp ON cp.id = x.policy_version_id
                         WHERE x.account_id = v_account AND x.kind = 'carryover_in' AND cp.carryover_expiry_months IS NOT NULL
                           AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.resolves_entry_id = x.id)
                           AND NOT EXISTS (SELECT 1 FROM ledger_entries y WHERE y.account_id = v_account AND y.reference = 'carryover-expiry:' || x.id)) c
                   WHERE c.expires_on <= v_until),
    'year_ends', (SELECT coalesce(jsonb_agg(jsonb_build_object('date', y.day, 'next_day', y.day + 1, 'cap', v.carryover_cap,
                                                              'carried_expires_on', (y.day + 1 + make_interval(months => v.carryover_expiry_months))::date,
                                                              'rolled_over', app.rollover_in_effect(v_tenant, extract(year FROM y.day)::int) IS NOT NULL)
                                           ORDER BY y.day), '[]')
                  FROM (SELECT make_date(n, 12, 31) AS day FROM generate_series(extract(year FROM v_today)::int, extract(year FROM v_until)::int) n) y
                  CROSS JOIN LATERAL app.policy_in_force(v_tenant, pol.key, y.day) v
                  WHERE y.day >= v_today AND y.day <= v_until)
  );
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.simulate_request(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.simulate_request(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.simulate_request(jsonb) TO leave_ledger_app;
