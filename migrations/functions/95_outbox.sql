-- Domain events: the changes a client cares about are written to outbox_events in the same transaction as the
-- change itself, by triggers on the tables that record them (whatever path made the change) and by the rollover
-- when its last chunk is done. An event exists if and only if its change committed. Its data carries ids, dates
-- and amounts only: a receiver fetches details with its own credentials.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Appends the next event of `p_subject`, and a pending delivery of it for each enabled webhook subscription that
-- wants its type (migrations/functions/96_webhook_delivery.sql sends them). Writers of one subject are serialized
-- by a transaction lock on it (most already hold the subject's own row lock: the request, the balance's account,
-- the run), so the sequence has no gaps or duplicates without a counter row (the unique key checks it).
CREATE OR REPLACE FUNCTION app.emit(p_tenant uuid, p_type text, p_subject text, p_at timestamptz, p_data jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_event uuid;
  v_sequence int;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('outbox:' || p_tenant || ':' || p_subject, 0));
  INSERT INTO outbox_events (tenant_id, type, subject, sequence, occurred_at, data)
  SELECT p_tenant, p_type, p_subject, coalesce(max(o.sequence), 0) + 1, p_at, p_data
  FROM outbox_events o WHERE o.tenant_id = p_tenant AND o.subject = p_subject
  RETURNING id, sequence INTO v_event, v_sequence;
  INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, subject, sequence, due_at, created_at)
  SELECT p_tenant, s.id, v_event, p_subject, v_sequence, now(), now() FROM webhook_subscriptions s
  WHERE s.tenant_id = p_tenant AND s.enabled AND (cardinality(s.event_types) = 0 OR p_type = ANY (s.event_types));
END
$$;

-- leave_request.submitted, then .approved, .rejected, .cancelled or .expired as its status changes, and
-- .corrected when what it is charged changes (app.reprice_request).
CREATE OR REPLACE FUNCTION app.emit_request_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_data jsonb := jsonb_build_object('request_id', NEW.id, 'employee_id', NEW.employee_id, 'policy_key', NEW.policy_key, 'status', NEW.status,
                                     'start_date', NEW.start_date, 'end_date', NEW.end_date, 'days', NEW.days, 'amount', NEW.amount);
  v_subject text := 'leave_request:' || NEW.id;
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM app.emit(NEW.tenant_id, 'leave_request.submitted', v_subject, NEW.submitted_at, v_data);
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM app.emit(NEW.tenant_id, 'leave_request.' || NEW.status, v_subject, NEW.resolved_at, v_data);
  ELSIF NEW.amount IS DISTINCT FROM OLD.amount THEN
    PERFORM app.emit(NEW.tenant_id, 'leave_request.corrected', v_subject,
                     (SELECT max(e.recorded_at) FROM ledger_entries e WHERE e.request_id = NEW.id), v_data);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER leave_requests_events AFTER INSERT OR UPDATE ON leave_requests FOR EACH ROW EXECUTE FUNCTION app.emit_request_event();

