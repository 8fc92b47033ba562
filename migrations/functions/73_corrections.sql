-- Corrections: when what a request's days are charged changes after it was made (a holiday added or removed, an
-- employee moved to another holiday calendar or work week), its open requests are repriced to the current rules:
-- booked days follow, approved leave gets reversing and new usage entries per day changed, a pending request's
-- hold is replaced. Audited per request as `request.correct`; the request shows why (app.request_json).
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Reprices one open request (approved, or pending and not expired) on the days from p_from to p_to: what it books
-- there becomes what app.charged_half_days charges now (under p_calendar and p_work_week when given: the values
-- an employee's record is being changed to). A day another open request of the employee took meanwhile
-- is not booked twice. A request left with no charged day is cancelled. Never blocked by the balance (the leave
-- was taken or asked for as the rules then said): one that ends below the negative allowance says so. Answers
-- the correction, or null when nothing changed. Entries are referenced `request:<id>:correction:<n>:…`.
CREATE OR REPLACE FUNCTION app.reprice_request(p_request uuid, p_from date, p_to date, p_now timestamptz, p_reason text, p_facts jsonb,
                                               p_calendar text DEFAULT NULL, p_work_week smallint[] DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r leave_requests;
  e employees;
  pol leave_policies;
  v_actor text := app.user_id()::text;
  v_last date;
  v_changed date[];
  v_halves int;
  v_amount numeric;
  v_status leave_request_status;
  v_ref text;
  v_hold ledger_entries;
  v_balance record;
  v_available numeric;
  v_correction jsonb;
BEGIN
  SELECT * INTO r FROM leave_requests WHERE id = p_request;
  PERFORM app.lock_account(r.tenant_id, r.employee_id, r.policy_key);
  SELECT * INTO r FROM leave_requests WHERE id = p_request FOR UPDATE;
  IF NOT (r.status = 'approved' OR (r.status = 'pending' AND r.expires_at > p_now)) THEN
    RETURN NULL;
  END IF;
  SELECT * INTO e FROM employees WHERE id = r.employee_id;
  SELECT * INTO pol FROM leave_policies WHERE id = r.policy_version_id;
  -- Days after an end of employment were given back by app.terminate_employee and stay so.
  v_last := least(r.end_date, e.end_date);
  WITH target AS (
         SELECT c.day, c.half
         FROM app.charged_half_days(r.tenant_id, coalesce(p_calendar, e.holiday_calendar), coalesce(p_work_week, e.work_week), r.start_date, v_last, r.start_part,
                                    CASE WHEN v_last < r.end_date THEN 'evening' ELSE r.end_part END::leave_end_part) c
         WHERE c.day BETWEEN p_from AND p_to),
       booked AS (SELECT b.day, b.half FROM booked_days b WHERE b.request_id = r.id AND b.day BETWEEN p_from AND p_to),
       gone AS (DELETE FROM booked_days b USING (SELECT * FROM booked EXCEPT SELECT * FROM target) x
                WHERE b.request_id = r.id AND b.day = x.day AND b.half = x.half RETURNING b.day),
       came AS (INSERT INTO booked_days (tenant_id, employee_id, day, half, request_id)
                SELECT r.tenant_id, r.employee_id, x.day, x.half, r.id FROM (SELECT * FROM target EXCEPT SELECT * FROM booked) x
                ON CONFLICT DO NOTHING RETURNING day)
  SELECT array_agg(DISTINCT d.day) INTO v_changed FROM (SELECT g.day FROM gone g UNION ALL SELECT c.day FROM came c) d;
  IF v_changed IS NULL THEN
    RETURN NULL;
  END IF;

  SELECT count(*) INTO v_halves FROM booked_days WHERE request_id = r.id;
  v_amount := v_halves * 0.5 * app.unit_factor(pol.unit);
  v_status := CASE WHEN v_halves = 0 THEN 'cancelled' ELSE r.status END;
  v_ref := 'request:' || r.id || ':correction:'
           || (1 + coalesce((SELECT max(split_part(x.reference, ':', 4)::int) FROM ledger_entries x
                             WHERE x.request_id = r.id AND x.reference LIKE 'request:%:correction:%'), 0)) || ':';
  IF r.status = 'approved' THEN
    -- On each day changed: what stands is reversed, and what the day is charged now is posted.
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                                reference, request_id, resolves_entry_id, actor_id, system_note)
    SELECT u.tenant_id, u.account_id, u.employee_id, u.policy_key, u.policy_version_id, 'reversal', -u.amount, u.effective_date, p_now,
           v_ref || 'reversal:' || u.effective_date, r.id, u.id, v_actor, p_reason
    FROM ledger_entries u WHERE u.request_id = r.id AND u.kind = 'usage' AND u.effective_date = ANY (v_changed)
      AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.resolves_entry_id = u.id)
    ORDER BY u.id;
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                                reference, request_id, actor_id, system_note)
    SELECT r.tenant_id, r.account_id, r.employee_id, r.policy_key, r.policy_version_id, 'usage', -(count(*) * 0.5 * app.unit_factor(pol.unit)), b.day,
           p_now, v_ref || 'usage:' || b.day, r.id, v_actor, p_reason
    FROM booked_days b WHERE b.request_id = r.id AND b.day = ANY (v_changed) GROUP BY b.day ORDER BY b.day;
  ELSE
    -- The hold is replaced by one of the new amount (none if nothing is left to ask for).
    SELECT * INTO v_hold FROM ledger_entries h WHERE h.request_id = r.id AND h.kind = 'hold'
      AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.resolves_entry_id = h.id);
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                                reference, request_id, resolves_entry_id, actor_id, system_note)
    VALUES (r.tenant_id, r.account_id, r.employee_id, r.policy_key, r.policy_version_id, 'hold_release', -v_hold.amount, v_hold.effective_date, p_now,
            v_ref || 'release', r.id, v_hold.id, v_actor, p_reason);
    IF v_halves > 0 THEN
      INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                                  reference, request_id, expires_at, actor_id, system_note)
      VALUES (r.tenant_id, r.account_id, r.employee_id, r.policy_key, r.policy_version_id, 'hold', -v_amount, r.start_date, p_now,
              v_ref || 'hold', r.id, r.expires_at, v_actor, p_reason);
    END IF;
  END IF;
  UPDATE leave_requests SET status = v_status, days = CASE WHEN v_halves > 0 THEN v_halves * 0.5 ELSE days END,
         amount = CASE WHEN v_halves > 0 THEN v_amount ELSE amount END, resolved_at = CASE WHEN v_halves = 0 THEN p_now ELSE resolved_at END,
         resolved_by = CASE WHEN v_halves = 0 THEN NULL ELSE resolved_by END
  WHERE id = r.id;

  SELECT * INTO v_balance FROM app.balance_of(r.account_id, NULL, p_now);
  v_available := v_balance.posted - v_balance.pending + pol.negative_allowance;
  v_correction := jsonb_build_object('request_id', r.id, 'employee_id', r.employee_id, 'policy_key', r.policy_key, 'unit', pol.unit,
                                     'status', v_status, 'days_before', r.days, 'days_after', v_halves * 0.5,
                                     'amount_before', r.amount, 'amount_after', v_amount,
                                     'available', CASE WHEN pol.tracking = 'tracked' THEN v_available END,
                                     'below_allowance', pol.tracking = 'tracked' AND v_available < 0);
  PERFORM app.audit_ledger(p_facts, 'request.correct', 'leave_request', r.id::text, (v_correction - 'request_id') || jsonb_build_object('reason', p_reason));
  PERFORM app.snapshot_if_due(r.account_id, p_now);
  RETURN v_correction || jsonb_build_object('employee_name', app.employee_name(r.employee_id), 'reason', p_reason);
