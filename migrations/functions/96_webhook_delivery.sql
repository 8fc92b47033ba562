-- Webhook delivery: the Worker's queue consumer claims a delivery, sends it, and records the attempt; the sweep and
-- each write hand due deliveries to the queue; System Admins redeliver or skip a dead one; the daily job moves
-- secrets sealed under a previous KEK to the current one. Deliveries are created
-- with their event (app.emit, 95_outbox.sql). Only the head of a (subscription, subject) chain is ever sent: the
-- subscription's earlier deliveries of that subject are all delivered or skipped (event n+1 waits for n).
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

DROP FUNCTION IF EXISTS app.dead_letter_webhook(jsonb);
DROP FUNCTION IF EXISTS app.webhook_delivery_waits(webhook_deliveries);

-- True when an earlier delivery of the same subject to the same subscription is still pending or dead, or still
-- has an attempt in flight at `p_now` (leased).
CREATE OR REPLACE FUNCTION app.webhook_delivery_waits(d webhook_deliveries, p_now timestamptz) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.subscription_id = d.subscription_id AND e.subject = d.subject
                 AND e.sequence < d.sequence AND (e.status IN ('pending', 'dead') OR e.leased_until > p_now))
$$;

-- Refuses every caller but the webhook sender (for one tenant unless `p_any_tenant`).
CREATE OR REPLACE FUNCTION app.require_webhook_sender(p_any_tenant boolean) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:webhooks' OR (app.tenant_id() IS NULL AND NOT p_any_tenant) THEN
    PERFORM app.fail('FORBIDDEN', 'Only the webhook sender sends webhooks');
  END IF;
END
$$;

