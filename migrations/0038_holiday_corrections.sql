-- Holiday corrections: a holiday is added or removed only through app.change_holiday, which reprices the open
-- requests the change touches in the same transaction (migrations/functions/73_corrections.sql); the app role
-- keeps reading holidays and no longer writes them. The index finds the open requests spanning a day.
-- drizzle-kit's output; the grants by hand.
CREATE INDEX "leave_requests_open_end_idx" ON "leave_requests" USING btree ("tenant_id","end_date") WHERE "leave_requests"."status" in ('pending', 'approved');--> statement-breakpoint
DROP POLICY "holidays_insert" ON "holidays" CASCADE;--> statement-breakpoint
DROP POLICY "holidays_delete" ON "holidays" CASCADE;--> statement-breakpoint
DROP POLICY "holidays_definer" ON "holidays" CASCADE;--> statement-breakpoint
CREATE POLICY "holidays_definer" ON "holidays" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
REVOKE INSERT, DELETE ON holidays FROM leave_ledger_app;--> statement-breakpoint
GRANT INSERT, DELETE ON holidays TO leave_ledger_definer;
