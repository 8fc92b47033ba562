-- A person's export reads the comments on their requests and those they wrote (migrations/functions/66_export.sql). drizzle-kit's output.
CREATE INDEX "request_comments_employee_idx" ON "request_comments" USING btree ("employee_id","position");--> statement-breakpoint
CREATE INDEX "request_comments_author_idx" ON "request_comments" USING btree ("author_id","position");