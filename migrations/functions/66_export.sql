-- The data subject's export (GDPR art. 15 and 20): everything held about one employee, read by the Worker in
-- pages and streamed as one JSON document (src/features/privacy). Confidential fields come sealed, with the keys
-- that open them; the Worker opens them.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The employee whose data the caller may export: themself (with self:manage, so not from a kiosk session), or
-- with employee:export anyone of their tenant they may manage. Another tenant's employee, or an unknown id, is 404.
CREATE OR REPLACE FUNCTION app.authorize_subject_export(p_employee uuid) RETURNS employees
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  e employees;
BEGIN
  IF NOT (p_employee = app.employee_id() AND app.can('self:manage')) AND NOT app.can('employee:export') THEN
    PERFORM app.fail('FORBIDDEN', 'Only HR Admins and System Admins export another employee''s data', jsonb_build_object('permission', 'employee:export'));
  END IF;
  SELECT * INTO e FROM employees WHERE id = p_employee AND tenant_id = app.tenant_id();
  IF e.id IS NULL THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such employee', jsonb_build_object('employee_id', p_employee));
  END IF;
  -- Someone else's sessions and keys are only for those who may manage them (HR does not export a System Admin).
  IF e.id IS DISTINCT FROM app.employee_id() AND NOT app.may_manage(e.user_id) THEN
    PERFORM app.fail('FORBIDDEN', 'Only a System Admin exports a System Admin''s data', jsonb_build_object('employee_id', e.id));
  END IF;
  RETURN e;
END
$$;

-- An audit row as the API shows it (the shape of `GET /v1/audit`'s entries).
CREATE OR REPLACE FUNCTION app.audit_entry_json(a audit_log) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', a.id, 'occurred_at', to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'actor_type', a.actor_type, 'actor_id', a.actor_id, 'action', a.action, 'target_type', a.target_type, 'target_id', a.target_id,
    'success', a.success, 'ip', a.ip, 'user_agent', a.user_agent, 'request_id', a.request_id, 'details', a.details,
    'personal_details', a.personal_details, 'personal_data_erased', a.personal_salt IS NULL)
$$;

