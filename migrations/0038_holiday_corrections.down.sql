REVOKE INSERT, DELETE ON holidays FROM leave_ledger_definer;
--> statement-breakpoint
GRANT INSERT, DELETE ON holidays TO leave_ledger_app;
--> statement-breakpoint
DROP POLICY "holidays_definer" ON "holidays" CASCADE;
--> statement-breakpoint
CREATE POLICY "holidays_definer" ON "holidays" AS PERMISSIVE FOR SELECT TO "leave_ledger_definer" USING (true);
--> statement-breakpoint
CREATE POLICY "holidays_insert" ON "holidays" AS PERMISSIVE FOR INSERT TO "leave_ledger_app" WITH CHECK ("holidays"."tenant_id" = (select app.tenant_id()) and (select app.can('policy:manage')));
--> statement-breakpoint
CREATE POLICY "holidays_delete" ON "holidays" AS PERMISSIVE FOR DELETE TO "leave_ledger_app" USING ("holidays"."tenant_id" = (select app.tenant_id()) and (select app.can('policy:manage')));
--> statement-breakpoint
DROP INDEX "leave_requests_open_end_idx";
