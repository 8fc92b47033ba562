-- The audit log: append-only for everyone, hash-chained on insert, verifiable in ranges.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The audit log is append-only for everyone, its owner included.
CREATE OR REPLACE FUNCTION app.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION app.refuse_audit_change();

CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION app.refuse_audit_change();

-- Audit rows written by system callers (login failures have no user to act as).
CREATE OR REPLACE FUNCTION app.audit_system(p_tenant_id uuid, p_actor_type text, p_actor_id text, p_action text, p_target_type text,
  p_target_id text, p_success boolean, p_ip text, p_user_agent text, p_request_id text, p_details jsonb)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, success, ip, user_agent, request_id, details)
  VALUES (p_tenant_id, p_actor_type, p_actor_id, p_action, p_target_type, p_target_id, p_success, p_ip, p_user_agent, p_request_id, coalesce(p_details, '{}'))
$$;

-- ---------------------------------------------------------------------------------------------------------
-- The audit hash chain: each tenant's rows form one chain (rows without a tenant form their own). A row's
-- hash covers the previous link's hash and every field of the row, so changing, removing or reordering any
-- row breaks verification at that row. Locking the chain head orders a tenant's audit rows.
CREATE OR REPLACE FUNCTION app.audit_row_text(a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_array(a.id, a.tenant_id, to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), a.actor_type, a.actor_id,
    a.action, a.target_type, a.target_id, a.success, a.ip, a.user_agent, a.request_id, a.details, a.chain_seq)::text
$$;

CREATE OR REPLACE FUNCTION app.audit_link_hash(p_previous text, a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(p_previous || '|' || app.audit_row_text(a), 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION app.chain_audit_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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

CREATE OR REPLACE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION app.chain_audit_row();

-- Verifies the caller's tenant chain from position p_after + 1 to p_after + p_limit (the row at p_after seeds
-- the first link): how many rows were checked, the last position checked, and the first row whose hash does
-- not follow from its predecessor or whose position skips one. Runs as the caller: only audit readers see rows.
CREATE OR REPLACE FUNCTION app.verify_audit_chain(p_after bigint, p_limit int)
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

-- The audit row of a ledger action, as the caller of the claims (user, API key — for its creator, the key in
-- the details — or system caller).
CREATE OR REPLACE FUNCTION app.audit_ledger(p_facts jsonb, p_action text, p_target_type text, p_target_id text, p_details jsonb) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, public, pg_temp AS $$
  INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, success, ip, user_agent, request_id, details)
  VALUES (app.tenant_id(),
          CASE WHEN app.claims() ->> 'caller' = 'api_key' THEN 'api_key' WHEN app.claims() ->> 'caller' LIKE 'system:%' THEN 'system' ELSE 'user' END,
          coalesce(app.claims() ->> 'sub', app.claims() ->> 'caller'), p_action, p_target_type, p_target_id, true,
          p_facts ->> 'ip', p_facts ->> 'user_agent', p_facts ->> 'request_id',
          coalesce(p_details, '{}') || CASE WHEN app.claims() ? 'key_id' THEN jsonb_build_object('api_key_id', app.claims() ->> 'key_id') ELSE '{}' END)
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.audit_system(uuid,text,text,text,text,text,boolean,text,text,text,jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.chain_audit_row() OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.refuse_audit_change() FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.audit_system(uuid,text,text,text,text,text,boolean,text,text,text,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.audit_system(uuid,text,text,text,text,text,boolean,text,text,text,jsonb) TO leave_ledger_system;
REVOKE ALL ON FUNCTION app.audit_row_text(audit_log), app.audit_link_hash(text,audit_log) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.audit_row_text(audit_log), app.audit_link_hash(text,audit_log) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.chain_audit_row() FROM PUBLIC, leave_ledger_app, leave_ledger_system;
REVOKE ALL ON FUNCTION app.verify_audit_chain(bigint,integer) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.verify_audit_chain(bigint,integer) TO leave_ledger_app;
REVOKE ALL ON FUNCTION app.audit_ledger(jsonb,text,text,text,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.audit_ledger(jsonb,text,text,text,jsonb) TO leave_ledger_definer;
