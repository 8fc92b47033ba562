-- Per-location holiday calendars: a tenant's holidays belong to a calendar (existing ones to `default`), and each
-- employee follows one (everyone `default` until HR says otherwise). drizzle-kit's output, reordered so the
-- column exists before the key that names it; the grant by hand.
ALTER TABLE "holidays" ADD COLUMN "calendar" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "employees" ADD COLUMN "holiday_calendar" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "holidays" DROP CONSTRAINT "holidays_tenant_id_day_pk";--> statement-breakpoint
ALTER TABLE "holidays" ADD CONSTRAINT "holidays_tenant_id_calendar_day_pk" PRIMARY KEY("tenant_id","calendar","day");--> statement-breakpoint
ALTER TABLE "employees" ADD CONSTRAINT "employees_holiday_calendar_format" CHECK ("employees"."holiday_calendar" ~ '^[a-z0-9][a-z0-9-]{1,62}$');--> statement-breakpoint
ALTER TABLE "holidays" ADD CONSTRAINT "holidays_calendar_format" CHECK ("holidays"."calendar" ~ '^[a-z0-9][a-z0-9-]{1,62}$');--> statement-breakpoint
GRANT UPDATE (holiday_calendar) ON employees TO leave_ledger_app;
