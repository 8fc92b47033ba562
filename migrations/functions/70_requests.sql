-- Leave requests: submit (hold), decide (usage or release), cancel, expire; their JSON shape.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

DROP FUNCTION IF EXISTS app.seen_request_manager(leave_requests, text, uuid);

-- The API's view of a request (the same for GET, lists, and the answers of writes).
CREATE OR REPLACE FUNCTION app.request_json(r leave_requests) RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT jsonb_build_object(
    'id', r.id, 'employee_id', r.employee_id, 'employee_name', app.employee_name(r.employee_id), 'policy_key', r.policy_key, 'policy_version_id', r.policy_version_id,
    'start_date', r.start_date, 'end_date', r.end_date, 'start_part', r.start_part, 'end_part', r.end_part,
    'days', r.days, 'amount', r.amount, 'unit', (SELECT p.unit FROM leave_policies p WHERE p.id = r.policy_version_id),
    'reason', r.reason, 'data_key_id', r.data_key_id, 'status', r.status, 'approvals_required', r.approvals_required,
    'approvals', coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'approver_id', a.approver_id, 'approver_name', app.user_name(a.approver_id), 'decision', a.decision, 'comment', a.comment,
                                                               'data_key_id', a.data_key_id, 'decided_at', a.decided_at,
                                                               'on_behalf_of', a.on_behalf_of, 'on_behalf_of_name', app.employee_name(a.on_behalf_of)) ORDER BY a.decided_at, a.approver_id)
                           FROM approvals a WHERE a.request_id = r.id), '[]'),
    'expires_at', r.expires_at, 'submitted_by', r.submitted_by, 'submitted_by_name', app.user_name(r.submitted_by),
    'submitted_at', r.submitted_at, 'resolved_at', r.resolved_at,
    -- Why its charge changed since it was made (app.reprice_request): each correction, with what it changed.
    'corrections', coalesce((SELECT jsonb_agg(jsonb_build_object('corrected_at', c.at, 'reason', c.reason, 'amount_change', c.change) ORDER BY c.n)
                             FROM (SELECT split_part(x.reference, ':', 4)::int AS n, min(x.recorded_at) AS at, min(x.system_note) AS reason, -sum(x.amount) AS change
                                   FROM ledger_entries x WHERE x.request_id = r.id AND x.reference LIKE 'request:%:correction:%' GROUP BY 1) c), '[]'))
$$;

-- The data keys a request's sealed fields need (its reason's, its approvals' comments'), by id: read with the
-- request, in the same statement, so a key destroyed since is never used from the Worker's cache.
CREATE OR REPLACE FUNCTION app.request_keys(r leave_requests) RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT coalesce(jsonb_object_agg(k.id, app.data_key_json(k)), '{}') FROM data_keys k
  WHERE k.id = r.data_key_id OR k.id IN (SELECT a.data_key_id FROM approvals a WHERE a.request_id = r.id)
$$;

-- The manager of request `r`'s employee, once the caller may see the request: their own, a direct report's (or a
-- report of a manager whose approvals they hold now), or anyone's for tenant readers; else (no such request in
-- the tenant: `r` is null) 404.
CREATE OR REPLACE FUNCTION app.seen_request_manager(r leave_requests, p_request text) RETURNS uuid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_manager uuid;
BEGIN
  SELECT manager_id INTO v_manager FROM employees WHERE id = r.employee_id;
  IF r.id IS NULL OR NOT coalesce(r.employee_id = app.employee_id() OR v_manager = ANY (app.manager_ids()) OR app.can('tenant:read'), false) THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such request', jsonb_build_object('request_id', p_request));
  END IF;
  RETURN v_manager;
END
$$;

