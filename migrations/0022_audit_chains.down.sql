-- Back to one chain per tenant: each tenant's rows, in id order, re-sealed with migration 0013's formula (the
-- personal fields in the hash again). Checkpoints and what retention purged are gone for good; erased fields
-- stay erased; personal_details are dropped with their column.
REVOKE SELECT ON audit_checkpoint_keys FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON audit_checkpoints FROM leave_ledger_app, leave_ledger_definer;
--> statement-breakpoint
DROP POLICY audit_log_definer_purge ON audit_log;
--> statement-breakpoint
DROP POLICY audit_log_definer_erase ON audit_log;
--> statement-breakpoint
REVOKE UPDATE (ip, user_agent, personal_details, personal_salt), DELETE ON audit_log FROM leave_ledger_definer;
--> statement-breakpoint
ALTER TABLE "audit_log" DROP CONSTRAINT "audit_log_chain_position";--> statement-breakpoint
DROP TABLE "audit_checkpoint_keys" CASCADE;--> statement-breakpoint
DROP TABLE "audit_checkpoints" CASCADE;--> statement-breakpoint
ALTER TABLE "audit_log" DROP COLUMN "personal_details";--> statement-breakpoint
ALTER TABLE "audit_log" DROP COLUMN "chain";--> statement-breakpoint
ALTER TABLE "audit_log" DROP COLUMN "personal_salt";--> statement-breakpoint
ALTER TABLE "audit_log" DROP COLUMN "personal_digest";--> statement-breakpoint
CREATE FUNCTION pg_temp.legacy_hash(p_previous text, a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(p_previous || '|' || jsonb_build_array(a.id, a.tenant_id,
    to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), a.actor_type, a.actor_id, a.action, a.target_type,
    a.target_id, a.success, a.ip, a.user_agent, a.request_id, a.details, a.chain_seq)::text, 'UTF8')), 'hex')
$$;
--> statement-breakpoint
DO $$
DECLARE
  a audit_log;
  v_scope uuid;
  v_previous_scope uuid;
  v_seq bigint;
  v_previous_hash text;
BEGIN
  ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY;
  ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete;
  FOR a IN SELECT * FROM audit_log ORDER BY coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'), id LOOP
    v_scope := coalesce(a.tenant_id, '00000000-0000-0000-0000-000000000000');
    IF v_scope IS DISTINCT FROM v_previous_scope THEN
      v_seq := 0;
      v_previous_hash := '';
      v_previous_scope := v_scope;
    END IF;
    v_seq := v_seq + 1;
    a.chain_seq := v_seq;
    a.hash := pg_temp.legacy_hash(v_previous_hash, a);
    UPDATE audit_log SET chain_seq = a.chain_seq, hash = a.hash WHERE id = a.id;
    v_previous_hash := a.hash;
  END LOOP;
  ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete;
  ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

  DELETE FROM audit_chain_heads;
END
$$;
--> statement-breakpoint
ALTER TABLE "audit_chain_heads" DROP CONSTRAINT "audit_chain_heads_chain_id_chain_pk";--> statement-breakpoint
ALTER TABLE "audit_chain_heads" DROP COLUMN "chain";--> statement-breakpoint
ALTER TABLE "audit_chain_heads" ADD CONSTRAINT "audit_chain_heads_pkey" PRIMARY KEY ("chain_id");--> statement-breakpoint
INSERT INTO audit_chain_heads (chain_id, last_seq, last_hash)
SELECT DISTINCT ON (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000')) coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'), chain_seq, hash
FROM audit_log ORDER BY coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'), chain_seq DESC;
--> statement-breakpoint
CREATE INDEX "audit_log_chain_idx" ON "audit_log" USING btree ("tenant_id","chain_seq");
--> statement-breakpoint
-- Temporary functions last as long as the session, which may go on to other migrations.
DROP FUNCTION pg_temp.legacy_hash(text, audit_log);
