DROP FUNCTION app.touch_api_key(uuid, timestamptz);
--> statement-breakpoint
DROP FUNCTION app.api_key_lookup(text);
--> statement-breakpoint
REVOKE ALL ON api_keys FROM leave_ledger_app, leave_ledger_definer;
--> statement-breakpoint
ALTER TABLE api_keys NO FORCE ROW LEVEL SECURITY;
