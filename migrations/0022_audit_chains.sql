-- Several hash chains per tenant, personal fields behind a salted digest, signed retention checkpoints
-- (migrations/functions/30_audit.sql has the functions; docs/data-protection.md the design). The tables and
-- columns are drizzle-kit's output; the re-sealing of existing rows below them is written by hand.
CREATE TABLE "audit_checkpoint_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"secret" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_checkpoint_keys_secret_length" CHECK (octet_length("audit_checkpoint_keys"."secret") >= 32)
);
--> statement-breakpoint
ALTER TABLE "audit_checkpoint_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "audit_checkpoints" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_checkpoints_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid,
	"chain" smallint NOT NULL,
	"chain_seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"rows_purged" bigint NOT NULL,
	"purged_before" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"signature" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP INDEX "audit_log_chain_idx";--> statement-breakpoint
-- A tenant's existing chain becomes its chain 0.
ALTER TABLE "audit_chain_heads" ADD COLUMN "chain" smallint NOT NULL DEFAULT 0;--> statement-breakpoint
ALTER TABLE "audit_chain_heads" ALTER COLUMN "chain" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "audit_chain_heads" DROP CONSTRAINT "audit_chain_heads_pkey";--> statement-breakpoint
ALTER TABLE "audit_chain_heads" ADD CONSTRAINT "audit_chain_heads_chain_id_chain_pk" PRIMARY KEY("chain_id","chain");--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "personal_details" jsonb;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "chain" smallint;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "personal_salt" "bytea";--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "personal_digest" text;--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_checkpoints_chain_idx" ON "audit_checkpoints" USING btree ("tenant_id","chain","chain_seq");--> statement-breakpoint
CREATE POLICY "audit_checkpoint_keys_definer" ON "audit_checkpoint_keys" AS PERMISSIVE FOR SELECT TO "leave_ledger_definer" USING (true);--> statement-breakpoint
CREATE POLICY "audit_checkpoints_select" ON "audit_checkpoints" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("audit_checkpoints"."tenant_id" = (select app.tenant_id()) and (select app.can('audit:read')));--> statement-breakpoint
CREATE POLICY "audit_checkpoints_definer" ON "audit_checkpoints" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);
--> statement-breakpoint
-- Re-sealing. Every existing row is checked against the chain it was sealed in (the formula of migration 0013,
-- restated here so that this step does not depend on what the function files define now); a row that does not
-- follow stops the migration, so tampering is never sealed in. Then each tenant's rows, in chain order, become
-- chain 0 of the new design: a random salt per row, the digest of its personal fields, and a hash that covers
-- the digest instead of the fields.
CREATE FUNCTION pg_temp.legacy_hash(p_previous text, a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(p_previous || '|' || jsonb_build_array(a.id, a.tenant_id,
    to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), a.actor_type, a.actor_id, a.action, a.target_type,
    a.target_id, a.success, a.ip, a.user_agent, a.request_id, a.details, a.chain_seq)::text, 'UTF8')), 'hex')
$$;
--> statement-breakpoint
CREATE FUNCTION pg_temp.personal_digest(a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(a.personal_salt || convert_to(jsonb_build_array(a.ip, a.user_agent, a.personal_details)::text, 'UTF8')), 'hex')
$$;
--> statement-breakpoint
CREATE FUNCTION pg_temp.link_hash(p_previous text, a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(p_previous || '|' || jsonb_build_array(a.id, a.tenant_id,
    to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), a.actor_type, a.actor_id, a.action, a.target_type,
    a.target_id, a.success, a.request_id, a.details, a.chain, a.chain_seq, a.personal_digest)::text, 'UTF8')), 'hex')
$$;
--> statement-breakpoint
DO $$
DECLARE
  v_broken bigint;
  a audit_log;
  v_scope uuid;
  v_previous_scope uuid;
  v_seq bigint;
  v_previous_hash text;
