-- The daily sweep: expire overdue holds, forget old idempotency keys and expired refresh tokens.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Housekeeping for the scheduler: pending requests past their TTL are expired (their holds stopped counting
-- already), idempotency keys older than the retention are forgotten, refresh tokens past their expiry are
-- deleted (at most 10 000 of each per run: the next run goes on), and the run is audited with what it did.
CREATE OR REPLACE FUNCTION app.sweep(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_expired int;
  v_forgotten int;
  v_deleted int;
  v_done jsonb;
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
  WITH expired AS (
    SELECT id FROM refresh_tokens WHERE tenant_id = v_tenant AND expires_at < v_now LIMIT 10000
  ), gone AS (
    DELETE FROM refresh_tokens t USING expired WHERE t.id = expired.id RETURNING 1
  )
  SELECT count(*) INTO v_deleted FROM gone;
  v_done := jsonb_build_object('expired_requests', v_expired, 'forgotten_idempotency_keys', v_forgotten, 'deleted_refresh_tokens', v_deleted);
  PERFORM app.audit_ledger(p -> 'facts', 'retention.sweep', 'tenant', v_tenant::text, v_done);
  RETURN v_done;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.sweep(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.sweep(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.sweep(jsonb) TO leave_ledger_system;
