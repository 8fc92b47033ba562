ALTER POLICY role_assignments_definer ON role_assignments USING (true);
--> statement-breakpoint
ALTER POLICY employees_definer ON employees USING (true);
--> statement-breakpoint
ALTER POLICY users_definer ON users USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER POLICY "tenants_directory_lookup" ON "tenants" TO leave_ledger_definer USING (true);
--> statement-breakpoint
ALTER POLICY "refresh_tokens_definer" ON "refresh_tokens" TO leave_ledger_definer USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER POLICY "credentials_definer" ON "credentials" TO leave_ledger_definer USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER POLICY "audit_log_definer_insert" ON "audit_log" TO leave_ledger_definer WITH CHECK (true);
--> statement-breakpoint
ALTER POLICY "api_keys_definer" ON "api_keys" TO leave_ledger_definer USING (true) WITH CHECK (true);
--> statement-breakpoint
DROP TABLE claims_keys;
--> statement-breakpoint
DROP EXTENSION IF EXISTS pgcrypto;