BEGIN
  SELECT id INTO v_broken FROM (
    SELECT l.id, l.chain_seq, l.hash, lag(l.chain_seq) OVER w AS previous_seq, pg_temp.legacy_hash(coalesce(lag(l.hash) OVER w, ''), l) AS expected
    FROM audit_log l WHERE l.chain_seq IS NOT NULL
    WINDOW w AS (PARTITION BY l.tenant_id ORDER BY l.chain_seq)
  ) links
  WHERE chain_seq <> coalesce(previous_seq, 0) + 1 OR hash IS DISTINCT FROM expected
  ORDER BY id LIMIT 1;
  IF v_broken IS NOT NULL THEN
    RAISE EXCEPTION 'audit_log row % does not follow from its predecessor in its tenant''s hash chain: the log was altered; find out why before migrating', v_broken;
  END IF;

  ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY;
  ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete;
  FOR a IN SELECT * FROM audit_log ORDER BY coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'), chain_seq NULLS FIRST, id LOOP
    v_scope := coalesce(a.tenant_id, '00000000-0000-0000-0000-000000000000');
    IF v_scope IS DISTINCT FROM v_previous_scope THEN
      v_seq := 0;
      v_previous_hash := '';
      v_previous_scope := v_scope;
    END IF;
    v_seq := v_seq + 1;
    a.chain := 0;
    a.chain_seq := v_seq;
    a.personal_salt := gen_random_bytes(16);
    a.personal_digest := pg_temp.personal_digest(a);
    a.hash := pg_temp.link_hash(v_previous_hash, a);
    UPDATE audit_log SET chain = a.chain, chain_seq = a.chain_seq, personal_salt = a.personal_salt, personal_digest = a.personal_digest, hash = a.hash
    WHERE id = a.id;
    v_previous_hash := a.hash;
  END LOOP;
  ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete;
  ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

  DELETE FROM audit_chain_heads;
  INSERT INTO audit_chain_heads (chain_id, chain, last_seq, last_hash)
  SELECT DISTINCT ON (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000')) coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'), 0, chain_seq, hash
  FROM audit_log ORDER BY coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'), chain_seq DESC;
END
$$;
--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_chain_position" UNIQUE NULLS NOT DISTINCT("tenant_id","chain","chain_seq");--> statement-breakpoint
-- Erasure (the personal fields and their salt, nothing else: the trigger checks) and retention (rows behind a
-- checkpoint) are done by definer functions for signed callers.
GRANT UPDATE (ip, user_agent, personal_details, personal_salt), DELETE ON audit_log TO leave_ledger_definer;
--> statement-breakpoint
CREATE POLICY audit_log_definer_erase ON audit_log FOR UPDATE TO leave_ledger_definer
  USING ((select app.claims() ->> 'caller') is not null) WITH CHECK ((select app.claims() ->> 'caller') is not null);
--> statement-breakpoint
CREATE POLICY audit_log_definer_purge ON audit_log FOR DELETE TO leave_ledger_definer USING ((select app.claims() ->> 'caller') is not null);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO leave_ledger_definer;
--> statement-breakpoint
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON audit_checkpoints TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_checkpoints TO leave_ledger_definer;
--> statement-breakpoint
-- The checkpoint key is made here, by Postgres, and never leaves it: only the definer reads it (to sign and to
-- check a checkpoint), FORCE binds the owner too.
INSERT INTO audit_checkpoint_keys (kid, secret) VALUES ('ck1', gen_random_bytes(32));
--> statement-breakpoint
ALTER TABLE audit_checkpoint_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON audit_checkpoint_keys TO leave_ledger_definer;
--> statement-breakpoint
-- Temporary functions last as long as the session, which may go on to other migrations.
DROP FUNCTION pg_temp.legacy_hash(text, audit_log), pg_temp.personal_digest(audit_log), pg_temp.link_hash(text, audit_log);
