CREATE TYPE "public"."app_role" AS ENUM('employee', 'manager', 'hr_admin', 'system_admin', 'auditor');--> statement-breakpoint
CREATE TYPE "public"."tenant_status" AS ENUM('active', 'suspended');--> statement-breakpoint
CREATE TYPE "public"."user_status" AS ENUM('active', 'deactivated');--> statement-breakpoint
CREATE TABLE "employees" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"employee_number" text NOT NULL,
	"manager_id" uuid,
	"time_zone" text NOT NULL,
	"hire_date" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "employees_user_id_unique" UNIQUE("user_id"),
	CONSTRAINT "employees_tenant_id_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "employees_tenant_number_key" UNIQUE("tenant_id","employee_number"),
	CONSTRAINT "employees_not_own_manager" CHECK ("employees"."manager_id" is distinct from "employees"."id"),
	CONSTRAINT "employees_time_zone_format" CHECK ("employees"."time_zone" ~ '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$')
);
--> statement-breakpoint
ALTER TABLE "employees" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "role_assignments" (
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" "app_role" NOT NULL,
	"granted_by" uuid,
	"granted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "role_assignments_user_id_role_pk" PRIMARY KEY("user_id","role")
);
--> statement-breakpoint
ALTER TABLE "role_assignments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"status" "tenant_status" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_slug_unique" UNIQUE("slug"),
	CONSTRAINT "tenants_slug_format" CHECK ("tenants"."slug" ~ '^[a-z0-9][a-z0-9-]{1,62}$')
);
--> statement-breakpoint
ALTER TABLE "tenants" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"email" text NOT NULL,
	"display_name" text NOT NULL,
	"status" "user_status" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_tenant_id_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "users_email_format" CHECK ("users"."email" ~ '^[^@\s]+@[^@\s]+$')
);
--> statement-breakpoint
ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "employees" ADD CONSTRAINT "employees_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "employees" ADD CONSTRAINT "employees_user_fk" FOREIGN KEY ("tenant_id","user_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "employees" ADD CONSTRAINT "employees_manager_fk" FOREIGN KEY ("tenant_id","manager_id") REFERENCES "public"."employees"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_user_fk" FOREIGN KEY ("tenant_id","user_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "employees_manager_idx" ON "employees" USING btree ("tenant_id","manager_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_tenant_email_key" ON "users" USING btree ("tenant_id",lower("email"));--> statement-breakpoint
CREATE POLICY "employees_select" ON "employees" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("employees"."tenant_id" = (select app.tenant_id()) and ("employees"."id" = (select app.employee_id()) or "employees"."manager_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor']))));--> statement-breakpoint
CREATE POLICY "employees_insert" ON "employees" AS PERMISSIVE FOR INSERT TO "leave_ledger_app" WITH CHECK ("employees"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));--> statement-breakpoint
CREATE POLICY "employees_update" ON "employees" AS PERMISSIVE FOR UPDATE TO "leave_ledger_app" USING ("employees"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin']))) WITH CHECK ("employees"."tenant_id" = (select app.tenant_id()));--> statement-breakpoint
CREATE POLICY "role_assignments_select" ON "role_assignments" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("role_assignments"."tenant_id" = (select app.tenant_id()) and ("role_assignments"."user_id" = (select app.user_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor']))));--> statement-breakpoint
CREATE POLICY "role_assignments_insert" ON "role_assignments" AS PERMISSIVE FOR INSERT TO "leave_ledger_app" WITH CHECK ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.has_any_role(array['system_admin'])) or ((select app.has_any_role(array['hr_admin'])) and "role_assignments"."role" <> 'system_admin')));--> statement-breakpoint
CREATE POLICY "role_assignments_delete" ON "role_assignments" AS PERMISSIVE FOR DELETE TO "leave_ledger_app" USING ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.has_any_role(array['system_admin'])) or ((select app.has_any_role(array['hr_admin'])) and "role_assignments"."role" <> 'system_admin')));--> statement-breakpoint
CREATE POLICY "tenants_select_own" ON "tenants" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("tenants"."id" = (select app.tenant_id()));--> statement-breakpoint
CREATE POLICY "tenants_directory_lookup" ON "tenants" AS PERMISSIVE FOR SELECT TO "leave_ledger_definer" USING (true);--> statement-breakpoint
CREATE POLICY "users_select" ON "users" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("users"."tenant_id" = (select app.tenant_id()) and ("users"."id" = (select app.user_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.user_id = "users"."id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "users_insert" ON "users" AS PERMISSIVE FOR INSERT TO "leave_ledger_app" WITH CHECK ("users"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));--> statement-breakpoint
CREATE POLICY "users_update" ON "users" AS PERMISSIVE FOR UPDATE TO "leave_ledger_app" USING ("users"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin']))) WITH CHECK ("users"."tenant_id" = (select app.tenant_id()));