DROP FUNCTION app.tenant_directory(text);
--> statement-breakpoint
DROP FUNCTION app.readiness();
--> statement-breakpoint
DROP POLICY schema_migrations_readiness ON schema_migrations;
--> statement-breakpoint
REVOKE ALL ON schema_migrations FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON tenants, users, employees, role_assignments FROM leave_ledger_app, leave_ledger_definer;
--> statement-breakpoint
ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE employees NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE role_assignments NO FORCE ROW LEVEL SECURITY;