-- The deliveries due now (of the caller's tenant, or of every tenant for the minutely sweep) whose turn it is, at
-- most `limit`, handed out once: each becomes due again only `redispatch_seconds` later (its message was lost if
-- nobody has claimed it by then). Answers them as queue messages, and whether the tenant has an enabled subscription.
CREATE OR REPLACE FUNCTION app.dispatch_webhooks(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_messages jsonb;
BEGIN
  PERFORM app.require_webhook_sender(true);
  WITH due AS (
    SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.enabled
    WHERE d.status = 'pending' AND d.due_at <= v_now AND (v_tenant IS NULL OR d.tenant_id = v_tenant) AND NOT app.webhook_delivery_waits(d, v_now)
    ORDER BY d.due_at LIMIT (p ->> 'limit')::int
    FOR UPDATE OF d SKIP LOCKED
  ), handed AS (
    UPDATE webhook_deliveries d SET due_at = v_now + make_interval(secs => (p ->> 'redispatch_seconds')::int)
    FROM due WHERE d.id = due.id RETURNING d.id, d.tenant_id
  )
  SELECT coalesce(jsonb_agg(jsonb_build_object('tenant_id', tenant_id, 'delivery_id', id)), '[]') INTO v_messages FROM handed;
  RETURN jsonb_build_object('messages', v_messages,
                            'subscribed', EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.tenant_id = v_tenant AND s.enabled));
END
$$;

-- Takes a delivery for one attempt: `deliver` with the event and the subscription's URL and sealed secrets, leased
-- for `lease_seconds`, or why not: `done` (delivered, dead or skipped meanwhile), `busy` (leased to another
-- attempt), `early` (a failure's backoff has not passed: this message is a repeat), `waiting` (an earlier event of
-- its subject goes first), `disabled` or `gone` (its subscription was deleted). Only `deliver` changes anything.
CREATE OR REPLACE FUNCTION app.claim_webhook_delivery(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_now timestamptz := (p ->> 'now')::timestamptz;
  d webhook_deliveries;
  s webhook_subscriptions;
  e outbox_events;
BEGIN
  PERFORM app.require_webhook_sender(false);
  SELECT * INTO d FROM webhook_deliveries WHERE id = (p ->> 'delivery_id')::uuid AND tenant_id = app.tenant_id() FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('state', 'gone');
  ELSIF d.status <> 'pending' THEN
    RETURN jsonb_build_object('state', 'done');
  ELSIF d.leased_until > v_now THEN
    RETURN jsonb_build_object('state', 'busy');
  ELSIF d.not_before > v_now + interval '5 seconds' THEN -- a little early: the queue's delay and our clocks
    RETURN jsonb_build_object('state', 'early');
  END IF;
  SELECT * INTO s FROM webhook_subscriptions WHERE id = d.subscription_id;
  IF NOT s.enabled THEN
    RETURN jsonb_build_object('state', 'disabled');
  ELSIF app.webhook_delivery_waits(d, v_now) THEN
    RETURN jsonb_build_object('state', 'waiting');
  END IF;
  UPDATE webhook_deliveries SET attempts = attempts + 1, leased_until = v_now + make_interval(secs => (p ->> 'lease_seconds')::int),
    last_attempt_at = v_now WHERE id = d.id;
  SELECT * INTO e FROM outbox_events WHERE id = d.event_id;
  RETURN jsonb_build_object(
    'state', 'deliver', 'attempt', d.attempts + 1, 'failures', d.failures,
    'event', jsonb_build_object('id', e.id, 'type', e.type, 'subject', e.subject, 'sequence', e.sequence, 'occurred_at', e.occurred_at, 'data', e.data),
    'subscription', jsonb_build_object('id', s.id, 'url', s.url, 'secret', s.secret, 'secret_kek_id', s.secret_kek_id,
      'previous_secret', CASE WHEN s.previous_secret_expires_at > v_now THEN s.previous_secret END,
      'previous_secret_kek_id', CASE WHEN s.previous_secret_expires_at > v_now THEN s.previous_secret_kek_id END));
END
$$;

-- Logs an attempt and moves its delivery on: `delivered` (answering the next delivery of its subject for this
-- subscription, now due, so the Worker sends it at once), `retry` (not before `retry_at`), or `dead` after
-- `max_failures` failures in a row (its subject waits for a System Admin). An attempt that is no longer the
-- delivery's latest (its lease ran out and another took over) is logged, and only a success of it counts; the
-- newer attempt keeps its lease, so the subject's next event waits until that one is over too.
CREATE OR REPLACE FUNCTION app.record_webhook_attempt(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_attempt int := (p ->> 'attempt')::int;
  v_outcome text := p ->> 'outcome';
  d webhook_deliveries;
  v_next jsonb;
BEGIN
  PERFORM app.require_webhook_sender(false);
  SELECT * INTO d FROM webhook_deliveries WHERE id = (p ->> 'delivery_id')::uuid AND tenant_id = app.tenant_id() FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('state', 'gone');
  END IF;
  INSERT INTO webhook_attempts (tenant_id, delivery_id, attempt, started_at, duration_ms, status_code, outcome, error)
  VALUES (d.tenant_id, d.id, v_attempt, (p ->> 'started_at')::timestamptz, (p ->> 'duration_ms')::int, (p ->> 'status_code')::int, v_outcome,
          left(p ->> 'error', 200))
  ON CONFLICT (delivery_id, attempt) DO NOTHING;
  IF d.status <> 'pending' THEN
    RETURN jsonb_build_object('state', 'done');
  ELSIF v_outcome = 'delivered' AND v_attempt <> d.attempts THEN
    UPDATE webhook_deliveries SET status = 'delivered', delivered_at = v_now, failures = 0 WHERE id = d.id;
    RETURN jsonb_build_object('state', 'delivered', 'next', '[]'::jsonb);
  ELSIF v_outcome = 'delivered' THEN
    UPDATE webhook_deliveries SET status = 'delivered', delivered_at = v_now, failures = 0, leased_until = NULL, not_before = NULL WHERE id = d.id;
    WITH next AS (
      SELECT n.id FROM webhook_deliveries n WHERE n.subscription_id = d.subscription_id AND n.subject = d.subject AND n.status = 'pending'
      ORDER BY n.sequence LIMIT 1
    ), handed AS (
      UPDATE webhook_deliveries n SET due_at = v_now + make_interval(secs => (p ->> 'redispatch_seconds')::int)
      FROM next WHERE n.id = next.id RETURNING n.id, n.tenant_id
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object('tenant_id', tenant_id, 'delivery_id', id)), '[]') INTO v_next FROM handed;
    RETURN jsonb_build_object('state', 'delivered', 'next', v_next);
  ELSIF v_attempt <> d.attempts THEN
    RETURN jsonb_build_object('state', 'done');
  ELSIF d.failures + 1 >= (p ->> 'max_failures')::int THEN
    UPDATE webhook_deliveries SET status = 'dead', failures = failures + 1, leased_until = NULL WHERE id = d.id;
    RETURN jsonb_build_object('state', 'dead', 'failures', d.failures + 1);
  END IF;
  UPDATE webhook_deliveries SET failures = failures + 1, leased_until = NULL, not_before = (p ->> 'retry_at')::timestamptz,
    due_at = (p ->> 'retry_at')::timestamptz + make_interval(secs => (p ->> 'redispatch_seconds')::int) WHERE id = d.id;
  RETURN jsonb_build_object('state', 'retry', 'failures', d.failures + 1);
END
$$;

-- A System Admin's decision on a dead delivery: `redeliver` (pending again, due now, its failures forgotten) or
-- `skip` (its subject goes on without it). Audited as webhook.redeliver or webhook.skip. 404 for another tenant's or
-- an unknown delivery, 409 for one that is not dead (a skipped one stays skipped: the events after it may be out).
CREATE OR REPLACE FUNCTION app.resolve_webhook_delivery(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_action text := p ->> 'action';
  v_now timestamptz := (p ->> 'now')::timestamptz;
  d webhook_deliveries;
BEGIN
  IF app.tenant_id() IS NULL OR NOT app.can('config:manage') THEN
    PERFORM app.fail('FORBIDDEN', 'Only System Admins manage webhook deliveries');
  END IF;
  SELECT * INTO d FROM webhook_deliveries WHERE id = (p ->> 'delivery_id')::uuid AND tenant_id = app.tenant_id() FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such webhook delivery', jsonb_build_object('delivery_id', p ->> 'delivery_id'));
  END IF;
  IF d.status <> 'dead' THEN
    PERFORM app.fail('CONFLICT', format('A %s delivery cannot be %s', d.status, CASE v_action WHEN 'skip' THEN 'skipped' ELSE 'redelivered' END),
                     jsonb_build_object('delivery_id', d.id, 'status', d.status));
  END IF;
  IF v_action = 'skip' THEN
    UPDATE webhook_deliveries SET status = 'skipped' WHERE id = d.id;
  ELSE
    UPDATE webhook_deliveries SET status = 'pending', failures = 0, due_at = v_now, not_before = NULL WHERE id = d.id;
  END IF;
  PERFORM app.audit_ledger(p -> 'facts', 'webhook.' || v_action, 'webhook_delivery', d.id::text,
                           jsonb_build_object('subscription_id', d.subscription_id, 'event_id', d.event_id, 'was', d.status));
  RETURN jsonb_build_object('id', d.id, 'status', CASE v_action WHEN 'skip' THEN 'skipped' ELSE 'pending' END);
END
$$;

-- The daily job's move of webhook secrets sealed under DATA_KEK_PREVIOUS (kid `p_from_kid`) to the current KEK: at
-- most `p_limit` of the caller tenant's subscriptions with a secret (or a previous secret) still under it, sealed.
CREATE OR REPLACE FUNCTION app.webhook_secrets_to_reseal(p_from_kid text, p_limit int) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:scheduler' OR app.tenant_id() IS NULL THEN
    PERFORM app.fail('FORBIDDEN', 'Only the scheduler re-seals webhook secrets, one tenant at a time');
  END IF;
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'secret', s.secret, 'secret_kek_id', s.secret_kek_id,
            'previous_secret', s.previous_secret, 'previous_secret_kek_id', s.previous_secret_kek_id) ORDER BY s.id), '[]')
          FROM (SELECT * FROM webhook_subscriptions WHERE tenant_id = app.tenant_id()
                AND (secret_kek_id = p_from_kid OR previous_secret_kek_id = p_from_kid) ORDER BY id LIMIT p_limit) s);
