-- SSO provisioning through the API: HR Admins and System Admins link a user to (or unlink them from) the subject
-- of the tenant's external issuer (users_update already asks app.may_manage); just-in-time linking by email is
-- app.link_external_subject_by_email, a definer function (migrations/functions/40_sessions.sql).
GRANT UPDATE (external_subject) ON users TO leave_ledger_app;
