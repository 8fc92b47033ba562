-- Each tenant's retention, applied by the daily job (src/scheduler/daily.ts); the settings are the tenant's
-- (tenants.audit_retention_years, confidential_retention_years; docs/data-protection.md).
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- One chunk of the caller tenant's retention: audit rows older than its audit retention purged behind signed
-- checkpoints (app.purge_audit, at most p.audit_rows), and the data keys of years that ended more than its
-- confidential retention ago destroyed (at most p.keys; every reason, comment and note sealed with them is then
-- gone for good), audited as `retention.shred`, and domain events older than p.outbox_days forgotten (at most
-- p.outbox_rows) with their finished webhook deliveries and delivery logs; an event a delivery still waits on
-- (pending or dead) stays, and so does each subject's newest event, which numbers the next.
-- Scheduler only. Answers {purged_audit_rows, shredded_keys, purged_events}.
CREATE OR REPLACE FUNCTION app.apply_retention(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_audit_years int;
  v_confidential_years int;
  v_purged bigint;
  v_shredded bigint := 0;
  v_events bigint;
  v_through int;
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:scheduler' OR v_tenant IS NULL THEN
    RAISE EXCEPTION 'only the scheduler applies retention, one tenant at a time' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT audit_retention_years, confidential_retention_years INTO v_audit_years, v_confidential_years FROM tenants WHERE id = v_tenant;
  v_purged := app.purge_audit(v_tenant, v_now - make_interval(years => v_audit_years), (p ->> 'audit_rows')::int, p -> 'facts');
  IF v_confidential_years IS NOT NULL THEN
    v_through := extract(year FROM v_now AT TIME ZONE 'UTC')::int - 1 - v_confidential_years;
    UPDATE data_keys SET wrapped = NULL, kek_id = NULL, destroyed_at = v_now
    WHERE id IN (SELECT id FROM data_keys WHERE tenant_id = v_tenant AND year <= v_through AND destroyed_at IS NULL
                 ORDER BY year, id LIMIT (p ->> 'keys')::int);
    GET DIAGNOSTICS v_shredded = ROW_COUNT;
    IF v_shredded > 0 THEN
      PERFORM app.audit_ledger(p -> 'facts', 'retention.shred', 'tenant', v_tenant::text,
                               jsonb_build_object('data_keys_destroyed', v_shredded, 'through_year', v_through));
    END IF;
  END IF;
  DELETE FROM outbox_events WHERE id IN (
    SELECT e.id FROM outbox_events e
    WHERE e.tenant_id = v_tenant AND e.occurred_at < v_now - make_interval(days => (p ->> 'outbox_days')::int)
      AND EXISTS (SELECT 1 FROM outbox_events n WHERE n.tenant_id = e.tenant_id AND n.subject = e.subject AND n.sequence > e.sequence)
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'dead'))
    ORDER BY e.occurred_at LIMIT (p ->> 'outbox_rows')::int);
  GET DIAGNOSTICS v_events = ROW_COUNT;
  RETURN jsonb_build_object('purged_audit_rows', v_purged, 'shredded_keys', v_shredded, 'purged_events', v_events);
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.apply_retention(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.apply_retention(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.apply_retention(jsonb) TO leave_ledger_system;
