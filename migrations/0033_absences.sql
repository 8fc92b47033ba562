-- Who is out in a window (GET /v1/absences): the tenant's booked days by day. drizzle-kit's output.
CREATE INDEX "booked_days_tenant_day_idx" ON "booked_days" USING btree ("tenant_id","day");
