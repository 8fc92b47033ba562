-- The ledger's rules, held by the database. Hand-written.
-- Every ledger table is written only by the SECURITY DEFINER functions below (owned by leave_ledger_definer,
-- which has no BYPASSRLS and no login). Each function reads the caller's claims itself and filters by the
-- caller's tenant in every statement; the app role only SELECTs, under the row-level policies.
-- Every write of a settled entry (all kinds but holds and their releases) first locks its ledger_accounts row:
-- checks and writes of one balance are serialized, and settled entry ids within an account follow commit order,
-- which is what makes snapshots exact. Holds and releases are never snapshotted (they count by the clock), so
-- the expiry sweep may release a hold under the request's lock alone.
ALTER TABLE holidays FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE ledger_accounts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE ledger_entries FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE balance_snapshots FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE leave_requests FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE booked_days FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE approvals FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE ledger_runs FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON ledger_accounts, ledger_entries, balance_snapshots, leave_requests, booked_days, approvals, ledger_runs TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON holidays TO leave_ledger_app;
--> statement-breakpoint
GRANT UPDATE (work_week) ON employees TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON ledger_accounts, ledger_entries, balance_snapshots, approvals, ledger_runs TO leave_ledger_definer;
--> statement-breakpoint
-- SELECT … FOR UPDATE (the balance lock) needs UPDATE on some column; nothing ever updates it.
GRANT UPDATE (opened_at) ON ledger_accounts TO leave_ledger_definer;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON leave_requests, idempotency_keys, audit_chain_heads TO leave_ledger_definer;
--> statement-breakpoint
GRANT DELETE ON booked_days, idempotency_keys TO leave_ledger_definer;
--> statement-breakpoint
GRANT SELECT, INSERT ON booked_days TO leave_ledger_definer;
--> statement-breakpoint
GRANT SELECT ON holidays, leave_policies, policy_assignments, employees, audit_log TO leave_ledger_definer;
--> statement-breakpoint
CREATE POLICY leave_policies_definer ON leave_policies FOR SELECT TO leave_ledger_definer USING (true);
--> statement-breakpoint
CREATE POLICY policy_assignments_definer ON policy_assignments FOR SELECT TO leave_ledger_definer USING (true);
--> statement-breakpoint
CREATE POLICY audit_log_definer_select ON audit_log FOR SELECT TO leave_ledger_definer USING (true);
--> statement-breakpoint
-- Entries, snapshots, approvals and runs are facts: nobody changes or removes them, the owner included.
CREATE FUNCTION app.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION app.refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION app.refuse_change();
--> statement-breakpoint
CREATE TRIGGER balance_snapshots_append_only BEFORE UPDATE OR DELETE ON balance_snapshots FOR EACH ROW EXECUTE FUNCTION app.refuse_change();
--> statement-breakpoint
CREATE TRIGGER approvals_append_only BEFORE UPDATE OR DELETE ON approvals FOR EACH ROW EXECUTE FUNCTION app.refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_runs_append_only BEFORE UPDATE OR DELETE ON ledger_runs FOR EACH ROW EXECUTE FUNCTION app.refuse_change();
--> statement-breakpoint
-- ---------------------------------------------------------------------------------------------------------
-- The audit hash chain: each tenant's rows form one chain (rows without a tenant form their own). A row's
-- hash covers the previous link's hash and every field of the row, so changing, removing or reordering any
-- row breaks verification at that row. Locking the chain head orders a tenant's audit rows.
CREATE FUNCTION app.audit_row_text(a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_array(a.id, a.tenant_id, to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), a.actor_type, a.actor_id,
    a.action, a.target_type, a.target_id, a.success, a.ip, a.user_agent, a.request_id, a.details, a.chain_seq)::text
$$;
--> statement-breakpoint
CREATE FUNCTION app.audit_link_hash(p_previous text, a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(p_previous || '|' || app.audit_row_text(a), 'UTF8')), 'hex')
$$;
--> statement-breakpoint
CREATE FUNCTION app.chain_audit_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_chain uuid := coalesce(NEW.tenant_id, '00000000-0000-0000-0000-000000000000');
  v_head audit_chain_heads;
