-- Confidential fields encrypted by the Worker (src/crypto): the data keys, one per employee and year, kept
-- wrapped by the Worker's key-encryption key; the rows name the key their sealed fields need. drizzle-kit's
-- output, then grants by hand. That a new reason or comment is sealed is checked by triggers
-- (migrations/functions/62_data_keys.sql), which leave rows written before this release as they are.
CREATE TABLE "data_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"year" smallint NOT NULL,
	"wrapped" "bytea",
	"kek_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rewrapped_at" timestamp with time zone,
	"destroyed_at" timestamp with time zone,
	CONSTRAINT "data_keys_one_per_employee_year" UNIQUE("tenant_id","employee_id","year"),
	CONSTRAINT "data_keys_year" CHECK ("data_keys"."year" between 1 and 9999),
	CONSTRAINT "data_keys_wrapped_or_destroyed" CHECK (("data_keys"."wrapped" is null) = ("data_keys"."destroyed_at" is not null) and ("data_keys"."wrapped" is null) = ("data_keys"."kek_id" is null) and ("data_keys"."wrapped" is null or octet_length("data_keys"."wrapped") = 40))
);
--> statement-breakpoint
ALTER TABLE "data_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "data_key_id" uuid;--> statement-breakpoint
ALTER TABLE "leave_requests" ADD COLUMN "data_key_id" uuid;--> statement-breakpoint
ALTER TABLE "data_keys" ADD CONSTRAINT "data_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_keys" ADD CONSTRAINT "data_keys_employee_id_employees_id_fk" FOREIGN KEY ("employee_id") REFERENCES "public"."employees"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_data_key_id_data_keys_id_fk" FOREIGN KEY ("data_key_id") REFERENCES "public"."data_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leave_requests" ADD CONSTRAINT "leave_requests_data_key_id_data_keys_id_fk" FOREIGN KEY ("data_key_id") REFERENCES "public"."data_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE POLICY "data_keys_select" ON "data_keys" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("data_keys"."tenant_id" = (select app.tenant_id()) and ("data_keys"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "data_keys"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "data_keys_definer" ON "data_keys" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING ((select app.claims() ->> 'caller') is not null) WITH CHECK ((select app.claims() ->> 'caller') is not null);
--> statement-breakpoint
ALTER TABLE data_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON data_keys TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON data_keys TO leave_ledger_definer;
