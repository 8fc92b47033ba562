DROP FUNCTION app.post_accruals(jsonb), app.year_end_rollover(jsonb), app.reverse_rollover(jsonb), app.sweep(jsonb), app.active_tenants(), app.rollover_in_effect(uuid, int);
--> statement-breakpoint
REVOKE SELECT (status) ON tenants FROM leave_ledger_definer;
--> statement-breakpoint
DROP TRIGGER accrual_postings_append_only ON accrual_postings;
--> statement-breakpoint
REVOKE ALL ON accrual_postings FROM leave_ledger_app, leave_ledger_definer;
--> statement-breakpoint
ALTER TABLE accrual_postings NO FORCE ROW LEVEL SECURITY;