BEGIN
  INSERT INTO audit_chain_heads (chain_id, last_seq, last_hash) VALUES (v_chain, 0, '') ON CONFLICT DO NOTHING;
  SELECT * INTO v_head FROM audit_chain_heads WHERE chain_id = v_chain FOR UPDATE;
  NEW.chain_seq := v_head.last_seq + 1;
  NEW.hash := app.audit_link_hash(v_head.last_hash, NEW);
  UPDATE audit_chain_heads SET last_seq = NEW.chain_seq, last_hash = NEW.hash WHERE chain_id = v_chain;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION app.chain_audit_row();
--> statement-breakpoint
-- Verifies the caller's tenant chain from position p_after + 1 to p_after + p_limit (the row at p_after seeds
-- the first link): how many rows were checked, the last position checked, and the first row whose hash does
-- not follow from its predecessor or whose position skips one. Runs as the caller: only audit readers see rows.
CREATE FUNCTION app.verify_audit_chain(p_after bigint, p_limit int)
RETURNS TABLE (checked bigint, last_seq bigint, broken_id bigint, broken_seq bigint, reason text)
LANGUAGE sql STABLE AS $$
  WITH links AS (
    SELECT a.id, a.chain_seq, a.hash,
           lag(a.chain_seq) OVER (ORDER BY a.chain_seq) AS previous_seq,
           app.audit_link_hash(coalesce(lag(a.hash) OVER (ORDER BY a.chain_seq), ''), a) AS expected
    FROM audit_log a
    WHERE a.tenant_id = (SELECT app.tenant_id()) AND a.chain_seq BETWEEN p_after AND p_after + p_limit
  ), checked AS (
    SELECT * FROM links WHERE chain_seq > p_after
  ), broken AS (
    SELECT id, chain_seq, CASE WHEN chain_seq <> coalesce(previous_seq, 0) + 1 THEN 'a row is missing before this one'
                               ELSE 'the row or its predecessor was altered' END AS why
    FROM checked WHERE chain_seq <> coalesce(previous_seq, 0) + 1 OR hash IS DISTINCT FROM expected
    ORDER BY chain_seq LIMIT 1
  )
  SELECT (SELECT count(*) FROM checked), (SELECT max(chain_seq) FROM checked), b.id, b.chain_seq, b.why FROM (SELECT 1) one LEFT JOIN broken b ON true
$$;
--> statement-breakpoint
-- ---------------------------------------------------------------------------------------------------------
-- Business failures: SQLSTATE LL001, the API error code in HINT, details (JSON) in DETAIL. The transaction
-- rolls back, so a refused request writes nothing (its idempotency key included).
CREATE FUNCTION app.fail(p_code text, p_message text, p_details jsonb DEFAULT '{}') RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'LL001', MESSAGE = p_message, DETAIL = p_details::text, HINT = p_code;
END
$$;
--> statement-breakpoint
-- What one day of leave costs in a policy's unit.
CREATE FUNCTION app.unit_factor(p_unit policy_unit) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_unit WHEN 'day' THEN 1 WHEN 'half_day' THEN 2 ELSE 8 END::numeric
$$;
--> statement-breakpoint
-- The half days a request books: the employee's working days (work week minus the tenant's holidays) from
-- start to end, less the morning of the first day if it starts in the afternoon and the afternoon of the
-- last if it ends at midday. Mirrors chargedDays() in src/ledger/calendar.ts (tested against each other).
CREATE FUNCTION app.charged_half_days(p_tenant uuid, p_work_week smallint[], p_start date, p_end date, p_start_part leave_start_part, p_end_part leave_end_part)
RETURNS TABLE (day date, half day_half) LANGUAGE sql STABLE AS $$
  SELECT d::date, h.half
  FROM generate_series(p_start, p_end, interval '1 day') d
  CROSS JOIN (VALUES ('morning'::day_half), ('afternoon'::day_half)) h(half)
  WHERE extract(isodow FROM d)::smallint = ANY (p_work_week)
    AND NOT EXISTS (SELECT 1 FROM holidays x WHERE x.tenant_id = p_tenant AND x.day = d::date)
    AND NOT (d::date = p_start AND p_start_part = 'afternoon' AND h.half = 'morning')
    AND NOT (d::date = p_end AND p_end_part = 'midday' AND h.half = 'afternoon')
  ORDER BY 1, 2
