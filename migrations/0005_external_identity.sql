ALTER TABLE "users" ADD COLUMN "external_subject" text;--> statement-breakpoint
CREATE UNIQUE INDEX "users_tenant_external_subject_key" ON "users" USING btree ("tenant_id","external_subject");