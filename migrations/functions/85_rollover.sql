-- Year-end rollover: carry-over within caps, its expiry, and its reversal.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Whether a tenant's rollover of a year is in effect: run, and not (completely) reversed.
CREATE OR REPLACE FUNCTION app.rollover_in_effect(p_tenant uuid, p_year int) RETURNS uuid LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT r.id FROM ledger_runs r
  WHERE r.tenant_id = p_tenant AND r.kind = 'rollover' AND r.period = p_year::text
    AND (NOT EXISTS (SELECT 1 FROM ledger_runs x WHERE x.reverses_run_id = r.id)
         OR EXISTS (SELECT 1 FROM ledger_entries e WHERE e.run_id = r.id AND NOT EXISTS (SELECT 1 FROM ledger_entries v WHERE v.resolves_entry_id = e.id)))
  ORDER BY r.started_at DESC LIMIT 1
$$;

-- Year-end rollover, one chunk of accounts (System Admin). Each account's balance as of 31 December (settled
-- entries effective that year or before) carries over up to the policy's carry-over cap (no cap: all of it);
-- the rest expires. Posted as expiry and carry-over out on 31 December, carry-over in on 1 January.
-- A dry run reports the same plan and writes nothing. The first real chunk opens the run; later chunks name it.
CREATE OR REPLACE FUNCTION app.year_end_rollover(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_replay jsonb;
  v_tenant uuid := app.tenant_id();
  v_actor text := app.claims() ->> 'sub';
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_year int := (p ->> 'year')::int;
  v_year_end date := make_date(v_year, 12, 31);
  v_dry boolean := coalesce((p ->> 'dry_run')::boolean, true);
  v_limit int := app.chunk_size('rollover', (p ->> 'limit')::int);
  v_run uuid := (p ->> 'run_id')::uuid;
  v_in_effect uuid;
  v_ids uuid[];
  v_plan jsonb;
BEGIN
  IF v_tenant IS NULL OR NOT app.can('rollover:run') THEN
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
    CROSS JOIN LATERAL app.policy_in_force(v_tenant, a.policy_key, v_year_end) pol
    CROSS JOIN LATERAL app.balance_of(a.id, v_year_end, v_now) b
    WHERE a.id = ANY (v_ids) AND (v_run IS NULL OR NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.account_id = a.id AND x.run_id = v_run))
  ), lines AS (
    SELECT plan.*, greatest(plan.balance - plan.carry, 0) AS expire FROM plan
  ), posted AS (
    INSERT INTO ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, recorded_at, reference, run_id, actor_id, system_note)
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
  -- The last chunk completes the run: announced once (under the year's lock), however often it is asked again.
  IF NOT v_dry AND cardinality(v_ids) < v_limit
     AND NOT EXISTS (SELECT 1 FROM outbox_events o WHERE o.tenant_id = v_tenant AND o.subject = 'ledger_run:' || v_run AND o.type = 'rollover.completed') THEN
    PERFORM app.emit(v_tenant, 'rollover.completed', 'ledger_run:' || v_run, v_now, jsonb_build_object('run_id', v_run, 'year', v_year));
  END IF;
  RETURN app.answer(p, 200, v_plan || jsonb_build_object('year', v_year, 'dry_run', v_dry, 'run_id', v_run,
                                                         'next_after', CASE WHEN cardinality(v_ids) = v_limit THEN v_ids[v_limit] END));
END
$$;

-- Reverses a rollover run, `limit` entries per call: each of its entries gets a reversal entry resolving it
-- (never twice). The reversal is a run of its own; once complete, the year may be rolled over again.
CREATE OR REPLACE FUNCTION app.reverse_rollover(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_replay jsonb;
  v_tenant uuid := app.tenant_id();
  v_actor text := app.claims() ->> 'sub';
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_limit int := app.chunk_size('reversal', (p ->> 'limit')::int);
  v_run ledger_runs;
  v_reversal uuid;
  v_count int;
BEGIN
  IF v_tenant IS NULL OR NOT app.can('rollover:run') THEN
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
                                resolves_entry_id, actor_id, system_note)
    SELECT e.tenant_id, e.account_id, e.employee_id, e.policy_key, e.policy_version_id, 'reversal', -e.amount, e.effective_date, v_now,
           'reversal:' || e.id, v_reversal, e.id, v_actor, 'rollover ' || v_run.period || ' reversed'
    FROM ledger_entries e WHERE e.run_id = v_run.id AND NOT EXISTS (SELECT 1 FROM ledger_entries v WHERE v.resolves_entry_id = e.id)
    ORDER BY e.id LIMIT v_limit
    RETURNING 1
  )
  SELECT count(*) INTO v_count FROM reversed;
  PERFORM app.audit_ledger(p -> 'facts', 'rollover.reverse', 'ledger_run', v_run.id::text, jsonb_build_object('reversal_run_id', v_reversal, 'entries', v_count));
  -- The last chunk undoes the run: announced once, after its rollover.completed (same subject, the year's lock).
  IF v_count < v_limit
     AND NOT EXISTS (SELECT 1 FROM outbox_events o WHERE o.tenant_id = v_tenant AND o.subject = 'ledger_run:' || v_run.id AND o.type = 'rollover.reversed') THEN
    PERFORM app.emit(v_tenant, 'rollover.reversed', 'ledger_run:' || v_run.id, v_now,
                     jsonb_build_object('run_id', v_run.id, 'reversal_run_id', v_reversal, 'year', v_run.period::int));
  END IF;
  RETURN app.answer(p, 200, jsonb_build_object('run_id', v_run.id, 'reversal_run_id', v_reversal, 'reversed_entries', v_count, 'done', v_count < v_limit));
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.year_end_rollover(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.reverse_rollover(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.rollover_in_effect(uuid,integer) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.rollover_in_effect(uuid,integer) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.year_end_rollover(jsonb), app.reverse_rollover(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.year_end_rollover(jsonb), app.reverse_rollover(jsonb) TO leave_ledger_app;