-- One page of a section of the export, in a stable order, after p_after (null: from the start; else the `next`
-- of the page before): {items, next (null on the last page), keys (the data keys the items' sealed fields need)}.
-- Sections: ledger_entries (by id), leave_requests (by submission), approvals_given (by decision), comments (on
-- their requests or written by them, in thread order), audit (by id;
-- rows by the person, about them as user or employee, or about their requests; another actor's IP, user agent
-- and personal details are theirs, not the person's, and are left out). For the functions below, which have
-- decided that the caller may read e's data.
CREATE OR REPLACE FUNCTION app.subject_export_section(e employees, p_section text, p_after jsonb, p_limit int) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_after_id bigint; -- the cursor of the sections ordered by a number
  v_items jsonb;
  v_last jsonb;
  v_next jsonb;
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION 'export page size out of range: %', p_limit;
  END IF;
  IF p_section IN ('ledger_entries', 'comments', 'audit') THEN
    v_after_id := coalesce((p_after ->> 'id')::bigint, 0);
  END IF;
  -- Each reads one row more than asked, to see whether more follow.
  CASE p_section
  WHEN 'ledger_entries' THEN
    SELECT coalesce(jsonb_agg(app.entry_json(x) ORDER BY x.id), '[]') INTO v_items
    FROM (SELECT * FROM ledger_entries WHERE employee_id = e.id AND id > v_after_id ORDER BY id LIMIT p_limit + 1) x;
  WHEN 'leave_requests' THEN
    SELECT coalesce(jsonb_agg(app.request_json(x) ORDER BY x.submitted_at, x.id), '[]') INTO v_items
    FROM (SELECT * FROM leave_requests WHERE employee_id = e.id
            AND (p_after IS NULL OR (submitted_at, id) > ((p_after ->> 'at')::timestamptz, (p_after ->> 'id')::uuid))
          ORDER BY submitted_at, id LIMIT p_limit + 1) x;
  WHEN 'approvals_given' THEN
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', x.id, 'request_id', x.request_id, 'employee_id', x.employee_id, 'decision', x.decision,
                                                 'comment', x.comment, 'data_key_id', x.data_key_id, 'decided_at', x.decided_at)
                              ORDER BY x.decided_at, x.id), '[]') INTO v_items
    FROM (SELECT * FROM approvals WHERE approver_id = e.user_id
            AND (p_after IS NULL OR (decided_at, id) > ((p_after ->> 'at')::timestamptz, (p_after ->> 'id')::uuid))
          ORDER BY decided_at, id LIMIT p_limit + 1) x;
  WHEN 'comments' THEN
    SELECT coalesce(jsonb_agg(app.comment_json(x) || jsonb_build_object('position', x.position) ORDER BY x.position), '[]') INTO v_items
    FROM (SELECT * FROM request_comments WHERE position IN (
            SELECT u.position FROM (
              (SELECT position FROM request_comments WHERE employee_id = e.id AND position > v_after_id ORDER BY position LIMIT p_limit + 1)
              UNION (SELECT position FROM request_comments WHERE author_id = e.user_id AND position > v_after_id ORDER BY position LIMIT p_limit + 1)
            ) u ORDER BY u.position LIMIT p_limit + 1)) x;
  WHEN 'audit' THEN
    -- Each way a row can concern the person has an index; their union is then cut to the page.
    SELECT coalesce(jsonb_agg(CASE WHEN a.actor_id = e.user_id::text THEN app.audit_entry_json(a)
                                   ELSE app.audit_entry_json(a) || '{"ip": null, "user_agent": null, "personal_details": null}' END
                              ORDER BY a.id), '[]') INTO v_items
    FROM audit_log a WHERE a.id IN (
      SELECT u.id FROM (
        (SELECT id FROM audit_log WHERE tenant_id = e.tenant_id AND actor_id = e.user_id::text AND id > v_after_id ORDER BY id LIMIT p_limit + 1)
        UNION (SELECT id FROM audit_log WHERE tenant_id = e.tenant_id AND target_type = 'user' AND target_id = e.user_id::text AND id > v_after_id
               ORDER BY id LIMIT p_limit + 1)
        UNION (SELECT id FROM audit_log WHERE tenant_id = e.tenant_id AND target_type = 'employee' AND target_id = e.id::text AND id > v_after_id
               ORDER BY id LIMIT p_limit + 1)
        UNION (SELECT id FROM audit_log WHERE tenant_id = e.tenant_id AND target_type = 'leave_request' AND id > v_after_id
                 AND target_id IN (SELECT r.id::text FROM leave_requests r WHERE r.employee_id = e.id) ORDER BY id LIMIT p_limit + 1)
      ) u ORDER BY u.id LIMIT p_limit + 1);
  ELSE
    RAISE EXCEPTION 'no export section %', p_section;
  END CASE;
  IF jsonb_array_length(v_items) > p_limit THEN
    v_items := v_items - p_limit; -- the extra row is not shown
    v_last := v_items -> -1;
    v_next := CASE p_section WHEN 'leave_requests' THEN jsonb_build_object('at', v_last -> 'submitted_at', 'id', v_last -> 'id')
                             WHEN 'approvals_given' THEN jsonb_build_object('at', v_last -> 'decided_at', 'id', v_last -> 'id')
                             WHEN 'comments' THEN jsonb_build_object('id', v_last -> 'position')
                             ELSE jsonb_build_object('id', v_last -> 'id') END;
  END IF;
  RETURN jsonb_build_object('items', v_items, 'next', v_next,
    'keys', CASE WHEN p_section = 'audit' THEN '{}'::jsonb ELSE
      (SELECT coalesce(jsonb_object_agg(k.id, app.data_key_json(k)), '{}') FROM data_keys k
       WHERE k.tenant_id = e.tenant_id AND k.id::text IN (SELECT jsonb_path_query(v_items, 'lax $.**.data_key_id') #>> '{}')) END);
END
$$;

-- One page of a section (app.subject_export_section) of the export of p_employee's data, if the caller may read it.
CREATE OR REPLACE FUNCTION app.subject_export_page(p_employee uuid, p_section text, p_after jsonb, p_limit int) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT app.subject_export_section(app.authorize_subject_export(p_employee), p_section, p_after, p_limit)
$$;

-- The export's first part: who the person is (user, employee, tenant, roles), their policy assignments and
-- balances, sessions and the API keys they created — then the first page of every section. An export of
-- someone else is logged as a read of their confidential data (`confidential.read`, `{"read": "export"}`).
CREATE OR REPLACE FUNCTION app.subject_export(p_employee uuid, p_now timestamptz, p_facts jsonb, p_limit int) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  e employees := app.authorize_subject_export(p_employee);
  v_doc jsonb;
BEGIN
  IF e.id IS DISTINCT FROM app.employee_id() THEN
    PERFORM app.audit_ledger(p_facts, 'confidential.read', 'employee', e.id::text, jsonb_build_object('read', 'export'));
  END IF;
  SELECT jsonb_build_object(
    'user', jsonb_build_object('id', u.id, 'email', u.email, 'display_name', u.display_name, 'status', u.status,
                               'external_subject', u.external_subject, 'created_at', u.created_at, 'erased_at', u.erased_at),
    'employee', jsonb_build_object('id', e.id, 'employee_number', e.employee_number, 'manager_id', e.manager_id, 'time_zone', e.time_zone,
                                   'hire_date', e.hire_date, 'work_week', to_jsonb(e.work_week), 'created_at', e.created_at),
    'tenant', jsonb_build_object('id', t.id, 'slug', t.slug, 'name', t.name),
    'roles', coalesce((SELECT jsonb_agg(r.role ORDER BY r.role) FROM role_assignments r WHERE r.user_id = u.id), '[]'),
    'policy_assignments', coalesce((SELECT jsonb_agg(jsonb_build_object('policy_key', a.policy_key, 'starts_on', a.starts_on, 'ends_on', a.ends_on)
                                                     ORDER BY a.policy_key, a.starts_on)
                                    FROM policy_assignments a WHERE a.employee_id = e.id), '[]'),
    'balances', coalesce((SELECT jsonb_agg(jsonb_build_object('policy_key', a.policy_key, 'posted', b.posted, 'pending', b.pending) ORDER BY a.policy_key)
                          FROM ledger_accounts a CROSS JOIN LATERAL app.balance_of(a.id, NULL, p_now) b WHERE a.employee_id = e.id), '[]'),
    'sessions', coalesce((SELECT jsonb_agg(s ORDER BY s ->> 'started_at') FROM (
                            SELECT jsonb_build_object('family_id', f.family_id, 'kiosk', bool_or(f.kiosk), 'started_at', min(f.created_at),
                                                      'last_refreshed_at', max(f.created_at), 'expires_at', max(f.expires_at),
                                                      'ended_at', max(f.revoked_at)) AS s
                            FROM refresh_tokens f WHERE f.user_id = u.id GROUP BY f.family_id) x), '[]'),
    'api_keys', coalesce((SELECT jsonb_agg(jsonb_build_object('id', k.id, 'name', k.name, 'prefix', k.prefix, 'role', k.role, 'scopes', to_jsonb(k.scopes),
                                                              'created_at', k.created_at, 'rotated_at', k.rotated_at, 'last_used_at', k.last_used_at,
                                                              'revoked_at', k.revoked_at) ORDER BY k.created_at, k.id)
                          FROM api_keys k WHERE k.created_by = u.id), '[]'),
    'sections', jsonb_build_object(
      'ledger_entries', app.subject_export_section(e, 'ledger_entries', NULL, p_limit),
      'leave_requests', app.subject_export_section(e, 'leave_requests', NULL, p_limit),
      'approvals_given', app.subject_export_section(e, 'approvals_given', NULL, p_limit),
      'comments', app.subject_export_section(e, 'comments', NULL, p_limit),
      'audit', app.subject_export_section(e, 'audit', NULL, p_limit)))
  INTO v_doc
  FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = e.user_id;
  RETURN v_doc;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.subject_export_page(uuid,text,jsonb,integer) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.subject_export(uuid,timestamptz,jsonb,integer) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.authorize_subject_export(uuid), app.audit_entry_json(audit_log), app.subject_export_section(employees,text,jsonb,integer) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.authorize_subject_export(uuid), app.subject_export_section(employees,text,jsonb,integer) TO leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.audit_entry_json(audit_log) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.subject_export_page(uuid,text,jsonb,integer), app.subject_export(uuid,timestamptz,jsonb,integer) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.subject_export_page(uuid,text,jsonb,integer), app.subject_export(uuid,timestamptz,jsonb,integer) TO leave_ledger_app;
