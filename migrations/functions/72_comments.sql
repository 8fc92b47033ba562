-- A request's comment thread: the employee, their manager, HR Admins and System Admins write; whoever may read the
-- request reads (an Auditor too). Each body is sealed by the Worker with the requester's key for the request's
-- year, bound to the comment's id, like reasons.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The most comments one request takes: a thread, not a chat.
CREATE OR REPLACE FUNCTION app.max_request_comments() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 200 $$;

-- A comment as the API shows it (its body sealed, with the id of the key that opens it).
CREATE OR REPLACE FUNCTION app.comment_json(c request_comments) RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT jsonb_build_object('id', c.id, 'request_id', c.request_id, 'author_id', c.author_id, 'author_name', app.user_name(c.author_id),
                            'body', c.body, 'data_key_id', c.data_key_id, 'created_at', c.created_at)
$$;

CREATE OR REPLACE FUNCTION app.add_request_comment(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_tenant uuid := app.tenant_id();
  v_user uuid := app.user_id();
  v_employee uuid := app.employee_id();
  v_now timestamptz := (p ->> 'now')::timestamptz;
  v_replay jsonb;
  r leave_requests;
  v_manager uuid;
  c request_comments;
BEGIN
  v_replay := app.replay(p);
  IF v_replay IS NOT NULL THEN RETURN v_replay; END IF;

  -- Comments of one request are counted one writer at a time against the cap (NO KEY: the comment's own foreign key
  -- shares the row's key).
  SELECT * INTO r FROM leave_requests WHERE id = (p ->> 'request_id')::uuid AND tenant_id = v_tenant FOR NO KEY UPDATE;
  v_manager := app.seen_request_manager(r, p ->> 'request_id');
  -- self:manage, not request:submit: a kiosk session (whose scopes leave it out) does not write comments.
  IF NOT coalesce((r.employee_id = v_employee AND app.can('self:manage')) OR app.approves_for(v_manager) OR app.can('request:approve:any'), false) THEN
    PERFORM app.fail('FORBIDDEN', 'Only the employee, their manager (or their delegate), HR Admins and System Admins comment on a request');
  END IF;
  IF (SELECT count(*) FROM request_comments WHERE request_id = r.id) >= app.max_request_comments() THEN
    PERFORM app.fail('CONFLICT', 'This request''s thread is full', jsonb_build_object('max_comments', app.max_request_comments()));
  END IF;
  INSERT INTO request_comments (id, tenant_id, request_id, employee_id, author_id, body, data_key_id, created_at)
  VALUES ((p ->> 'comment_id')::uuid, v_tenant, r.id, r.employee_id, v_user, p ->> 'body',
          app.use_data_key(v_tenant, r.employee_id, extract(year FROM r.start_date)::int, p -> 'data_key'), v_now)
  RETURNING * INTO c;
  PERFORM app.audit_ledger(p -> 'facts', 'request.comment', 'leave_request', r.id::text, jsonb_build_object('comment_id', c.id));
  RETURN app.answer(p, 201, app.comment_json(c))
         || jsonb_build_object('keys', (SELECT jsonb_object_agg(k.id, app.data_key_json(k)) FROM data_keys k WHERE k.id = c.data_key_id));
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.add_request_comment(jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.max_request_comments(), app.comment_json(request_comments) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.max_request_comments(), app.comment_json(request_comments) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.add_request_comment(jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.add_request_comment(jsonb) TO leave_ledger_app;
