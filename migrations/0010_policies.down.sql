DROP TABLE policy_assignments, leave_policies;
--> statement-breakpoint
DROP TYPE policy_unit;
--> statement-breakpoint
DROP TYPE accrual_period;