END
$$;

-- Adds (p.action = 'add', with p.name) or removes (p.action = 'remove') a holiday of one of the tenant's calendars,
-- audited, and corrects the open requests of those who follow that calendar and whose span covers the day.
-- HR Admins and System Admins only. The answer lists the corrections (HR sees at once who ends below their
-- negative allowance).
CREATE OR REPLACE FUNCTION app.change_holiday(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_calendar text := p ->> 'calendar';
  v_day date := (p ->> 'day')::date;
  v_adding boolean := p ->> 'action' = 'add';
  v_holiday holidays;
  v_reason text;
  v_request uuid;
  v_correction jsonb;
  v_corrections jsonb := '[]';
BEGIN
  IF v_tenant IS NULL OR NOT app.can('policy:manage') THEN
    PERFORM app.fail('FORBIDDEN', 'Only HR Admins and System Admins change holidays');
  END IF;
  -- Submissions pricing days of this calendar wait until this change commits, and it waits for theirs.
  PERFORM app.lock_holiday_calendar(v_tenant, v_calendar, true);
  IF v_adding THEN
    INSERT INTO holidays (tenant_id, calendar, day, name, created_at) VALUES (v_tenant, v_calendar, v_day, p ->> 'name', v_now)
    ON CONFLICT DO NOTHING RETURNING * INTO v_holiday;
    IF v_holiday.day IS NULL THEN
      PERFORM app.fail('CONFLICT', 'That day is a holiday of this calendar already', jsonb_build_object('day', v_day, 'calendar', v_calendar));
    END IF;
    v_reason := format('%s (%s) became a holiday of calendar %s', v_day, v_holiday.name, v_calendar);
  ELSE
    DELETE FROM holidays WHERE tenant_id = v_tenant AND calendar = v_calendar AND day = v_day RETURNING * INTO v_holiday;
    IF v_holiday.day IS NULL THEN
      PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such holiday', jsonb_build_object('day', v_day, 'calendar', v_calendar));
    END IF;
    v_reason := format('%s (%s) is no longer a holiday of calendar %s', v_day, v_holiday.name, v_calendar);
  END IF;
  PERFORM app.audit_ledger(p -> 'facts', 'holiday.' || (p ->> 'action'), 'holiday', v_day::text,
                           jsonb_build_object('name', v_holiday.name, 'calendar', v_calendar));
  -- Accounts in one order, so two changes at once never wait on each other in a cycle.
  FOR v_request IN
    SELECT q.id FROM leave_requests q JOIN employees e ON e.id = q.employee_id
    WHERE q.tenant_id = v_tenant AND q.status IN ('pending', 'approved') AND q.end_date >= v_day AND q.start_date <= v_day
      AND e.tenant_id = v_tenant AND e.holiday_calendar = v_calendar
    ORDER BY q.account_id, q.id
  LOOP
    v_correction := app.reprice_request(v_request, v_day, v_day, v_now, v_reason, p -> 'facts');
    IF v_correction IS NOT NULL THEN
      v_corrections := v_corrections || v_correction;
    END IF;
  END LOOP;
  RETURN jsonb_build_object('day', v_day, 'name', v_holiday.name, 'calendar', v_calendar, 'corrections', v_corrections);
END
$$;

-- While an employee's holiday calendar or work week changes to p.holiday_calendar and p.work_week (PATCH
-- /v1/employees/{id}, in the statement that updates the record, only when either differs): their open requests
-- are repriced from their today on; leave already taken keeps what it was charged. For those who may manage the
-- employee's user. Answers the corrections.
CREATE OR REPLACE FUNCTION app.reprice_employee_requests(p_employee uuid, p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_now timestamptz := (p ->> 'now')::timestamptz;
  e employees;
  v_today date;
  v_request uuid;
  v_correction jsonb;
  v_corrections jsonb := '[]';
BEGIN
  SELECT * INTO e FROM employees WHERE id = p_employee AND tenant_id = app.tenant_id();
  IF e.id IS NULL THEN
    RETURN '[]'; -- the route answers 404
  END IF;
  IF NOT app.can('user:manage') OR NOT app.may_manage(e.user_id) THEN
    PERFORM app.fail('FORBIDDEN', 'You may not manage this employee');
  END IF;
  v_today := app.today_in(e.time_zone, v_now);
  PERFORM app.lock_holiday_calendar(e.tenant_id, p ->> 'holiday_calendar', false);
  FOR v_request IN
    SELECT q.id FROM leave_requests q
    WHERE q.tenant_id = e.tenant_id AND q.employee_id = e.id AND q.status IN ('pending', 'approved') AND q.end_date >= v_today
    ORDER BY q.account_id, q.id
  LOOP
    v_correction := app.reprice_request(v_request, v_today, 'infinity', v_now, p ->> 'reason', p -> 'facts', p ->> 'holiday_calendar',
                                        ARRAY(SELECT jsonb_array_elements_text(p -> 'work_week')::smallint));
    IF v_correction IS NOT NULL THEN
      v_corrections := v_corrections || v_correction;
    END IF;
  END LOOP;
  RETURN v_corrections;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.change_holiday(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.reprice_employee_requests(uuid, jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.reprice_request(uuid,date,date,timestamp with time zone,text,jsonb,text,smallint[]) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.reprice_request(uuid,date,date,timestamp with time zone,text,jsonb,text,smallint[]) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.change_holiday(jsonb), app.reprice_employee_requests(uuid, jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.change_holiday(jsonb), app.reprice_employee_requests(uuid, jsonb) TO leave_ledger_app;
