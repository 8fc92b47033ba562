DROP INDEX "request_comments_author_idx";
--> statement-breakpoint
DROP INDEX "request_comments_employee_idx";