-- Resolves a pending request's hold exactly once (the unique resolves_entry_id refuses a second release):
-- approved (then usage per day is posted), rejected, cancelled or expired (then its days are freed).
CREATE OR REPLACE FUNCTION app.resolve_hold(p_request uuid, p_status leave_request_status, p_now timestamptz, p_actor uuid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r leave_requests;
  v_hold ledger_entries;
  v_factor numeric;
BEGIN
  SELECT * INTO r FROM leave_requests WHERE id = p_request;
  SELECT * INTO v_hold FROM ledger_entries h WHERE h.request_id = r.id AND h.kind = 'hold'
    AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.resolves_entry_id = h.id); -- the one a correction left
  INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                              reference, request_id, resolves_entry_id, actor_id, system_note)
  VALUES (r.tenant_id, r.account_id, r.employee_id, r.policy_key, r.policy_version_id, 'hold_release', -v_hold.amount, v_hold.effective_date, p_now,
          'request:' || r.id || ':release', r.id, v_hold.id, p_actor::text, p_status::text);
  IF p_status = 'approved' THEN
    SELECT app.unit_factor(p.unit) INTO v_factor FROM leave_policies p WHERE p.id = r.policy_version_id;
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                                reference, request_id, actor_id)
    SELECT r.tenant_id, r.account_id, r.employee_id, r.policy_key, r.policy_version_id, 'usage', -(count(*) * 0.5 * v_factor), b.day, p_now,
           'request:' || r.id || ':usage:' || b.day, r.id, p_actor::text
    FROM booked_days b WHERE b.request_id = r.id GROUP BY b.day ORDER BY b.day;
  ELSE
    DELETE FROM booked_days WHERE request_id = r.id;
  END IF;
  UPDATE leave_requests SET status = p_status, resolved_at = p_now, resolved_by = p_actor WHERE id = r.id;
END
$$;

-- Expires pending requests whose TTL has passed (their holds already stopped counting at that instant; this
-- frees their days and writes the release). Rows another transaction holds are left for a later sweep.
CREATE OR REPLACE FUNCTION app.expire_overdue(p_tenant uuid, p_employee uuid, p_now timestamptz, p_limit int) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_id uuid;
  v_count int := 0;
BEGIN
  FOR v_id IN
    SELECT q.id FROM leave_requests q
    WHERE q.tenant_id = p_tenant AND q.status = 'pending' AND q.expires_at <= p_now AND (p_employee IS NULL OR q.employee_id = p_employee)
    ORDER BY q.expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED
  LOOP
    PERFORM app.resolve_hold(v_id, 'expired', p_now, NULL);
    PERFORM app.audit_ledger('{}', 'request.expire', 'leave_request', v_id::text, jsonb_build_object('reason', 'approval TTL passed'));
    v_count := v_count + 1;
  END LOOP;
  RETURN v_count;
END
$$;

-- Whether the caller may ask for leave at all (for themselves, or naming an employee_id).
CREATE OR REPLACE FUNCTION app.assert_may_request(p jsonb) RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF app.tenant_id() IS NULL OR coalesce((p ->> 'employee_id')::uuid, app.employee_id()) IS NULL OR NOT app.can('request:submit') THEN
    PERFORM app.fail('FORBIDDEN', 'Only employees may request leave (name an employee_id to record someone else''s)');
  END IF;
END
$$;