-- balance.adjusted: a grant or adjustment posted by HR (under the account's lock).
CREATE OR REPLACE FUNCTION app.emit_adjustment_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM app.emit(NEW.tenant_id, 'balance.adjusted', 'balance:' || NEW.account_id, NEW.recorded_at,
                   jsonb_build_object('entry_id', NEW.id, 'employee_id', NEW.employee_id, 'policy_key', NEW.policy_key, 'kind', NEW.kind,
                                      'amount', NEW.amount, 'effective_date', NEW.effective_date));
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER ledger_entries_adjustment_events AFTER INSERT ON ledger_entries FOR EACH ROW
  WHEN (NEW.kind IN ('grant', 'adjustment')) EXECUTE FUNCTION app.emit_adjustment_event();

-- accrual_run.completed: each accrual run (a chunk of the daily job or HR's run, or an assignment's postings).
CREATE OR REPLACE FUNCTION app.emit_accrual_run_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM app.emit(NEW.tenant_id, 'accrual_run.completed', 'ledger_run:' || NEW.id, NEW.started_at,
                   jsonb_build_object('run_id', NEW.id) || (NEW.summary - 'after'));
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER ledger_runs_accrual_events AFTER INSERT ON ledger_runs FOR EACH ROW
  WHEN (NEW.kind = 'accrual') EXECUTE FUNCTION app.emit_accrual_run_event();

-- employee.created and employee.updated (which columns changed, not their values) for employee records.
CREATE OR REPLACE FUNCTION app.emit_employee_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_changed text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM app.emit(NEW.tenant_id, 'employee.created', 'employee:' || NEW.id, now(), jsonb_build_object('employee_id', NEW.id, 'user_id', NEW.user_id));
  ELSE
    SELECT array_agg(n.key ORDER BY n.key) INTO v_changed FROM jsonb_each(to_jsonb(NEW)) n JOIN jsonb_each(to_jsonb(OLD)) o ON o.key = n.key
    WHERE n.value IS DISTINCT FROM o.value;
    IF v_changed IS NOT NULL THEN
      PERFORM app.emit(NEW.tenant_id, 'employee.updated', 'employee:' || NEW.id, now(), jsonb_build_object('employee_id', NEW.id, 'changed', v_changed));
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER employees_events AFTER INSERT OR UPDATE ON employees FOR EACH ROW EXECUTE FUNCTION app.emit_employee_event();

-- On the person's account: employee.erased when erasure strikes it, employee.updated when their name, email or
-- status changes (for people with an employee record).
CREATE OR REPLACE FUNCTION app.emit_user_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_employee uuid := (SELECT e.id FROM employees e WHERE e.user_id = NEW.id);
  v_changed text[] := array_remove(ARRAY[CASE WHEN NEW.display_name IS DISTINCT FROM OLD.display_name THEN 'display_name' END,
                                         CASE WHEN NEW.email IS DISTINCT FROM OLD.email THEN 'email' END,
                                         CASE WHEN NEW.status IS DISTINCT FROM OLD.status THEN 'status' END], NULL);
BEGIN
  IF v_employee IS NULL THEN
    RETURN NULL;
  END IF;
  IF NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL THEN
    PERFORM app.emit(NEW.tenant_id, 'employee.erased', 'employee:' || v_employee, NEW.erased_at, jsonb_build_object('employee_id', v_employee));
  ELSIF cardinality(v_changed) > 0 THEN
    PERFORM app.emit(NEW.tenant_id, 'employee.updated', 'employee:' || v_employee, NEW.updated_at,
                     jsonb_build_object('employee_id', v_employee, 'changed', v_changed));
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER users_events AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION app.emit_user_event();

-- policy.changed: a policy created or revised (a new version).
CREATE OR REPLACE FUNCTION app.emit_policy_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM app.emit(NEW.tenant_id, 'policy.changed', 'policy:' || NEW.key, NEW.created_at,
                   jsonb_build_object('policy_key', NEW.key, 'version', NEW.version, 'policy_version_id', NEW.id, 'effective_from', NEW.effective_from));
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER leave_policies_events AFTER INSERT ON leave_policies FOR EACH ROW EXECUTE FUNCTION app.emit_policy_event();

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.emit_request_event() OWNER TO leave_ledger_definer;
ALTER FUNCTION app.emit_adjustment_event() OWNER TO leave_ledger_definer;
ALTER FUNCTION app.emit_accrual_run_event() OWNER TO leave_ledger_definer;
ALTER FUNCTION app.emit_employee_event() OWNER TO leave_ledger_definer;
ALTER FUNCTION app.emit_user_event() OWNER TO leave_ledger_definer;
ALTER FUNCTION app.emit_policy_event() OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.emit(uuid,text,text,timestamp with time zone,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.emit(uuid,text,text,timestamp with time zone,jsonb) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.emit_request_event(), app.emit_adjustment_event(), app.emit_accrual_run_event(), app.emit_employee_event(),
  app.emit_user_event(), app.emit_policy_event() FROM PUBLIC, leave_ledger_app, leave_ledger_system;
