ALTER POLICY "audit_log_insert" ON "audit_log" TO leave_ledger_app WITH CHECK ("audit_log"."tenant_id" = (select app.tenant_id()) and "audit_log"."actor_type" = 'user' and "audit_log"."actor_id" = (select app.user_id())::text);
--> statement-breakpoint
DROP TABLE api_keys;
