DROP INDEX "users_email_trgm";
--> statement-breakpoint
DROP INDEX "users_display_name_trgm";
--> statement-breakpoint
DROP INDEX "employees_number_trgm";
