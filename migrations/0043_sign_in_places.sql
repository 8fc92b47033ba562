-- Where people sign in from and API keys are used from (a country, an ASN), for the security signals of
-- migrations/functions/97_security_signals.sql: written and read by the definer only; and an index for the bulk-adjustments
-- signal. drizzle-kit's output; the grants by hand.
CREATE TABLE "sign_in_places" (
	"tenant_id" uuid NOT NULL,
	"principal_type" text NOT NULL,
	"principal_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sign_in_places_pk" PRIMARY KEY("principal_id","kind","value"),
	CONSTRAINT "sign_in_places_kind" CHECK ("sign_in_places"."principal_type" in ('user', 'api_key') and "sign_in_places"."kind" in ('country', 'asn'))
);
--> statement-breakpoint
ALTER TABLE "sign_in_places" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "sign_in_places" ADD CONSTRAINT "sign_in_places_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sign_in_places_tenant_idx" ON "sign_in_places" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_manual_idx" ON "ledger_entries" USING btree ("tenant_id","actor_id","recorded_at") WHERE "ledger_entries"."kind" in ('grant', 'adjustment');--> statement-breakpoint
CREATE POLICY "sign_in_places_definer" ON "sign_in_places" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE sign_in_places FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_places TO leave_ledger_definer;