$$;
--> statement-breakpoint
-- A balance: `posted` = settled entries (everything but holds), `pending` = holds neither resolved nor expired
-- at p_now. With p_as_of, only entries effective on or before that date; without, all of them (future-dated
-- usage included, which is what a new request is checked against). Newest usable snapshot + entries since:
-- index-bounded, so the cost does not grow with the account's history. The ranges after the snapshot are
-- planned with their actual bounds (EXECUTE … USING): a generic plan cannot tell "entries since" from "all".
CREATE FUNCTION app.balance_of(p_account uuid, p_as_of date, p_now timestamptz) RETURNS TABLE (posted numeric, pending numeric)
LANGUAGE plpgsql STABLE ROWS 1 AS $$
DECLARE
  v_snap record;
  v_through bigint := 0;
  v_since numeric;
  v_backdated numeric := 0;
BEGIN
  SELECT s.as_of, s.through_entry_id, s.settled_to_date + CASE WHEN p_as_of IS NULL THEN s.settled_after ELSE 0 END AS settled INTO v_snap
  FROM balance_snapshots s WHERE s.account_id = p_account AND (p_as_of IS NULL OR s.as_of <= p_as_of)
  ORDER BY s.through_entry_id DESC LIMIT 1;
  IF FOUND THEN
    v_through := v_snap.through_entry_id;
  END IF;
  EXECUTE 'SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = $1 AND e.id > $2
             AND e.kind NOT IN (''hold'', ''hold_release'') AND ($3::date IS NULL OR e.effective_date <= $3)'
    INTO v_since USING p_account, v_through, p_as_of;
  IF p_as_of IS NOT NULL AND v_through > 0 THEN
    -- Entries the snapshot covers (by id) but dated after its as_of, up to p_as_of.
    EXECUTE 'SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = $1 AND e.effective_date > $2
               AND e.effective_date <= $3 AND e.id <= $4 AND e.kind NOT IN (''hold'', ''hold_release'')'
      INTO v_backdated USING p_account, v_snap.as_of, p_as_of, v_through;
  END IF;
  posted := coalesce(v_snap.settled, 0) + v_since + v_backdated;
  SELECT coalesce(-sum(h.amount), 0) INTO pending FROM ledger_entries h
  WHERE h.account_id = p_account AND h.kind = 'hold' AND h.expires_at > p_now AND (p_as_of IS NULL OR h.effective_date <= p_as_of)
    AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.resolves_entry_id = h.id);
  RETURN NEXT;
END
$$;
--> statement-breakpoint
CREATE FUNCTION app.take_snapshot(p_account uuid, p_as_of date, p_now timestamptz) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, public AS $$
  INSERT INTO balance_snapshots (tenant_id, account_id, employee_id, as_of, through_entry_id, settled_to_date, settled_after)
  SELECT a.tenant_id, a.id, a.employee_id, p_as_of, m.through, to_date.posted, everything.posted - to_date.posted
  FROM ledger_accounts a
  CROSS JOIN LATERAL (SELECT max(e.id) AS through FROM ledger_entries e WHERE e.account_id = a.id) m
  CROSS JOIN LATERAL app.balance_of(a.id, p_as_of, p_now) to_date
  CROSS JOIN LATERAL app.balance_of(a.id, NULL, p_now) everything
  WHERE a.id = p_account AND m.through IS NOT NULL
$$;
--> statement-breakpoint
-- A new snapshot of an account once 100 entries have followed the last one. Called under the account's lock.
CREATE FUNCTION app.snapshot_if_due(p_account uuid, p_now timestamptz) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
  v_through bigint;
BEGIN
  SELECT coalesce(max(s.through_entry_id), 0) INTO v_through FROM balance_snapshots s WHERE s.account_id = p_account;
  IF (SELECT count(*) FROM (SELECT 1 FROM ledger_entries e WHERE e.account_id = p_account AND e.id > v_through LIMIT 100) recent) = 100 THEN
    PERFORM app.take_snapshot(p_account, (p_now AT TIME ZONE 'UTC')::date, p_now);
  END IF;
