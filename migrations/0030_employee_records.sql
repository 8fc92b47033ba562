-- Employee records HR can edit (name, email, number, hire date) and end (termination): the last day of
-- employment, set only by app.terminate_employee; HR edits only the records of those it may manage, never a
-- System Admin's (the same rule as roles and credentials). drizzle-kit's output, then the grants by hand.
ALTER TABLE "employees" ADD COLUMN "end_date" date;--> statement-breakpoint
ALTER TABLE "employees" ADD CONSTRAINT "employees_end_after_hire" CHECK ("employees"."end_date" >= "employees"."hire_date");--> statement-breakpoint
ALTER POLICY "employees_update" ON "employees" TO leave_ledger_app USING ("employees"."tenant_id" = (select app.tenant_id()) and (select app.can('user:manage')) and (select app.may_manage("employees"."user_id"))) WITH CHECK ("employees"."tenant_id" = (select app.tenant_id()));
--> statement-breakpoint
GRANT UPDATE (hire_date) ON employees TO leave_ledger_app;
--> statement-breakpoint
GRANT UPDATE (end_date) ON employees TO leave_ledger_definer;