-- What a request of the caller's (or, on someone's behalf, of p.employee_id's) would cost, and whether it may be
-- made at all: who may ask for whom, the policy in force on the start date, the assignment, the waiting period,
-- the working days charged. Raises the refusal otherwise. Shared by submitting and simulating, each of which
-- has called app.assert_may_request first.
CREATE OR REPLACE FUNCTION app.price_request(p jsonb, OUT o_employee employees, OUT o_policy leave_policies, OUT o_days date[],
                                             OUT o_parts day_half[], OUT o_amount numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_self uuid := app.employee_id();
  v_employee uuid := coalesce((p ->> 'employee_id')::uuid, app.employee_id());
  v_start date := (p ->> 'start_date')::date;
  v_end date := (p ->> 'end_date')::date;
  v_key text := p ->> 'policy_key';
  e employees;
  pol leave_policies;
BEGIN
  SELECT * INTO e FROM employees WHERE id = v_employee AND tenant_id = v_tenant;
  -- On someone's behalf: HR Admins and System Admins for anyone they see, managers for their direct reports
  -- where the policy lets them (not from a kiosk session: its scopes leave out team:read).
  IF v_employee IS DISTINCT FROM v_self AND (e.id IS NULL OR NOT coalesce(app.can('tenant:read') OR e.manager_id = v_self, false)) THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such employee', jsonb_build_object('employee_id', v_employee));
  END IF;
  SELECT * INTO pol FROM app.policy_in_force(v_tenant, v_key, v_start);
  IF pol.id IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such policy in force on the start date', jsonb_build_object('policy_key', v_key));
  END IF;
  -- A manager records only while both the version governing the leave and the policy's newest version let them.
  IF v_employee IS DISTINCT FROM v_self
     AND NOT coalesce(app.can('request:record:any') OR (e.manager_id = v_self AND app.can('team:read') AND pol.managers_may_record
                      AND (SELECT x.managers_may_record FROM leave_policies x WHERE x.tenant_id = v_tenant AND x.key = v_key ORDER BY x.version DESC LIMIT 1)), false) THEN
    PERFORM app.fail('FORBIDDEN', 'You may not record leave for this employee under this policy',
                     jsonb_build_object('policy_key', v_key, 'employee_id', v_employee));
  END IF;
  IF NOT EXISTS (SELECT 1 FROM policy_assignments a WHERE a.tenant_id = v_tenant AND a.employee_id = v_employee AND a.policy_key = v_key
                 AND a.starts_on <= v_start AND (a.ends_on IS NULL OR a.ends_on >= v_end)) THEN
    PERFORM app.fail('NOT_ELIGIBLE', 'You are not assigned to this policy for these dates', jsonb_build_object('policy_key', v_key));
  END IF;
  IF v_start < e.hire_date + pol.waiting_period_days THEN
    PERFORM app.fail('NOT_ELIGIBLE', 'The policy''s waiting period has not ended by the start date',
                     jsonb_build_object('policy_key', v_key, 'eligible_from', e.hire_date + pol.waiting_period_days));
  END IF;
  IF e.end_date < v_end THEN
    PERFORM app.fail('NOT_ELIGIBLE', 'Your employment ends before the leave does', jsonb_build_object('policy_key', v_key, 'employment_ends', e.end_date));
  END IF;

  SELECT coalesce(array_agg(c.day ORDER BY c.day, c.half), '{}'), coalesce(array_agg(c.half ORDER BY c.day, c.half), '{}') INTO o_days, o_parts
  FROM app.charged_half_days(v_tenant, e.holiday_calendar, e.work_week, v_start, v_end, coalesce(p ->> 'start_part', 'morning')::leave_start_part,
                             coalesce(p ->> 'end_part', 'evening')::leave_end_part) c;
  IF cardinality(o_days) = 0 THEN
    PERFORM app.fail('VALIDATION_FAILED', 'The request covers no working day',
                     jsonb_build_object('issues', jsonb_build_array(jsonb_build_object('path', 'end_date', 'message', 'no working day between start and end', 'code', 'custom'))));
  END IF;
  o_employee := e;
  o_policy := pol;
  o_amount := cardinality(o_days) * 0.5 * app.unit_factor(pol.unit);
END
$$;

-- Submit: claim the key, price the request (app.price_request), lock the balance, check it (pending holds
-- included), book the half days (the primary key refuses a day already taken), place the hold, audit, answer.
-- One transaction.
CREATE OR REPLACE FUNCTION app.submit_leave_request(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_user uuid := app.user_id();
  v_self uuid := app.employee_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_start date := (p ->> 'start_date')::date;
  v_end date := (p ->> 'end_date')::date;
  v_start_part leave_start_part := coalesce(p ->> 'start_part', 'morning')::leave_start_part;
  v_end_part leave_end_part := coalesce(p ->> 'end_part', 'evening')::leave_end_part;
  v_key text := p ->> 'policy_key';
  v_replay jsonb;
  v_priced record;
  e employees;
  pol leave_policies;
  v_employee uuid;
  v_account uuid;
  v_days date[];
  v_parts day_half[];
  v_halves int;
  v_amount numeric;
  v_balance record;
  v_available numeric;
  v_request leave_requests;
  v_data_key uuid;
BEGIN
  PERFORM app.assert_may_request(p);
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;
  -- Priced by a holiday list no change is rewriting meanwhile (app.change_holiday corrects what it sees committed).
  PERFORM app.lock_holiday_calendar(v_tenant, (SELECT holiday_calendar FROM employees WHERE id = coalesce((p ->> 'employee_id')::uuid, v_self) AND tenant_id = v_tenant), false);
  SELECT * INTO v_priced FROM app.price_request(p);
  e := v_priced.o_employee;
  pol := v_priced.o_policy;
  v_employee := e.id;
  v_days := v_priced.o_days;
  v_parts := v_priced.o_parts;
  v_halves := cardinality(v_days);
  v_amount := v_priced.o_amount;

  -- A balance that already cannot cover the request (as committed now) is refused without queueing for the
  -- lock; otherwise the check is repeated under the lock, which is the one that decides.
  SELECT a.id INTO v_account FROM ledger_accounts a WHERE a.tenant_id = v_tenant AND a.employee_id = v_employee AND a.policy_key = v_key;
  FOR pass IN 1 .. 2 LOOP
    IF pass = 2 THEN
      v_account := app.lock_account(v_tenant, v_employee, v_key);
      PERFORM app.expire_overdue(v_tenant, v_employee, v_now, 100);
    END IF;
    SELECT * INTO v_balance FROM app.balance_of(v_account, NULL, v_now);
    v_available := coalesce(v_balance.posted, 0) - coalesce(v_balance.pending, 0) + pol.negative_allowance;
    IF pol.tracking = 'tracked' AND v_amount > v_available THEN
      PERFORM app.fail('INSUFFICIENT_BALANCE', 'The balance available does not cover the request',
                       jsonb_build_object('requested', v_amount, 'available', v_available, 'policy_id', v_key));
    END IF;
  END LOOP;
  -- Read again under the lock: an end of employment committed meanwhile (app.terminate_employee) counts.
  IF (SELECT end_date FROM employees WHERE id = v_employee) < v_end THEN
    PERFORM app.fail('NOT_ELIGIBLE', 'Your employment ends before the leave does',
                     jsonb_build_object('policy_key', v_key, 'employment_ends', (SELECT end_date FROM employees WHERE id = v_employee)));
  END IF;

  -- The reason comes sealed by the Worker (with the request's id, which it chose) under the employee's data key
  -- for the start date's year.
  IF p ->> 'reason' IS NOT NULL THEN
    v_data_key := app.use_data_key(v_tenant, v_employee, extract(year FROM v_start)::int, p -> 'data_key');
  END IF;
  INSERT INTO leave_requests (id, tenant_id, employee_id, account_id, policy_key, policy_version_id, start_date, end_date, start_part, end_part,
                              days, amount, reason, data_key_id, approvals_required, expires_at, submitted_by, submitted_at)
  VALUES (coalesce((p ->> 'id')::uuid, gen_random_uuid()), v_tenant, v_employee, v_account, v_key, pol.id, v_start, v_end, v_start_part, v_end_part, v_halves * 0.5, v_amount,
          p ->> 'reason', v_data_key, pol.approvals_required, v_now + make_interval(hours => pol.approval_ttl_hours), v_user, v_now)
  RETURNING * INTO v_request;
  BEGIN
    INSERT INTO booked_days (tenant_id, employee_id, day, half, request_id)
    SELECT v_tenant, v_employee, c.day, c.half, v_request.id FROM unnest(v_days, v_parts) AS c(day, half);
  EXCEPTION WHEN unique_violation THEN
    PERFORM app.fail('CONFLICT', 'Another open request already takes some of these days',
                     jsonb_build_object('days', (SELECT jsonb_agg(DISTINCT b.day ORDER BY b.day) FROM booked_days b
                                                 JOIN unnest(v_days, v_parts) AS c(day, half)
                                                   ON c.day = b.day AND c.half = b.half
                                                 WHERE b.employee_id = v_employee)));
  END;
  INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                              reference, request_id, expires_at, actor_id)
  VALUES (v_tenant, v_account, v_employee, v_key, pol.id, 'hold', -v_amount, v_start, v_now, 'request:' || v_request.id || ':hold',
          v_request.id, v_request.expires_at, v_user::text);
  PERFORM app.audit_ledger(p -> 'facts', 'request.submit', 'leave_request', v_request.id::text,
                           jsonb_build_object('policy_key', v_key, 'amount', v_amount, 'start_date', v_start, 'end_date', v_end)
                           || CASE WHEN v_employee IS DISTINCT FROM v_self THEN jsonb_build_object('on_behalf_of', v_employee) ELSE '{}' END);
  -- A policy without approvers records the leave at once: the hold becomes usage in the same transaction.
  IF pol.approvals_required = 0 THEN
    PERFORM app.resolve_hold(v_request.id, 'approved', v_now, v_user);
    PERFORM app.audit_ledger(p -> 'facts', 'request.approve', 'leave_request', v_request.id::text, jsonb_build_object('automatic', true));
    SELECT * INTO v_request FROM leave_requests WHERE id = v_request.id;
  END IF;
  PERFORM app.snapshot_if_due(v_account, v_now);
  RETURN app.answer(p, 201, app.request_json(v_request)) || jsonb_build_object('keys', app.request_keys(v_request));
END
$$;

-- Approve or reject. A manager decides for direct reports only (and a delegate for them while the delegation
-- runs: recorded on the approval and in the audit), HR Admin and System Admin for anyone, nobody for themselves;
-- one decision per person (a second approval by the same person is refused, not counted).
-- Approval posts usage once the policy's number of distinct approvers is reached; rejection voids the hold.
CREATE OR REPLACE FUNCTION app.decide_leave_request(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_user uuid := app.user_id();
  v_employee uuid := app.employee_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_decision approval_decision := (p ->> 'decision')::approval_decision;
  v_replay jsonb;
  r leave_requests;
  v_manager uuid;
  v_approvals int;
  v_data_key uuid;
  v_delegation uuid;
BEGIN
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;

  SELECT * INTO r FROM leave_requests WHERE id = (p ->> 'request_id')::uuid AND tenant_id = v_tenant;
  v_manager := app.seen_request_manager(r, p ->> 'request_id');
  IF r.employee_id = v_employee THEN
    PERFORM app.fail('FORBIDDEN', 'Nobody decides their own request', jsonb_build_object('reason', 'own request'));
  END IF;
  IF r.submitted_by = v_user THEN
    PERFORM app.fail('FORBIDDEN', 'You recorded this request for them; another approver decides it', jsonb_build_object('request_id', r.id));
  END IF;
  IF NOT coalesce(app.can('request:approve:any') OR (app.can('request:approve:reports') AND v_manager = v_employee), false) THEN
    -- Checked again on the request's clock: the claims' acting_for is only what the Worker's cache said.
    v_delegation := CASE WHEN app.approves_for(v_manager) THEN app.running_delegation(v_manager, v_employee, v_now) END;
    IF v_delegation IS NULL THEN
      PERFORM app.fail('FORBIDDEN', 'Only the employee''s manager (or their delegate), HR Admins and System Admins decide requests');
    END IF;
    -- A delegate decides as the manager would: not what the manager recorded, and once for the manager.
    IF r.submitted_by = (SELECT user_id FROM employees WHERE id = v_manager) THEN
      PERFORM app.fail('FORBIDDEN', 'The manager recorded this request; another approver decides it', jsonb_build_object('request_id', r.id));
    END IF;
  END IF;

  PERFORM app.lock_account(v_tenant, r.employee_id, r.policy_key);
  SELECT * INTO r FROM leave_requests WHERE id = r.id FOR UPDATE;
  IF r.status = 'pending' AND r.expires_at <= v_now THEN
    PERFORM app.fail('CONFLICT', 'The request expired before it was decided', jsonb_build_object('status', 'expired', 'expired_at', r.expires_at));
  END IF;
  IF r.status <> 'pending' THEN
    PERFORM app.fail('CONFLICT', 'The request is no longer pending', jsonb_build_object('status', r.status));
  END IF;
  -- One decision per manager, theirs or their delegate's (two approvals need two people, not one and their
  -- stand-in); under the request's lock, so two at once cannot both count.
  IF EXISTS (SELECT 1 FROM approvals a WHERE a.request_id = r.id
             AND (a.on_behalf_of = coalesce(CASE WHEN v_delegation IS NOT NULL THEN v_manager END, v_employee)
                  OR (v_delegation IS NOT NULL AND a.approver_id = (SELECT user_id FROM employees WHERE id = v_manager)))) THEN
    PERFORM app.fail('CONFLICT', 'This manager''s decision on the request was made already', jsonb_build_object('request_id', r.id));
  END IF;
  -- The comment comes sealed by the Worker (with the approval's id) under the requester's data key for the
  -- request's year.
  IF p ->> 'comment' IS NOT NULL THEN
    v_data_key := app.use_data_key(v_tenant, r.employee_id, extract(year FROM r.start_date)::int, p -> 'data_key');
  END IF;
  BEGIN
    INSERT INTO approvals (id, tenant_id, request_id, employee_id, approver_id, decision, comment, data_key_id, decided_at, delegation_id, on_behalf_of)
    VALUES (coalesce((p ->> 'approval_id')::uuid, gen_random_uuid()), v_tenant, r.id, r.employee_id, v_user, v_decision, p ->> 'comment', v_data_key, v_now,
            v_delegation, CASE WHEN v_delegation IS NOT NULL THEN v_manager END);
  EXCEPTION WHEN unique_violation THEN
    PERFORM app.fail('CONFLICT', 'You already decided this request; a second approval needs another person', jsonb_build_object('request_id', r.id));
  END;

  IF v_decision = 'reject' THEN
    PERFORM app.resolve_hold(r.id, 'rejected', v_now, v_user);
  ELSE
    SELECT count(*) INTO v_approvals FROM approvals WHERE request_id = r.id AND decision = 'approve';
    IF v_approvals >= r.approvals_required THEN
      PERFORM app.resolve_hold(r.id, 'approved', v_now, v_user);
    END IF;
  END IF;
  PERFORM app.audit_ledger(p -> 'facts', 'request.' || v_decision, 'leave_request', r.id::text, jsonb_build_object('commented', p ->> 'comment' IS NOT NULL)
                           || CASE WHEN v_delegation IS NOT NULL THEN jsonb_build_object('delegation_id', v_delegation, 'on_behalf_of', v_manager) ELSE '{}' END);
  PERFORM app.snapshot_if_due(r.account_id, v_now);
  SELECT * INTO r FROM leave_requests WHERE id = r.id;
  -- The answer shows the requester's reason and other approvers' comments: logged as any read of them is.
  IF r.reason IS NOT NULL OR EXISTS (SELECT 1 FROM approvals a WHERE a.request_id = r.id AND a.comment IS NOT NULL AND a.approver_id <> v_user) THEN
    PERFORM app.audit_ledger(p -> 'facts', 'confidential.read', 'employee', r.employee_id::text,
                             jsonb_build_object('read', 'leave_request', 'ids', jsonb_build_array(r.id)));
  END IF;
  RETURN app.answer(p, 200, app.request_json(r)) || jsonb_build_object('keys', app.request_keys(r));
END
$$;

-- Cancel one's own request: a pending one voids its hold; an approved one not yet started (in the
-- employee's calendar) is reversed entry by entry. Reversals are never blocked by balance limits.
CREATE OR REPLACE FUNCTION app.cancel_leave_request(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_user uuid := app.user_id();
  v_employee uuid := app.employee_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_replay jsonb;
  r leave_requests;
  v_today date;
BEGIN
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;

  SELECT * INTO r FROM leave_requests WHERE id = (p ->> 'request_id')::uuid AND tenant_id = v_tenant AND employee_id = v_employee;
  IF r.id IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such request of yours', jsonb_build_object('request_id', p ->> 'request_id'));
  END IF;
  PERFORM app.lock_account(v_tenant, r.employee_id, r.policy_key);
  SELECT * INTO r FROM leave_requests WHERE id = r.id FOR UPDATE;
  IF r.status = 'pending' AND r.expires_at > v_now THEN
    PERFORM app.resolve_hold(r.id, 'cancelled', v_now, v_user);
  ELSIF r.status = 'approved' THEN
    SELECT app.today_in(time_zone, v_now) INTO v_today FROM employees WHERE id = r.employee_id;
    IF r.start_date <= v_today THEN
      PERFORM app.fail('CONFLICT', 'The leave has started; ask HR for an adjustment', jsonb_build_object('status', r.status, 'start_date', r.start_date));
    END IF;
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                                reference, request_id, resolves_entry_id, actor_id, system_note)
    SELECT u.tenant_id, u.account_id, u.employee_id, u.policy_key, u.policy_version_id, 'reversal', -u.amount, u.effective_date, v_now,
           'request:' || r.id || ':reversal:' || u.effective_date, r.id, u.id, v_user::text, 'cancelled'
    FROM ledger_entries u WHERE u.request_id = r.id AND u.kind = 'usage'
      AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.resolves_entry_id = u.id) -- days an end of employment reversed
    ORDER BY u.id;
    DELETE FROM booked_days WHERE request_id = r.id;
    UPDATE leave_requests SET status = 'cancelled', resolved_at = v_now, resolved_by = v_user WHERE id = r.id;
  ELSE
    PERFORM app.fail('CONFLICT', 'The request is no longer open', jsonb_build_object('status', CASE WHEN r.status = 'pending' THEN 'expired' ELSE r.status::text END));
  END IF;
  PERFORM app.audit_ledger(p -> 'facts', 'request.cancel', 'leave_request', r.id::text, jsonb_build_object('was', r.status));
  PERFORM app.snapshot_if_due(r.account_id, v_now);
  SELECT * INTO r FROM leave_requests WHERE id = r.id;
  RETURN app.answer(p, 200, app.request_json(r)) || jsonb_build_object('keys', app.request_keys(r));
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.submit_leave_request(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.decide_leave_request(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.cancel_leave_request(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.request_json(leave_requests) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.request_json(leave_requests) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.request_keys(leave_requests) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.request_keys(leave_requests) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.resolve_hold(uuid,leave_request_status,timestamp with time zone,uuid), app.expire_overdue(uuid,uuid,timestamp with time zone,integer) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.resolve_hold(uuid,leave_request_status,timestamp with time zone,uuid), app.expire_overdue(uuid,uuid,timestamp with time zone,integer) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.submit_leave_request(jsonb), app.decide_leave_request(jsonb), app.cancel_leave_request(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.submit_leave_request(jsonb), app.decide_leave_request(jsonb), app.cancel_leave_request(jsonb) TO leave_ledger_app;
REVOKE ALL ON FUNCTION app.assert_may_request(jsonb), app.price_request(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.assert_may_request(jsonb), app.price_request(jsonb) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.seen_request_manager(leave_requests, text) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.seen_request_manager(leave_requests, text) TO leave_ledger_definer;
