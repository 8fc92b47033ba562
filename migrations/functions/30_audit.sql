-- The audit log: append-only (but for erasure and retention), hash-chained on insert, verifiable in ranges.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The audit log is append-only for everyone, its owner included, with two exceptions the rows themselves
-- vouch for: erasing a row's personal fields (ip, user_agent, personal_details and the salt of their digest, all
-- at once, nothing else), and deleting rows a retention checkpoint covers (app.purge_audit).
CREATE OR REPLACE FUNCTION app.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.ip IS NULL AND NEW.user_agent IS NULL AND NEW.personal_details IS NULL AND NEW.personal_salt IS NULL
       AND to_jsonb(NEW) - app.audit_personal_columns() = to_jsonb(OLD) - app.audit_personal_columns() THEN
      RETURN NEW;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM audit_checkpoints c
               WHERE c.tenant_id IS NOT DISTINCT FROM OLD.tenant_id AND c.chain = OLD.chain AND c.chain_seq >= OLD.chain_seq
                 AND app.audit_checkpoint_is_signed(c)) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION app.audit_personal_columns() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['ip', 'user_agent', 'personal_details', 'personal_salt']
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
-- The audit hash chains. Each tenant has app.audit_chain_count() chains (rows without a tenant have their own,
-- under the zero UUID). A row's hash covers the previous link's hash in its chain and every field of the row,
-- the personal ones through their digest (sha256 of a random per-row salt and the fields), so changing,
-- removing or inserting a row breaks verification at that row, while erasing the personal fields and their
-- salt does not. A writer takes the head of the first chain no other transaction holds (SKIP LOCKED), so a
-- tenant's concurrent audited writes do not queue on one row; a transaction keeps the chain it took for all its
-- rows of that tenant (so it never waits for a second one, and two writers never wait for each other), and only
-- when every chain is held does it queue, for one at random.
CREATE OR REPLACE FUNCTION app.audit_chain_count() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 16 $$;

