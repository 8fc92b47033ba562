-- The transactional outbox: domain events written by triggers in the same transaction as the change they report
-- (migrations/functions/95_outbox.sql), read by System Admins. drizzle-kit's output; the grants by hand.
CREATE TABLE "outbox_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"type" text NOT NULL,
	"subject" text NOT NULL,
	"sequence" integer NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"data" jsonb NOT NULL,
	CONSTRAINT "outbox_events_subject_sequence" UNIQUE("tenant_id","subject","sequence")
);
--> statement-breakpoint
ALTER TABLE "outbox_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "outbox_events" ADD CONSTRAINT "outbox_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outbox_events_tenant_idx" ON "outbox_events" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE POLICY "outbox_events_select" ON "outbox_events" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("outbox_events"."tenant_id" = (select app.tenant_id()) and (select app.can('config:manage')));--> statement-breakpoint
CREATE POLICY "outbox_events_definer" ON "outbox_events" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE outbox_events FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT ON outbox_events TO leave_ledger_app;--> statement-breakpoint
GRANT SELECT, INSERT ON outbox_events TO leave_ledger_definer;
