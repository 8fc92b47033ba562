REVOKE UPDATE (holiday_calendar) ON employees FROM leave_ledger_app;
--> statement-breakpoint
ALTER TABLE "holidays" DROP CONSTRAINT "holidays_calendar_format";
--> statement-breakpoint
ALTER TABLE "employees" DROP CONSTRAINT "employees_holiday_calendar_format";
--> statement-breakpoint
-- Only the default calendar's holidays fit the old key.
DELETE FROM "holidays" WHERE "calendar" <> 'default';
--> statement-breakpoint
ALTER TABLE "holidays" DROP CONSTRAINT "holidays_tenant_id_calendar_day_pk";
--> statement-breakpoint
ALTER TABLE "holidays" ADD CONSTRAINT "holidays_tenant_id_day_pk" PRIMARY KEY("tenant_id","day");
--> statement-breakpoint
ALTER TABLE "employees" DROP COLUMN "holiday_calendar";
--> statement-breakpoint
ALTER TABLE "holidays" DROP COLUMN "calendar";
