DROP TABLE role_assignments;
--> statement-breakpoint
DROP TABLE employees;
--> statement-breakpoint
DROP TABLE users;
--> statement-breakpoint
DROP TABLE tenants;
--> statement-breakpoint
DROP TYPE user_status;
--> statement-breakpoint
DROP TYPE tenant_status;
--> statement-breakpoint
DROP TYPE app_role;