END
$$;
--> statement-breakpoint
-- The account of an employee under a policy, created if missing, and locked.
CREATE FUNCTION app.lock_account(p_tenant uuid, p_employee uuid, p_policy_key text) RETURNS uuid
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE v_id uuid;
BEGIN
  INSERT INTO ledger_accounts (tenant_id, employee_id, policy_key) VALUES (p_tenant, p_employee, p_policy_key) ON CONFLICT DO NOTHING;
  SELECT id INTO v_id FROM ledger_accounts WHERE tenant_id = p_tenant AND employee_id = p_employee AND policy_key = p_policy_key FOR UPDATE;
  RETURN v_id;
END
$$;
--> statement-breakpoint
-- The audit row of a ledger action, as the caller of the claims (user, API key or system caller).
CREATE FUNCTION app.audit_ledger(p_facts jsonb, p_action text, p_target_type text, p_target_id text, p_details jsonb) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, public AS $$
  INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, success, ip, user_agent, request_id, details)
  VALUES (app.tenant_id(),
          CASE WHEN app.claims() ->> 'caller' = 'api_key' THEN 'api_key' WHEN app.claims() ->> 'caller' LIKE 'system:%' THEN 'system' ELSE 'user' END,
          coalesce(app.claims() ->> 'sub', app.claims() ->> 'caller'), p_action, p_target_type, p_target_id, true,
          p_facts ->> 'ip', p_facts ->> 'user_agent', p_facts ->> 'request_id', p_details)