CREATE OR REPLACE FUNCTION app.audit_personal_digest(a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(a.personal_salt || convert_to(jsonb_build_array(a.ip, a.user_agent, a.personal_details)::text, 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION app.audit_row_text(a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_array(a.id, a.tenant_id, to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), a.actor_type, a.actor_id,
    a.action, a.target_type, a.target_id, a.success, a.request_id, a.details, a.chain, a.chain_seq, a.personal_digest)::text
$$;

CREATE OR REPLACE FUNCTION app.audit_link_hash(p_previous text, a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(p_previous || '|' || app.audit_row_text(a), 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION app.chain_audit_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_scope uuid := coalesce(NEW.tenant_id, '00000000-0000-0000-0000-000000000000');
  v_taken text := 'app.audit_chain_' || replace(v_scope::text, '-', '');
  v_chain text := current_setting(v_taken, true);
  v_head audit_chain_heads;
BEGIN
  IF v_chain ~ '^[0-9]{1,4}$' THEN
    SELECT * INTO v_head FROM audit_chain_heads WHERE chain_id = v_scope AND chain = v_chain::smallint FOR UPDATE;
  END IF;
  IF v_head.chain_id IS NULL THEN
    SELECT * INTO v_head FROM audit_chain_heads WHERE chain_id = v_scope ORDER BY chain LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF v_head.chain_id IS NULL THEN
      -- A tenant's chains are made on its first audited write (or when there are more than before).
      INSERT INTO audit_chain_heads (chain_id, chain, last_seq, last_hash)
      SELECT v_scope, n, 0, '' FROM generate_series(0, app.audit_chain_count() - 1) n ON CONFLICT DO NOTHING;
      SELECT * INTO v_head FROM audit_chain_heads WHERE chain_id = v_scope ORDER BY chain LIMIT 1 FOR UPDATE SKIP LOCKED;
    END IF;
    IF v_head.chain_id IS NULL THEN
      SELECT * INTO v_head FROM audit_chain_heads
      WHERE chain_id = v_scope AND chain = floor(random() * app.audit_chain_count())::smallint FOR UPDATE;
    END IF;
    PERFORM set_config(v_taken, v_head.chain::text, true);
  END IF;
  NEW.chain := v_head.chain;
  NEW.chain_seq := v_head.last_seq + 1;
  NEW.personal_salt := gen_random_bytes(16);
  NEW.personal_digest := app.audit_personal_digest(NEW);
  NEW.hash := app.audit_link_hash(v_head.last_hash, NEW);
  UPDATE audit_chain_heads SET last_seq = NEW.chain_seq, last_hash = NEW.hash WHERE chain_id = v_scope AND chain = v_head.chain;
  RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION app.chain_audit_row();

-- ---------------------------------------------------------------------------------------------------------
-- Retention checkpoints: where a purge cut a chain, signed with the database's checkpoint key (which only the
-- definer reads), so that a role able to delete rows but not to read the key cannot hide a deletion.
CREATE OR REPLACE FUNCTION app.audit_checkpoint_signature(p_kid text, c audit_checkpoints) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT k.kid || ':' || encode(hmac(convert_to(concat_ws('|', coalesce(c.tenant_id::text, ''), c.chain, c.chain_seq, c.hash,
    to_char(c.purged_before AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), c.rows_purged), 'UTF8'), k.secret, 'sha256'), 'hex')
  FROM audit_checkpoint_keys k WHERE k.kid = p_kid
$$;

-- Whether a checkpoint carries a valid signature (an answer, never a signature: this is no signing oracle).
CREATE OR REPLACE FUNCTION app.audit_checkpoint_is_signed(c audit_checkpoints) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT coalesce(app.audit_checkpoint_signature(split_part(c.signature, ':', 1), c) = c.signature, false)
$$;

-- The heads of the caller's tenant's chains, for an audit reader: verification compares them with the newest rows.
CREATE OR REPLACE FUNCTION app.audit_chain_ends() RETURNS TABLE (chain smallint, last_seq bigint, last_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT h.chain, h.last_seq, h.last_hash FROM audit_chain_heads h WHERE h.chain_id = app.tenant_id() AND app.can('audit:read')
$$;

-- Retention: deletes up to p_limit of a tenant's rows older than p_before, oldest first in each chain, each
-- chain's cut behind a signed checkpoint (its last purged row's position and hash), and audits each cut.
-- Returns the rows deleted; call again until it answers 0. For signed system callers (the daily job).
CREATE OR REPLACE FUNCTION app.purge_audit(p_tenant uuid, p_before timestamptz, p_limit int, p_facts jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  h audit_chain_heads;
  v_first bigint;
  v_upto bigint;
  v_newer bigint;
  v_count bigint;
  v_total bigint := 0;
  c audit_checkpoints;
BEGIN
  IF app.claims() ->> 'caller' IS DISTINCT FROM 'system:scheduler' THEN
    PERFORM app.fail('FORBIDDEN', 'Only the scheduler purges audit rows');
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('audit-purge:' || p_tenant::text, 0));
  FOR h IN SELECT * FROM audit_chain_heads WHERE chain_id = p_tenant ORDER BY chain LOOP
    EXIT WHEN v_total >= p_limit;
    SELECT min(a.chain_seq) INTO v_first FROM audit_log a WHERE a.tenant_id = p_tenant AND a.chain = h.chain;
    CONTINUE WHEN v_first IS NULL;
    v_upto := least(v_first + (p_limit - v_total) - 1, h.last_seq);
    SELECT min(a.chain_seq) INTO v_newer FROM audit_log a
    WHERE a.tenant_id = p_tenant AND a.chain = h.chain AND a.chain_seq BETWEEN v_first AND v_upto AND a.occurred_at >= p_before;
    IF v_newer IS NOT NULL THEN v_upto := v_newer - 1; END IF;
    CONTINUE WHEN v_upto < v_first;
    SELECT NULL, p_tenant, h.chain, v_upto, a.hash, v_upto - v_first + 1, p_before, now(), NULL INTO c
    FROM audit_log a WHERE a.tenant_id = p_tenant AND a.chain = h.chain AND a.chain_seq = v_upto;
    c.signature := app.audit_checkpoint_signature((SELECT k.kid FROM audit_checkpoint_keys k ORDER BY k.created_at DESC, k.kid LIMIT 1), c);
    INSERT INTO audit_checkpoints (tenant_id, chain, chain_seq, hash, rows_purged, purged_before, signature)
    VALUES (c.tenant_id, c.chain, c.chain_seq, c.hash, c.rows_purged, c.purged_before, c.signature);
    DELETE FROM audit_log a WHERE a.tenant_id = p_tenant AND a.chain = h.chain AND a.chain_seq <= v_upto;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_total := v_total + v_count;
    INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, success, request_id, details)
    VALUES (p_tenant, 'system', app.claims() ->> 'caller', 'audit.purge', 'audit_chain', h.chain::text, true, p_facts ->> 'request_id',
            jsonb_build_object('through_seq', v_upto, 'rows', v_count, 'purged_before', p_before));
  END LOOP;
  RETURN v_total;
END
$$;

-- Verifies up to p_limit of the caller's tenant's rows with an id above p_after_id, in id order: how many were
-- checked, the last id checked, and the first row (by id) that does not follow: outside every chain, behind a
-- checkpoint or beyond its chain's head (inserted), without its predecessor (one is missing), with personal
-- fields that do not match their digest or a hash that does not follow from its predecessor's (altered), or
-- after a checkpoint that is not validly signed. The call that reaches the end also checks that each chain's
-- newest row is its head (rows missing at the end name the first missing position, with no id).
-- Runs as the caller: only audit readers see rows.
DROP FUNCTION IF EXISTS app.verify_audit_chain(bigint, integer);
CREATE OR REPLACE FUNCTION app.verify_audit_chains(p_after_id bigint, p_limit int)
RETURNS TABLE (checked bigint, last_id bigint, broken_id bigint, broken_chain smallint, broken_seq bigint, reason text)
LANGUAGE sql STABLE AS $$
  WITH chunk AS (
    SELECT a.* FROM audit_log a WHERE a.tenant_id = (SELECT app.tenant_id()) AND a.id > p_after_id ORDER BY a.id LIMIT p_limit
  ), ends AS (
    SELECT * FROM app.audit_chain_ends()
  ), starts AS (
    SELECT DISTINCT ON (c.chain) c.chain, c.chain_seq, c.hash, app.audit_checkpoint_is_signed(c) AS signed
    FROM audit_checkpoints c WHERE c.tenant_id = (SELECT app.tenant_id()) ORDER BY c.chain, c.chain_seq DESC
  ), links AS (
    SELECT a.id, a.chain, a.chain_seq,
      CASE
        WHEN a.chain IS NULL OR a.chain_seq IS NULL OR e.chain IS NULL THEN 'the row is in no chain (inserted)'
        WHEN a.chain_seq > e.last_seq THEN 'the row is beyond its chain''s newest link (inserted)'
        WHEN a.chain_seq <= s.chain_seq THEN 'the row is behind a retention checkpoint (inserted)'
        WHEN s.chain_seq = a.chain_seq - 1 AND NOT s.signed THEN 'the retention checkpoint before this row is not validly signed'
        WHEN p.id IS NULL AND a.chain_seq <> coalesce(s.chain_seq, 0) + 1 THEN 'a row is missing before this one'
        WHEN a.personal_salt IS NULL AND num_nonnulls(a.ip, a.user_agent, a.personal_details) > 0 THEN 'the row was altered'
        WHEN a.personal_salt IS NOT NULL AND a.personal_digest IS DISTINCT FROM app.audit_personal_digest(a) THEN 'the row was altered'
        WHEN a.hash IS DISTINCT FROM app.audit_link_hash(coalesce(p.hash, s.hash, ''), a) THEN 'the row or its predecessor was altered'
      END AS why
    FROM chunk a
    LEFT JOIN ends e ON e.chain = a.chain
    LEFT JOIN starts s ON s.chain = a.chain
    LEFT JOIN audit_log p ON p.tenant_id = a.tenant_id AND p.chain = a.chain AND p.chain_seq = a.chain_seq - 1
  ), broken AS (
    SELECT id, chain, chain_seq, why FROM links WHERE why IS NOT NULL ORDER BY id LIMIT 1
  ), missing_at_end AS (
    SELECT NULL::bigint AS id, e.chain, coalesce((SELECT max(a.chain_seq) FROM audit_log a WHERE a.tenant_id = (SELECT app.tenant_id()) AND a.chain = e.chain),
                                                 (SELECT s.chain_seq FROM starts s WHERE s.chain = e.chain), 0) + 1 AS chain_seq,
           'the newest rows of this chain are missing, from this position on' AS why
    FROM ends e
    WHERE (SELECT count(*) FROM chunk) < p_limit AND e.last_seq > 0
      AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.tenant_id = (SELECT app.tenant_id()) AND a.chain = e.chain AND a.chain_seq = e.last_seq AND a.hash = e.last_hash)
      AND NOT EXISTS (SELECT 1 FROM starts s WHERE s.chain = e.chain AND s.chain_seq = e.last_seq AND s.hash = e.last_hash AND s.signed)
    ORDER BY e.chain LIMIT 1
  ), verdict AS (
    SELECT * FROM broken UNION ALL SELECT * FROM missing_at_end WHERE NOT EXISTS (SELECT 1 FROM broken)
  )
  SELECT (SELECT count(*) FROM chunk), (SELECT max(id) FROM chunk), v.id, v.chain, v.chain_seq, v.why
  FROM (SELECT 1) one LEFT JOIN verdict v ON true
$$;

-- The audit row of a ledger action, as the caller of the claims (user, API key — for its creator, the key in
-- the details — or system caller).
CREATE OR REPLACE FUNCTION app.audit_ledger(p_facts jsonb, p_action text, p_target_type text, p_target_id text, p_details jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_claims jsonb := app.claims(); -- once: each call checks the signature again
BEGIN
  INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, success, ip, user_agent, request_id, details)
  VALUES (nullif(v_claims ->> 'tenant_id', '')::uuid,
          CASE WHEN v_claims ->> 'caller' = 'api_key' THEN 'api_key' WHEN v_claims ->> 'caller' LIKE 'system:%' THEN 'system' ELSE 'user' END,
          coalesce(v_claims ->> 'sub', v_claims ->> 'caller'), p_action, p_target_type, p_target_id, true,
          p_facts ->> 'ip', p_facts ->> 'user_agent', p_facts ->> 'request_id',
          coalesce(p_details, '{}') || CASE WHEN v_claims ? 'key_id' THEN jsonb_build_object('api_key_id', v_claims ->> 'key_id') ELSE '{}' END);
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.audit_system(uuid,text,text,text,text,text,boolean,text,text,text,jsonb) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.chain_audit_row() OWNER TO leave_ledger_definer;
ALTER FUNCTION app.audit_checkpoint_signature(text,audit_checkpoints) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.audit_checkpoint_is_signed(audit_checkpoints) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.audit_chain_ends() OWNER TO leave_ledger_definer;
ALTER FUNCTION app.purge_audit(uuid,timestamptz,integer,jsonb) OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.refuse_audit_change() FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.audit_system(uuid,text,text,text,text,text,boolean,text,text,text,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.audit_system(uuid,text,text,text,text,text,boolean,text,text,text,jsonb) TO leave_ledger_system;
REVOKE ALL ON FUNCTION app.audit_personal_columns(), app.audit_chain_count() FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.audit_personal_columns(), app.audit_chain_count() TO leave_ledger_definer;
REVOKE ALL ON FUNCTION app.audit_row_text(audit_log), app.audit_link_hash(text,audit_log), app.audit_personal_digest(audit_log)
  FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.audit_row_text(audit_log), app.audit_link_hash(text,audit_log), app.audit_personal_digest(audit_log)
  TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.chain_audit_row() FROM PUBLIC, leave_ledger_app, leave_ledger_system;
REVOKE ALL ON FUNCTION app.audit_checkpoint_signature(text,audit_checkpoints) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
REVOKE ALL ON FUNCTION app.audit_checkpoint_is_signed(audit_checkpoints), app.audit_chain_ends() FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.audit_checkpoint_is_signed(audit_checkpoints), app.audit_chain_ends() TO leave_ledger_app;
REVOKE ALL ON FUNCTION app.purge_audit(uuid,timestamptz,integer,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.purge_audit(uuid,timestamptz,integer,jsonb) TO leave_ledger_system;
REVOKE ALL ON FUNCTION app.verify_audit_chains(bigint,integer) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.verify_audit_chains(bigint,integer) TO leave_ledger_app;
REVOKE ALL ON FUNCTION app.audit_ledger(jsonb,text,text,text,jsonb) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.audit_ledger(jsonb,text,text,text,jsonb) TO leave_ledger_definer;
