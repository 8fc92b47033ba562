REVOKE SELECT (audit_retention_years, confidential_retention_years) ON tenants FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE UPDATE (audit_retention_years, confidential_retention_years) ON tenants FROM leave_ledger_app;
--> statement-breakpoint
DROP POLICY "tenants_update_own" ON "tenants";
--> statement-breakpoint
ALTER TABLE "tenants" DROP CONSTRAINT "tenants_confidential_retention";
--> statement-breakpoint
ALTER TABLE "tenants" DROP CONSTRAINT "tenants_audit_retention";
--> statement-breakpoint
ALTER TABLE "tenants" DROP COLUMN "confidential_retention_years";
--> statement-breakpoint
ALTER TABLE "tenants" DROP COLUMN "audit_retention_years";