$$;
--> statement-breakpoint
-- Idempotency, in the transaction of the work it guards. `app.replay(p)` claims p's idempotency_key for the
-- caller and answers NULL (do the work), or the answer stored for it; a concurrent holder of the key makes it
-- wait for that commit, and another request_hash is DUPLICATE_REQUEST. `app.answer(p, status, body)` stores the
-- answer and returns it. Calls without a key (the scheduler's, idempotent by their own keys) skip both.
CREATE FUNCTION app.replay(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE v_row idempotency_keys;
BEGIN
  IF NOT p ? 'idempotency_key' THEN RETURN NULL; END IF;
  INSERT INTO idempotency_keys (tenant_id, caller_id, key, request_hash, response_status, response_body, created_at)
  VALUES (app.tenant_id(), app.claims() ->> 'sub', p ->> 'idempotency_key', p ->> 'request_hash', 0, 'null', (p ->> 'now')::timestamptz)
  ON CONFLICT DO NOTHING;
  IF FOUND THEN RETURN NULL; END IF;
  SELECT * INTO v_row FROM idempotency_keys WHERE tenant_id = app.tenant_id() AND caller_id = app.claims() ->> 'sub' AND key = p ->> 'idempotency_key';
  IF v_row.request_hash <> p ->> 'request_hash' THEN
    PERFORM app.fail('DUPLICATE_REQUEST', 'This Idempotency-Key was used with a different request', jsonb_build_object('idempotency_key', p ->> 'idempotency_key'));
  END IF;
  RETURN jsonb_build_object('status', v_row.response_status, 'body', v_row.response_body, 'replayed', true);
END
$$;
--> statement-breakpoint
CREATE FUNCTION app.answer(p jsonb, p_status int, p_body jsonb) RETURNS jsonb
LANGUAGE sql SET search_path = pg_catalog, public AS $$
  UPDATE idempotency_keys SET response_status = p_status, response_body = p_body
  WHERE p ? 'idempotency_key' AND tenant_id = app.tenant_id() AND caller_id = app.claims() ->> 'sub' AND key = p ->> 'idempotency_key';
  SELECT jsonb_build_object('status', p_status, 'body', p_body, 'replayed', false)
$$;
--> statement-breakpoint
-- The API's view of a request (the same for GET, lists, and the answers of writes).
CREATE FUNCTION app.request_json(r leave_requests) RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
  SELECT jsonb_build_object(
    'id', r.id, 'employee_id', r.employee_id, 'policy_key', r.policy_key, 'policy_version_id', r.policy_version_id,
    'start_date', r.start_date, 'end_date', r.end_date, 'start_part', r.start_part, 'end_part', r.end_part,
    'days', r.days, 'amount', r.amount, 'unit', (SELECT p.unit FROM leave_policies p WHERE p.id = r.policy_version_id),
    'reason', r.reason, 'status', r.status, 'approvals_required', r.approvals_required,
    'approvals', coalesce((SELECT jsonb_agg(jsonb_build_object('approver_id', a.approver_id, 'decision', a.decision, 'comment', a.comment,
                                                               'decided_at', a.decided_at) ORDER BY a.decided_at, a.approver_id)
                           FROM approvals a WHERE a.request_id = r.id), '[]'),
    'expires_at', r.expires_at, 'submitted_at', r.submitted_at, 'resolved_at', r.resolved_at)
$$;
--> statement-breakpoint
-- The API's view of a ledger entry.
CREATE FUNCTION app.entry_json(e ledger_entries) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', e.id, 'employee_id', e.employee_id, 'policy_key', e.policy_key, 'policy_version_id', e.policy_version_id,
    'kind', e.kind, 'amount', e.amount, 'effective_date', e.effective_date, 'recorded_at', e.recorded_at, 'reference', e.reference,
    'request_id', e.request_id, 'run_id', e.run_id, 'resolves_entry_id', e.resolves_entry_id, 'expires_at', e.expires_at, 'note', e.note)
$$;
--> statement-breakpoint
-- Resolves a pending request's hold exactly once (the unique resolves_entry_id refuses a second release):
-- approved (then usage per day is posted), rejected, cancelled or expired (then its days are freed).
CREATE FUNCTION app.resolve_hold(p_request uuid, p_status leave_request_status, p_now timestamptz, p_actor uuid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
  r leave_requests;
  v_hold ledger_entries;
  v_factor numeric;
BEGIN
  SELECT * INTO r FROM leave_requests WHERE id = p_request;
  SELECT * INTO v_hold FROM ledger_entries WHERE request_id = r.id AND kind = 'hold';
  INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                              reference, request_id, resolves_entry_id, actor_id, note)
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
--> statement-breakpoint
-- Expires pending requests whose TTL has passed (their holds already stopped counting at that instant; this
-- frees their days and writes the release). Rows another transaction holds are left for a later sweep.
CREATE FUNCTION app.expire_overdue(p_tenant uuid, p_employee uuid, p_now timestamptz, p_limit int) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
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
--> statement-breakpoint
-- Submit: claim the key, check eligibility, lock the balance, check it (pending holds included), book the
-- half days (the primary key refuses a day already taken), place the hold, audit, answer. One transaction.
CREATE FUNCTION app.submit_leave_request(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_user uuid := app.user_id();
  v_employee uuid := app.employee_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_start date := (p ->> 'start_date')::date;
  v_end date := (p ->> 'end_date')::date;
  v_start_part leave_start_part := coalesce(p ->> 'start_part', 'morning')::leave_start_part;
  v_end_part leave_end_part := coalesce(p ->> 'end_part', 'evening')::leave_end_part;
  v_key text := p ->> 'policy_key';
  v_replay jsonb;
  e employees;
  pol leave_policies;
  v_account uuid;
  v_days date[];
  v_parts day_half[];
  v_halves int;
  v_amount numeric;
  v_balance record;
  v_available numeric;
  v_request leave_requests;
BEGIN
  IF v_tenant IS NULL OR v_employee IS NULL OR NOT app.has_any_role(ARRAY['employee', 'manager', 'hr_admin', 'system_admin']) THEN
    PERFORM app.fail('FORBIDDEN', 'Only employees may request leave');
  END IF;
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;

  SELECT * INTO e FROM employees WHERE id = v_employee AND tenant_id = v_tenant;
  SELECT * INTO pol FROM leave_policies WHERE tenant_id = v_tenant AND key = v_key AND effective_from <= v_start ORDER BY version DESC LIMIT 1;
  IF pol.id IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such policy in force on the start date', jsonb_build_object('policy_key', v_key));
  END IF;
  IF NOT EXISTS (SELECT 1 FROM policy_assignments a WHERE a.tenant_id = v_tenant AND a.employee_id = v_employee AND a.policy_key = v_key
                 AND a.starts_on <= v_start AND (a.ends_on IS NULL OR a.ends_on >= v_end)) THEN
    PERFORM app.fail('NOT_ELIGIBLE', 'You are not assigned to this policy for these dates', jsonb_build_object('policy_key', v_key));
  END IF;
  IF v_start < e.hire_date + pol.waiting_period_days THEN
    PERFORM app.fail('NOT_ELIGIBLE', 'The policy''s waiting period has not ended by the start date',
                     jsonb_build_object('policy_key', v_key, 'eligible_from', e.hire_date + pol.waiting_period_days));
  END IF;

  SELECT coalesce(array_agg(c.day ORDER BY c.day, c.half), '{}'), coalesce(array_agg(c.half ORDER BY c.day, c.half), '{}') INTO v_days, v_parts
  FROM app.charged_half_days(v_tenant, e.work_week, v_start, v_end, v_start_part, v_end_part) c;
  v_halves := cardinality(v_days);
  IF v_halves = 0 THEN
    PERFORM app.fail('VALIDATION_FAILED', 'The request covers no working day',
                     jsonb_build_object('issues', jsonb_build_array(jsonb_build_object('path', 'end_date', 'message', 'no working day between start and end', 'code', 'custom'))));
  END IF;
  v_amount := v_halves * 0.5 * app.unit_factor(pol.unit);

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
    IF v_amount > v_available THEN
      PERFORM app.fail('INSUFFICIENT_BALANCE', 'The balance available does not cover the request',
                       jsonb_build_object('requested', v_amount, 'available', v_available, 'policy_id', v_key));
    END IF;
  END LOOP;

  INSERT INTO leave_requests (tenant_id, employee_id, account_id, policy_key, policy_version_id, start_date, end_date, start_part, end_part,
                              days, amount, reason, approvals_required, expires_at, submitted_by, submitted_at)
  VALUES (v_tenant, v_employee, v_account, v_key, pol.id, v_start, v_end, v_start_part, v_end_part, v_halves * 0.5, v_amount,
          p ->> 'reason', pol.approvals_required, v_now + make_interval(hours => pol.approval_ttl_hours), v_user, v_now)
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
                           jsonb_build_object('policy_key', v_key, 'amount', v_amount, 'start_date', v_start, 'end_date', v_end));
  PERFORM app.snapshot_if_due(v_account, v_now);
  RETURN app.answer(p, 201, app.request_json(v_request));
END
$$;
--> statement-breakpoint
-- Approve or reject. A manager decides for direct reports only, HR Admin and System Admin for anyone, nobody
-- for themselves; one decision per person (a second approval by the same person is refused, not counted).
-- Approval posts usage once the policy's number of distinct approvers is reached; rejection voids the hold.
CREATE FUNCTION app.decide_leave_request(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
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
BEGIN
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;

  SELECT * INTO r FROM leave_requests WHERE id = (p ->> 'request_id')::uuid AND tenant_id = v_tenant;
  SELECT manager_id INTO v_manager FROM employees WHERE id = r.employee_id;
  IF r.id IS NULL OR NOT coalesce(r.employee_id = v_employee OR v_manager = v_employee OR app.has_any_role(ARRAY['hr_admin', 'system_admin', 'auditor']), false) THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such request', jsonb_build_object('request_id', p ->> 'request_id'));
  END IF;
  IF r.employee_id = v_employee THEN
    PERFORM app.fail('FORBIDDEN', 'Nobody decides their own request');
  END IF;
  IF NOT coalesce(app.has_any_role(ARRAY['hr_admin', 'system_admin']) OR (app.has_any_role(ARRAY['manager']) AND v_manager = v_employee), false) THEN
    PERFORM app.fail('FORBIDDEN', 'Only the employee''s manager, HR Admins and System Admins decide requests');
  END IF;

  PERFORM app.lock_account(v_tenant, r.employee_id, r.policy_key);
  SELECT * INTO r FROM leave_requests WHERE id = r.id FOR UPDATE;
  IF r.status = 'pending' AND r.expires_at <= v_now THEN
    PERFORM app.fail('CONFLICT', 'The request expired before it was decided', jsonb_build_object('status', 'expired', 'expired_at', r.expires_at));
  END IF;
  IF r.status <> 'pending' THEN
    PERFORM app.fail('CONFLICT', 'The request is no longer pending', jsonb_build_object('status', r.status));
  END IF;
  BEGIN
    INSERT INTO approvals (tenant_id, request_id, employee_id, approver_id, decision, comment, decided_at)
    VALUES (v_tenant, r.id, r.employee_id, v_user, v_decision, p ->> 'comment', v_now);
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
  PERFORM app.audit_ledger(p -> 'facts', 'request.' || v_decision, 'leave_request', r.id::text, jsonb_build_object('comment', p ->> 'comment'));
  PERFORM app.snapshot_if_due(r.account_id, v_now);
  SELECT * INTO r FROM leave_requests WHERE id = r.id;
  RETURN app.answer(p, 200, app.request_json(r));
END
$$;
--> statement-breakpoint
-- Cancel one's own request: a pending one voids its hold; an approved one not yet started (in the
-- employee's calendar) is reversed entry by entry. Reversals are never blocked by balance limits.
CREATE FUNCTION app.cancel_leave_request(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
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
    SELECT (v_now AT TIME ZONE time_zone)::date INTO v_today FROM employees WHERE id = r.employee_id;
    IF r.start_date <= v_today THEN
      PERFORM app.fail('CONFLICT', 'The leave has started; ask HR for an adjustment', jsonb_build_object('status', r.status, 'start_date', r.start_date));
    END IF;
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                                reference, request_id, resolves_entry_id, actor_id, note)
    SELECT u.tenant_id, u.account_id, u.employee_id, u.policy_key, u.policy_version_id, 'reversal', -u.amount, u.effective_date, v_now,
           'request:' || r.id || ':reversal:' || u.effective_date, r.id, u.id, v_user::text, 'cancelled'
    FROM ledger_entries u WHERE u.request_id = r.id AND u.kind = 'usage' ORDER BY u.id;
    DELETE FROM booked_days WHERE request_id = r.id;
    UPDATE leave_requests SET status = 'cancelled', resolved_at = v_now, resolved_by = v_user WHERE id = r.id;
  ELSE
    PERFORM app.fail('CONFLICT', 'The request is no longer open', jsonb_build_object('status', CASE WHEN r.status = 'pending' THEN 'expired' ELSE r.status::text END));
  END IF;
  PERFORM app.audit_ledger(p -> 'facts', 'request.cancel', 'leave_request', r.id::text, jsonb_build_object('was', r.status));
  PERFORM app.snapshot_if_due(r.account_id, v_now);
  SELECT * INTO r FROM leave_requests WHERE id = r.id;
  RETURN app.answer(p, 200, app.request_json(r));
END
$$;
--> statement-breakpoint
-- A grant or adjustment by HR Admin or System Admin (never blocked by limits: it corrects the ledger).
CREATE FUNCTION app.post_adjustment(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_user uuid := app.user_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_employee uuid := (p ->> 'employee_id')::uuid;
  v_key text := p ->> 'policy_key';
  v_replay jsonb;
  v_policy uuid;
  v_account uuid;
  v_entry ledger_entries;
BEGIN
  IF NOT app.has_any_role(ARRAY['hr_admin', 'system_admin']) THEN
    PERFORM app.fail('FORBIDDEN', 'Only HR Admins and System Admins post adjustments');
  END IF;
  IF p ->> 'kind' IS DISTINCT FROM 'grant' AND p ->> 'kind' IS DISTINCT FROM 'adjustment' THEN
    -- Every other kind is posted only by the rules that own it (requests, accruals, rollover).
    PERFORM app.fail('VALIDATION_FAILED', 'Only grants and adjustments are posted by hand',
                     jsonb_build_object('issues', jsonb_build_array(jsonb_build_object('path', 'kind', 'message', 'grant or adjustment', 'code', 'custom'))));
  END IF;
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;
  IF NOT EXISTS (SELECT 1 FROM employees WHERE id = v_employee AND tenant_id = v_tenant) THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such employee', jsonb_build_object('employee_id', v_employee));
  END IF;
  SELECT id INTO v_policy FROM leave_policies WHERE tenant_id = v_tenant AND key = v_key ORDER BY version DESC LIMIT 1;
  IF v_policy IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such policy', jsonb_build_object('policy_key', v_key));
  END IF;
  v_account := app.lock_account(v_tenant, v_employee, v_key);
  INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at,
                              reference, actor_id, note)
  VALUES (v_tenant, v_account, v_employee, v_key, v_policy, (p ->> 'kind')::ledger_entry_kind, (p ->> 'amount')::numeric, (p ->> 'effective_date')::date,
          v_now, 'manual:' || v_user || ':' || (p ->> 'idempotency_key'), v_user::text, p ->> 'note')
  RETURNING * INTO v_entry;
  PERFORM app.audit_ledger(p -> 'facts', 'ledger.' || v_entry.kind, 'employee', v_employee::text,
                           jsonb_build_object('policy_key', v_key, 'amount', v_entry.amount, 'effective_date', v_entry.effective_date, 'entry_id', v_entry.id));
  PERFORM app.snapshot_if_due(v_account, v_now);
  RETURN app.answer(p, 201, app.entry_json(v_entry));
END
$$;
--> statement-breakpoint
-- Accounts for newly assigned employees (called with the assignment, by HR Admins and System Admins).
CREATE FUNCTION app.open_accounts(p_policy_key text, p_employees uuid[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  INSERT INTO ledger_accounts (tenant_id, employee_id, policy_key)
  SELECT e.tenant_id, e.id, p_policy_key FROM employees e
  WHERE e.id = ANY (p_employees) AND e.tenant_id = app.tenant_id() AND app.has_any_role(ARRAY['hr_admin', 'system_admin'])
    AND EXISTS (SELECT 1 FROM leave_policies p WHERE p.tenant_id = e.tenant_id AND p.key = p_policy_key)
  ON CONFLICT DO NOTHING
$$;
--> statement-breakpoint
GRANT CREATE ON SCHEMA app TO leave_ledger_definer;
--> statement-breakpoint
DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['app.chain_audit_row()', 'app.submit_leave_request(jsonb)', 'app.decide_leave_request(jsonb)',
                           'app.cancel_leave_request(jsonb)', 'app.post_adjustment(jsonb)', 'app.open_accounts(text, uuid[])'] LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO leave_ledger_definer', f);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END
$$;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION app.refuse_change(), app.audit_row_text(audit_log), app.audit_link_hash(text, audit_log), app.verify_audit_chain(bigint, int), app.fail(text, text, jsonb),
  app.unit_factor(policy_unit), app.charged_half_days(uuid, smallint[], date, date, leave_start_part, leave_end_part), app.balance_of(uuid, date, timestamptz),
  app.snapshot_if_due(uuid, timestamptz), app.take_snapshot(uuid, date, timestamptz), app.lock_account(uuid, uuid, text),
  app.audit_ledger(jsonb, text, text, text, jsonb), app.replay(jsonb), app.answer(jsonb, int, jsonb),
  app.request_json(leave_requests), app.entry_json(ledger_entries), app.resolve_hold(uuid, leave_request_status, timestamptz, uuid),
  app.expire_overdue(uuid, uuid, timestamptz, int) FROM PUBLIC;
--> statement-breakpoint
-- Helpers the definer's functions call.
GRANT EXECUTE ON FUNCTION app.fail(text, text, jsonb), app.unit_factor(policy_unit), app.charged_half_days(uuid, smallint[], date, date, leave_start_part, leave_end_part),
  app.balance_of(uuid, date, timestamptz), app.snapshot_if_due(uuid, timestamptz), app.take_snapshot(uuid, date, timestamptz), app.lock_account(uuid, uuid, text),
  app.audit_ledger(jsonb, text, text, text, jsonb), app.replay(jsonb), app.answer(jsonb, int, jsonb),
  app.request_json(leave_requests), app.entry_json(ledger_entries), app.resolve_hold(uuid, leave_request_status, timestamptz, uuid),
  app.expire_overdue(uuid, uuid, timestamptz, int), app.audit_row_text(audit_log), app.audit_link_hash(text, audit_log) TO leave_ledger_definer;
--> statement-breakpoint
-- The app role's entry points: reads under its own rights, writes through the definer's functions.
GRANT EXECUTE ON FUNCTION app.balance_of(uuid, date, timestamptz), app.request_json(leave_requests), app.entry_json(ledger_entries), app.unit_factor(policy_unit),
  app.charged_half_days(uuid, smallint[], date, date, leave_start_part, leave_end_part), app.verify_audit_chain(bigint, int),
  app.audit_row_text(audit_log), app.audit_link_hash(text, audit_log),
  app.submit_leave_request(jsonb), app.decide_leave_request(jsonb), app.cancel_leave_request(jsonb), app.post_adjustment(jsonb), app.open_accounts(text, uuid[])
  TO leave_ledger_app;
