-- One statement: the users policy reads employees and employees references users.
DROP TABLE role_assignments, employees, users, tenants;
--> statement-breakpoint
DROP TYPE user_status;
--> statement-breakpoint
DROP TYPE tenant_status;
--> statement-breakpoint
DROP TYPE app_role;
