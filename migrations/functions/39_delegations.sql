-- Approval delegations: a manager hands their approvals to a colleague for a time window. The Worker puts the
-- managers a caller acts for at the request's time in their signed claims (`acting_for`): policies then show the
-- delegate those managers' direct reports' rows (app.manager_ids), and decisions check the delegation again here.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The most delegations one person holds at once (running or scheduled): the Worker keeps them in its identity cache.
CREATE OR REPLACE FUNCTION app.max_held_delegations() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 20 $$;
-- The longest window a delegation covers.
CREATE OR REPLACE FUNCTION app.max_delegation_window() RETURNS interval LANGUAGE sql IMMUTABLE AS $$ SELECT interval '366 days' $$;

-- Whether the caller is a person's full session: not an API key, not a kiosk (PIN) session. Only such a session
-- manages delegations or acts under one.
CREATE OR REPLACE FUNCTION app.full_session() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(c ->> 'caller' = 'user' AND coalesce(jsonb_array_length(c -> 'scopes'), 0) = 0, false) FROM app.claims() AS c
$$;

-- Whether employee `p_employee` is an active user whose roles grant `p_permission` (and, given `p_now`, still
-- employed on that day): the delegator must still be an approver, the delegate someone who may ask for leave.
CREATE OR REPLACE FUNCTION app.employee_may(p_employee uuid, p_permission text, p_now timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM employees e JOIN users u ON u.id = e.user_id AND u.status = 'active' JOIN role_assignments r ON r.user_id = u.id
                 WHERE e.id = p_employee AND p_permission = ANY (app.role_permissions(r.role::text))
                   AND (p_now IS NULL OR e.end_date IS NULL OR e.end_date >= app.today_in(e.time_zone, p_now)));
END
$$;

