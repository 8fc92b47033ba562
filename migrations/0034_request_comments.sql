-- A request's comment thread: append-only, each body sealed by the Worker with the requester's data key
-- (triggers in migrations/functions: 50_append_only.sql, 62_data_keys.sql), written only by
-- app.add_request_comment, read under the same policy as the request. drizzle-kit's output, then by hand.
CREATE TABLE "request_comments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"position" bigint GENERATED ALWAYS AS IDENTITY (sequence name "request_comments_position_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"request_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"author_id" uuid NOT NULL,
	"body" text NOT NULL,
	"data_key_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "request_comments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "request_comments" ADD CONSTRAINT "request_comments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_comments" ADD CONSTRAINT "request_comments_request_id_leave_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."leave_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_comments" ADD CONSTRAINT "request_comments_data_key_id_data_keys_id_fk" FOREIGN KEY ("data_key_id") REFERENCES "public"."data_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "request_comments_request_idx" ON "request_comments" USING btree ("request_id","position");--> statement-breakpoint
CREATE POLICY "request_comments_select" ON "request_comments" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("request_comments"."tenant_id" = (select app.tenant_id()) and ("request_comments"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "request_comments"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "request_comments_definer" ON "request_comments" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE request_comments FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON request_comments TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON request_comments TO leave_ledger_definer;
