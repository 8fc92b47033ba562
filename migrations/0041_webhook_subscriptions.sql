-- Webhook subscriptions: where a tenant's events go, managed by its System Admins through the app role under the
-- policies below; the signing secret arrives sealed by the Worker. drizzle-kit's output; the grants by hand.
CREATE TABLE "webhook_subscriptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"url" text NOT NULL,
	"event_types" text[] DEFAULT '{}'::text[] NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"secret" text NOT NULL,
	"secret_kek_id" text NOT NULL,
	"previous_secret" text,
	"previous_secret_kek_id" text,
	"previous_secret_expires_at" timestamp with time zone,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_subscriptions_secret_sealed" CHECK ("webhook_subscriptions"."secret" like 'v1.%' and ("webhook_subscriptions"."previous_secret" is null or "webhook_subscriptions"."previous_secret" like 'v1.%')),
	CONSTRAINT "webhook_subscriptions_previous_secret" CHECK (("webhook_subscriptions"."previous_secret" is null) = ("webhook_subscriptions"."previous_secret_kek_id" is null) and ("webhook_subscriptions"."previous_secret" is null) = ("webhook_subscriptions"."previous_secret_expires_at" is null))
);
--> statement-breakpoint
ALTER TABLE "webhook_subscriptions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "webhook_subscriptions" ADD CONSTRAINT "webhook_subscriptions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_subscriptions_tenant_idx" ON "webhook_subscriptions" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE POLICY "webhook_subscriptions_select" ON "webhook_subscriptions" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("webhook_subscriptions"."tenant_id" = (select app.tenant_id()) and (select app.tenant_id()) is not null and (select app.can('config:manage')));--> statement-breakpoint
CREATE POLICY "webhook_subscriptions_insert" ON "webhook_subscriptions" AS PERMISSIVE FOR INSERT TO "leave_ledger_app" WITH CHECK ("webhook_subscriptions"."tenant_id" = (select app.tenant_id()) and (select app.tenant_id()) is not null and (select app.can('config:manage')));--> statement-breakpoint
CREATE POLICY "webhook_subscriptions_update" ON "webhook_subscriptions" AS PERMISSIVE FOR UPDATE TO "leave_ledger_app" USING ("webhook_subscriptions"."tenant_id" = (select app.tenant_id()) and (select app.tenant_id()) is not null and (select app.can('config:manage'))) WITH CHECK ("webhook_subscriptions"."tenant_id" = (select app.tenant_id()) and (select app.tenant_id()) is not null and (select app.can('config:manage')));--> statement-breakpoint
CREATE POLICY "webhook_subscriptions_delete" ON "webhook_subscriptions" AS PERMISSIVE FOR DELETE TO "leave_ledger_app" USING ("webhook_subscriptions"."tenant_id" = (select app.tenant_id()) and (select app.tenant_id()) is not null and (select app.can('config:manage')));--> statement-breakpoint
CREATE POLICY "webhook_subscriptions_definer" ON "webhook_subscriptions" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE webhook_subscriptions FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_subscriptions TO leave_ledger_app;--> statement-breakpoint
GRANT SELECT ON webhook_subscriptions TO leave_ledger_definer;
