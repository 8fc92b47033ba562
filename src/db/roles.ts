/**
 * Database roles (cluster-wide names, created by migrations/0000). Only `authenticator` can log in; request
 * code switches to `app` (end users, RLS applies) or `system` (named system callers, EXECUTE on granted
 * functions only) inside each transaction. Functions that system callers run are owned by `definer`, whose
 * table privileges are limited to what those functions read.
 */
export const DB_ROLES = {
  owner: "leave_ledger_owner",
  authenticator: "leave_ledger_authenticator",
  app: "leave_ledger_app",
  system: "leave_ledger_system",
  definer: "leave_ledger_definer",
} as const;
