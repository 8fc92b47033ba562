-- Balance maths: unit factors, balances as of a date (snapshot + entries since), snapshots, the balance lock, accounts.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- What one day of leave costs in a policy's unit.
CREATE OR REPLACE FUNCTION app.unit_factor(p_unit policy_unit) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_unit WHEN 'day' THEN 1 WHEN 'half_day' THEN 2 ELSE 8 END::numeric
$$;

-- A balance: `posted` = settled entries (everything but holds), `pending` = holds neither resolved nor expired
-- at p_now. With p_as_of, only entries effective on or before that date; without, all of them (future-dated
-- usage included, which is what a new request is checked against). Newest usable snapshot + entries since:
-- index-bounded, so the cost does not grow with the account's history. The ranges after the snapshot are
-- planned with their actual bounds (EXECUTE … USING): a generic plan cannot tell "entries since" from "all".
CREATE OR REPLACE FUNCTION app.balance_of(p_account uuid, p_as_of date, p_now timestamptz) RETURNS TABLE (posted numeric, pending numeric)
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

-- A balance as the ledger said it at p_known_at (bitemporal: effective dates up to p_as_of, recorded times up to
-- p_known_at): entries recorded by then, and holds recorded by then that had neither expired nor been resolved by
-- an entry recorded by then. Snapshots are not used (they know nothing of when their entries were recorded), so
-- the cost grows with the account's history: for audits and disputes, not for the hot path.
CREATE OR REPLACE FUNCTION app.balance_known_at(p_account uuid, p_as_of date, p_known_at timestamptz) RETURNS TABLE (posted numeric, pending numeric)
LANGUAGE sql STABLE ROWS 1 AS $$
  SELECT coalesce(sum(CASE WHEN e.kind NOT IN ('hold', 'hold_release') THEN e.amount END), 0),
         coalesce(sum(CASE WHEN e.kind = 'hold' AND e.expires_at > p_known_at
                            AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.resolves_entry_id = e.id AND r.recorded_at <= p_known_at)
                           THEN -e.amount END), 0)
  FROM ledger_entries e
  WHERE e.account_id = p_account AND e.recorded_at <= p_known_at AND (p_as_of IS NULL OR e.effective_date <= p_as_of)
$$;

CREATE OR REPLACE FUNCTION app.take_snapshot(p_account uuid, p_as_of date, p_now timestamptz) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, public, pg_temp AS $$
  INSERT INTO balance_snapshots (tenant_id, account_id, employee_id, as_of, through_entry_id, settled_to_date, settled_after)
  SELECT a.tenant_id, a.id, a.employee_id, p_as_of, m.through, to_date.posted, everything.posted - to_date.posted
  FROM ledger_accounts a
  CROSS JOIN LATERAL (SELECT max(e.id) AS through FROM ledger_entries e WHERE e.account_id = a.id) m
  CROSS JOIN LATERAL app.balance_of(a.id, p_as_of, p_now) to_date
  CROSS JOIN LATERAL app.balance_of(a.id, NULL, p_now) everything
  WHERE a.id = p_account AND m.through IS NOT NULL
$$;

-- A new snapshot of an account once 100 entries have followed the last one. Called under the account's lock.
CREATE OR REPLACE FUNCTION app.snapshot_if_due(p_account uuid, p_now timestamptz) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_through bigint;
BEGIN
  SELECT coalesce(max(s.through_entry_id), 0) INTO v_through FROM balance_snapshots s WHERE s.account_id = p_account;
  IF (SELECT count(*) FROM (SELECT 1 FROM ledger_entries e WHERE e.account_id = p_account AND e.id > v_through LIMIT 100) recent) = 100 THEN
    PERFORM app.take_snapshot(p_account, (p_now AT TIME ZONE 'UTC')::date, p_now);
  END IF;
END
$$;

-- The account of an employee under a policy, created if missing, and locked.
CREATE OR REPLACE FUNCTION app.lock_account(p_tenant uuid, p_employee uuid, p_policy_key text) RETURNS uuid
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE v_id uuid;
BEGIN
  INSERT INTO ledger_accounts (tenant_id, employee_id, policy_key) VALUES (p_tenant, p_employee, p_policy_key) ON CONFLICT DO NOTHING;
  SELECT id INTO v_id FROM ledger_accounts WHERE tenant_id = p_tenant AND employee_id = p_employee AND policy_key = p_policy_key FOR UPDATE;
  RETURN v_id;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.unit_factor(policy_unit), app.balance_of(uuid,date,timestamp with time zone), app.balance_known_at(uuid,date,timestamp with time zone)
  FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.unit_factor(policy_unit), app.balance_of(uuid,date,timestamp with time zone), app.balance_known_at(uuid,date,timestamp with time zone)
  TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.take_snapshot(uuid,date,timestamp with time zone), app.snapshot_if_due(uuid,timestamp with time zone), app.lock_account(uuid,uuid,text) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.take_snapshot(uuid,date,timestamp with time zone), app.snapshot_if_due(uuid,timestamp with time zone), app.lock_account(uuid,uuid,text) TO leave_ledger_definer;
