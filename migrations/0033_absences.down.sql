DROP INDEX "booked_days_tenant_day_idx";