END
$$;

-- Stores the re-sealed secrets: p = {kek_id, subscriptions: [{id, secret, was (the sealed secret it replaces),
-- previous_secret, previous_was}], now, facts}. A subscription whose secret changed meanwhile (a rotation) is left
-- alone. Audited as `webhook.reseal`; answers how many moved.
CREATE OR REPLACE FUNCTION app.reseal_webhook_secrets(p jsonb) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_done int;
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:scheduler' OR app.tenant_id() IS NULL THEN
    PERFORM app.fail('FORBIDDEN', 'Only the scheduler re-seals webhook secrets, one tenant at a time');
  END IF;
  UPDATE webhook_subscriptions s SET secret = x ->> 'secret', secret_kek_id = p ->> 'kek_id',
    previous_secret = x ->> 'previous_secret',
    previous_secret_kek_id = CASE WHEN x ->> 'previous_secret' IS NULL THEN NULL ELSE p ->> 'kek_id' END
  FROM jsonb_array_elements(p -> 'subscriptions') x
  WHERE s.id = (x ->> 'id')::uuid AND s.tenant_id = app.tenant_id() AND s.secret = x ->> 'was'
    AND s.previous_secret IS NOT DISTINCT FROM x ->> 'previous_was';
  GET DIAGNOSTICS v_done = ROW_COUNT;
  IF v_done > 0 THEN
    PERFORM app.audit_ledger(p -> 'facts', 'webhook.reseal', 'tenant', app.tenant_id()::text,
                             jsonb_build_object('subscriptions', v_done, 'kek_id', p ->> 'kek_id'));
  END IF;
  RETURN v_done;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.dispatch_webhooks(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.claim_webhook_delivery(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.record_webhook_attempt(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.resolve_webhook_delivery(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.webhook_secrets_to_reseal(text,integer) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.reseal_webhook_secrets(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.webhook_delivery_waits(webhook_deliveries,timestamp with time zone), app.require_webhook_sender(boolean)
  FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.webhook_delivery_waits(webhook_deliveries,timestamp with time zone), app.require_webhook_sender(boolean) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.dispatch_webhooks(jsonb), app.claim_webhook_delivery(jsonb), app.record_webhook_attempt(jsonb),
  app.resolve_webhook_delivery(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.dispatch_webhooks(jsonb), app.claim_webhook_delivery(jsonb), app.record_webhook_attempt(jsonb) TO leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.resolve_webhook_delivery(jsonb) TO leave_ledger_app;
REVOKE ALL ON FUNCTION app.webhook_secrets_to_reseal(text,integer), app.reseal_webhook_secrets(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.webhook_secrets_to_reseal(text,integer), app.reseal_webhook_secrets(jsonb) TO leave_ledger_system;
