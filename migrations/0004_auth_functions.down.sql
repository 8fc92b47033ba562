DROP FUNCTION app.audit_system(uuid, text, text, text, text, text, boolean, text, text, text, jsonb);
--> statement-breakpoint
DROP FUNCTION app.end_all_sessions(uuid, bigint, timestamptz);
--> statement-breakpoint
DROP FUNCTION app.revoke_refresh_family(text, timestamptz);
--> statement-breakpoint
DROP FUNCTION app.rotate_refresh_token(text, text, timestamptz, timestamptz);
--> statement-breakpoint
DROP FUNCTION app.issue_refresh_token(uuid, uuid, text, timestamptz);
--> statement-breakpoint
DROP FUNCTION app.identity(uuid, uuid);
--> statement-breakpoint
DROP FUNCTION app.pin_candidate(text, text);
--> statement-breakpoint
DROP FUNCTION app.login_candidate(text, text);
--> statement-breakpoint
DROP TRIGGER audit_log_no_truncate ON audit_log;
--> statement-breakpoint
DROP TRIGGER audit_log_no_update_delete ON audit_log;
--> statement-breakpoint
DROP FUNCTION app.refuse_audit_change();
--> statement-breakpoint
DROP POLICY role_assignments_definer ON role_assignments;
--> statement-breakpoint
DROP POLICY employees_definer ON employees;
--> statement-breakpoint
DROP POLICY users_definer ON users;
--> statement-breakpoint
REVOKE ALL ON users, employees, role_assignments, credentials, refresh_tokens, audit_log FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON audit_log FROM leave_ledger_app;
--> statement-breakpoint
REVOKE UPDATE (session_version, permission_version) ON users FROM leave_ledger_app;
--> statement-breakpoint
ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE refresh_tokens NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE credentials NO FORCE ROW LEVEL SECURITY;
