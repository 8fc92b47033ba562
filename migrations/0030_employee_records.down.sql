REVOKE UPDATE (end_date) ON employees FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE UPDATE (hire_date) ON employees FROM leave_ledger_app;
--> statement-breakpoint
ALTER POLICY "employees_update" ON "employees" TO leave_ledger_app USING ("employees"."tenant_id" = (select app.tenant_id()) and (select app.can('user:manage'))) WITH CHECK ("employees"."tenant_id" = (select app.tenant_id()));
--> statement-breakpoint
ALTER TABLE "employees" DROP CONSTRAINT "employees_end_after_hire";
--> statement-breakpoint
ALTER TABLE "employees" DROP COLUMN "end_date";
