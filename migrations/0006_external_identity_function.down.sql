DROP FUNCTION app.user_by_external_subject(uuid, text);
--> statement-breakpoint
REVOKE SELECT (external_subject) ON users FROM leave_ledger_definer;
