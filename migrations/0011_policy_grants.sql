ALTER TABLE leave_policies FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE policy_assignments FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Policies are never edited: a change is a new version (INSERT only).
GRANT SELECT, INSERT ON leave_policies TO leave_ledger_app;
--> statement-breakpoint
-- Assignments end (ends_on) rather than disappear.
GRANT SELECT, INSERT, UPDATE (ends_on) ON policy_assignments TO leave_ledger_app;
