-- Each tenant's retention (docs/data-protection.md): how long audit rows are kept, and after how many years a
-- year's data keys are destroyed (so its reasons, comments and notes are gone); a System Admin sets them
-- (config:manage), the daily job applies them (app.apply_retention). drizzle-kit's output, then grants by hand.
ALTER TABLE "tenants" ADD COLUMN "audit_retention_years" smallint DEFAULT 7 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "confidential_retention_years" smallint DEFAULT 3;--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_audit_retention" CHECK ("tenants"."audit_retention_years" between 1 and 100);--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_confidential_retention" CHECK ("tenants"."confidential_retention_years" between 1 and 100);--> statement-breakpoint
CREATE POLICY "tenants_update_own" ON "tenants" AS PERMISSIVE FOR UPDATE TO "leave_ledger_app" USING ("tenants"."id" = (select app.tenant_id()) and (select app.can('config:manage'))) WITH CHECK ("tenants"."id" = (select app.tenant_id()));
--> statement-breakpoint
GRANT UPDATE (audit_retention_years, confidential_retention_years) ON tenants TO leave_ledger_app;
--> statement-breakpoint
GRANT SELECT (audit_retention_years, confidential_retention_years) ON tenants TO leave_ledger_definer;
