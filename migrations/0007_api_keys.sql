CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"role" "app_role" NOT NULL,
	"scopes" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_prefix_unique" UNIQUE("prefix"),
	CONSTRAINT "api_keys_not_system_admin" CHECK ("api_keys"."role" <> 'system_admin')
);
--> statement-breakpoint
ALTER TABLE "api_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_tenant_idx" ON "api_keys" USING btree ("tenant_id");--> statement-breakpoint
CREATE POLICY "api_keys_select" ON "api_keys" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("api_keys"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['system_admin'])));--> statement-breakpoint
CREATE POLICY "api_keys_insert" ON "api_keys" AS PERMISSIVE FOR INSERT TO "leave_ledger_app" WITH CHECK ("api_keys"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['system_admin'])) and "api_keys"."created_by" = (select app.user_id()));--> statement-breakpoint
CREATE POLICY "api_keys_update" ON "api_keys" AS PERMISSIVE FOR UPDATE TO "leave_ledger_app" USING ("api_keys"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['system_admin']))) WITH CHECK ("api_keys"."tenant_id" = (select app.tenant_id()));--> statement-breakpoint
CREATE POLICY "api_keys_definer" ON "api_keys" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER POLICY "audit_log_insert" ON "audit_log" TO leave_ledger_app WITH CHECK ("audit_log"."tenant_id" = (select app.tenant_id()) and "audit_log"."actor_id" = (select app.user_id())::text and "audit_log"."actor_type" = (case when (select app.claims() ->> 'caller') = 'api_key' then 'api_key' else 'user' end));