-- Whether the caller decides for manager `p_manager`'s direct reports: as that manager (an approver's session), or
-- as their delegate now.
CREATE OR REPLACE FUNCTION app.approves_for(p_manager uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((p_manager = app.employee_id() AND app.can('request:approve:reports')) OR p_manager = ANY (app.acting_for()), false)
$$;

-- The delegation from `p_delegator` to `p_delegate` running at `p_now`, if any, while the delegator is still an
-- approver (one who lost the role, left or was deactivated delegates nothing).
CREATE OR REPLACE FUNCTION app.running_delegation(p_delegator uuid, p_delegate uuid, p_now timestamptz) RETURNS uuid
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT d.id FROM approval_delegations d
  WHERE d.delegator_id = p_delegator AND d.delegate_id = p_delegate AND d.revoked_at IS NULL AND d.starts_at <= p_now AND p_now < d.ends_at
    AND app.employee_may(p_delegator, 'request:approve:reports', p_now)
  ORDER BY d.ends_at DESC LIMIT 1
$$;

-- The API's view of a delegation at `p_now`.
CREATE OR REPLACE FUNCTION app.delegation_json(d approval_delegations, p_now timestamptz) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT jsonb_build_object('id', d.id, 'delegator_id', d.delegator_id, 'delegator_name', app.employee_name(d.delegator_id),
    'delegate_id', d.delegate_id, 'delegate_name', app.employee_name(d.delegate_id), 'starts_at', d.starts_at, 'ends_at', d.ends_at,
    'status', CASE WHEN d.revoked_at IS NOT NULL THEN 'revoked' WHEN p_now < d.starts_at THEN 'scheduled' WHEN p_now >= d.ends_at THEN 'ended' ELSE 'running' END,
    'created_by', d.created_by, 'created_at', d.created_at, 'revoked_at', d.revoked_at)
$$;

-- The user behind an employee of the caller's tenant a delegation names (its versions rise in the Worker's
-- Durable Object around the change, so the delegate's next request sees it); null when there is none. For
-- approvers, and for a delegate about themself (declining one).
CREATE OR REPLACE FUNCTION app.delegation_user(p_employee uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT e.user_id FROM employees e
  WHERE e.id = p_employee AND e.tenant_id = app.tenant_id() AND (app.can('request:approve:reports') OR e.id = app.employee_id())
$$;

-- Creates a delegation, from a person's full session: an approver for their own approvals, HR Admins and System
-- Admins for an approver they may manage (p.delegator_id). The delegate is another active employee who may ask
-- for leave (not an Auditor only); the window starts within app.max_delegation_window() from now and lasts at
-- most as long; the same two people never have two windows that overlap. The delegate's permission version rises
-- to p.permission_version (raised in the Durable Object first). Audited.
CREATE OR REPLACE FUNCTION app.create_delegation(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_delegator uuid := coalesce((p ->> 'delegator_id')::uuid, app.employee_id());
  v_delegate uuid := (p ->> 'delegate_id')::uuid;
  v_starts timestamptz := coalesce((p ->> 'starts_at')::timestamptz, v_now);
  v_ends timestamptz := (p ->> 'ends_at')::timestamptz;
  v_user uuid;
  d approval_delegations;
BEGIN
  IF v_tenant IS NULL OR v_delegator IS NULL OR NOT app.can('request:approve:reports') OR NOT app.full_session() THEN
    PERFORM app.fail('FORBIDDEN', 'Only approvers with an employee record delegate their approvals, signed in themselves');
  END IF;
  IF v_delegator IS DISTINCT FROM app.employee_id() THEN
    IF NOT app.can('request:approve:any') THEN
      PERFORM app.fail('FORBIDDEN', 'Only HR Admins and System Admins delegate someone else''s approvals', jsonb_build_object('delegator_id', v_delegator));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM employees WHERE id = v_delegator AND tenant_id = v_tenant) THEN
      PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such employee', jsonb_build_object('delegator_id', v_delegator));
    END IF;
    IF NOT app.may_manage((SELECT user_id FROM employees WHERE id = v_delegator)) THEN
      PERFORM app.fail('FORBIDDEN', 'Only a System Admin delegates a System Admin''s approvals', jsonb_build_object('delegator_id', v_delegator));
    END IF;
    IF NOT app.employee_may(v_delegator, 'request:approve:reports', v_now) THEN
      PERFORM app.fail('VALIDATION_FAILED', 'Only an approver''s approvals can be delegated',
                       jsonb_build_object('issues', jsonb_build_array(jsonb_build_object('path', 'delegator_id', 'message', 'must be an active approver', 'code', 'custom'))));
    END IF;
  END IF;
  SELECT e.user_id INTO v_user FROM employees e WHERE e.id = v_delegate AND e.tenant_id = v_tenant AND app.employee_may(e.id, 'request:submit', v_now);
  IF v_user IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such active employee', jsonb_build_object('delegate_id', v_delegate));
  END IF;
  IF v_delegate = v_delegator THEN
    PERFORM app.fail('VALIDATION_FAILED', 'Nobody delegates to themself',
                     jsonb_build_object('issues', jsonb_build_array(jsonb_build_object('path', 'delegate_id', 'message', 'must be someone else', 'code', 'custom'))));
  END IF;
  IF v_starts < v_now - interval '1 minute' OR v_starts > v_now + app.max_delegation_window() THEN
    PERFORM app.fail('VALIDATION_FAILED', 'A delegation starts from now to 366 days ahead',
                     jsonb_build_object('issues', jsonb_build_array(jsonb_build_object('path', 'starts_at', 'message', 'from now to 366 days ahead', 'code', 'custom'))));
  END IF;
  IF v_ends <= v_starts OR v_ends - v_starts > app.max_delegation_window() THEN
    PERFORM app.fail('VALIDATION_FAILED', 'A delegation ends after it starts, within 366 days',
                     jsonb_build_object('issues', jsonb_build_array(jsonb_build_object('path', 'ends_at', 'message', 'after starts_at, within 366 days', 'code', 'custom'))));
  END IF;
  -- One writer per delegate at a time, so the checks below hold at commit.
  PERFORM pg_advisory_xact_lock(hashtextextended('delegate:' || v_delegate, 0));
  IF EXISTS (SELECT 1 FROM approval_delegations x WHERE x.delegator_id = v_delegator AND x.delegate_id = v_delegate AND x.revoked_at IS NULL
             AND x.starts_at < v_ends AND v_starts < x.ends_at) THEN
    PERFORM app.fail('CONFLICT', 'These two already have a delegation in that window', jsonb_build_object('delegator_id', v_delegator, 'delegate_id', v_delegate));
  END IF;
  IF (SELECT count(*) FROM approval_delegations x WHERE x.delegate_id = v_delegate AND x.revoked_at IS NULL AND x.ends_at > v_now) >= app.max_held_delegations() THEN
    PERFORM app.fail('CONFLICT', 'That colleague holds as many delegations as one person may', jsonb_build_object('max_delegations', app.max_held_delegations()));
  END IF;
  INSERT INTO approval_delegations (tenant_id, delegator_id, delegate_id, starts_at, ends_at, created_by, created_at)
  VALUES (v_tenant, v_delegator, v_delegate, v_starts, v_ends, app.user_id(), v_now)
  RETURNING * INTO d;
  UPDATE users SET permission_version = greatest(permission_version, (p ->> 'permission_version')::bigint) WHERE id = v_user;
  PERFORM app.audit_ledger(p -> 'facts', 'delegation.create', 'approval_delegation', d.id::text,
                           jsonb_build_object('delegator_id', d.delegator_id, 'delegate_id', d.delegate_id, 'starts_at', d.starts_at, 'ends_at', d.ends_at));
  RETURN app.delegation_json(d, v_now);
END
$$;

-- Ends a delegation now: its delegator, its delegate (declining it) or an HR Admin or System Admin. One already
-- revoked or ended is answered as it is. The delegate's permission version rises as for a new one. Audited.
CREATE OR REPLACE FUNCTION app.revoke_delegation(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_self uuid := app.employee_id();
  d approval_delegations;
BEGIN
  SELECT * INTO d FROM approval_delegations WHERE id = (p ->> 'delegation_id')::uuid AND tenant_id = app.tenant_id() FOR UPDATE;
  IF d.id IS NULL OR NOT coalesce(d.delegator_id = v_self OR d.delegate_id = v_self OR app.can('tenant:read'), false) THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such delegation', jsonb_build_object('delegation_id', p ->> 'delegation_id'));
  END IF;
  IF NOT coalesce(d.delegator_id = v_self OR d.delegate_id = v_self OR app.can('request:approve:any'), false) OR NOT app.full_session() THEN
    PERFORM app.fail('FORBIDDEN', 'Only its delegator, its delegate, HR Admins and System Admins end a delegation, signed in themselves');
  END IF;
  IF d.revoked_at IS NULL AND v_now < d.ends_at THEN
    UPDATE approval_delegations SET revoked_at = v_now, revoked_by = app.user_id() WHERE id = d.id RETURNING * INTO d;
    UPDATE users SET permission_version = greatest(permission_version, (p ->> 'permission_version')::bigint)
    WHERE id = (SELECT user_id FROM employees WHERE id = d.delegate_id);
    PERFORM app.audit_ledger(p -> 'facts', 'delegation.revoke', 'approval_delegation', d.id::text,
                             jsonb_build_object('delegator_id', d.delegator_id, 'delegate_id', d.delegate_id));
  END IF;
  RETURN app.delegation_json(d, v_now);
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.delegation_user(uuid) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.create_delegation(jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.revoke_delegation(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.max_held_delegations(), app.max_delegation_window(), app.full_session(), app.approves_for(uuid),
  app.running_delegation(uuid,uuid,timestamp with time zone), app.employee_may(uuid,text,timestamp with time zone),
  app.delegation_json(approval_delegations,timestamp with time zone) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.max_held_delegations(), app.max_delegation_window(), app.full_session(), app.approves_for(uuid),
  app.delegation_json(approval_delegations,timestamp with time zone) TO leave_ledger_app, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.running_delegation(uuid,uuid,timestamp with time zone), app.employee_may(uuid,text,timestamp with time zone) TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.delegation_user(uuid), app.create_delegation(jsonb), app.revoke_delegation(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.delegation_user(uuid), app.create_delegation(jsonb), app.revoke_delegation(jsonb) TO leave_ledger_app;
