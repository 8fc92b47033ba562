REVOKE ALL ON leave_policies, policy_assignments FROM leave_ledger_app;
--> statement-breakpoint
ALTER TABLE policy_assignments NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE leave_policies NO FORCE ROW LEVEL SECURITY;
