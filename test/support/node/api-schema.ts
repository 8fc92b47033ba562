// Generated from the OpenAPI document by `npm run openapi` (openapi-typescript). Do not edit.

export interface paths {
    "/docs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read the API reference
         * @description This document as a searchable reference with a getting-started guide, examples and try-it, served offline.
         */
        get: operations["getApiReference"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness for uptime monitors
         * @description Answers as long as the Worker runs: performs no I/O at all and is never rate-limited. Public.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness probe
         * @description The same as `GET /health`, at the path orchestrators expect: no I/O, never rate-limited. Public.
         */
        get: operations["getLiveness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness of every dependency
         * @description Checks the configuration, Postgres, KV and the rate-limiter Durable Object at once, each with its own short deadline. Answers 200 when all of them answer, otherwise 503 naming the failing checks in `failing` and in the error; `maintenance` says whether writes are switched off (the API stays ready for reads). Public and never cached; use it for load balancers and deploy gates.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/absences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who is out
         * @description The people with approved or pending leave between `from` and `to` (at most 31 days), by name, each with the days (or half days) they are out, the request's status, policy and category, and no reasons: your direct reports (`scope=team`), or the whole tenant (`scope=tenant`: HR Admin, System Admin, Auditor). Cursor-paginated, up to 500 people a page, one database round trip a page.
         */
        get: operations["listAbsences"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/accruals/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run accruals
         * @description Posts every due accrual, missed periods included, for one chunk of employees (by id), capped at each policy's maximum balance; HR Admins and System Admins (the scheduler also runs it daily). Each period is posted once per account, so running it again is safe; the same chunk expires carried-over days past their expiry. One chunk per call: repeat with `after` = the answer's `next_after` until it is null, with one `Idempotency-Key` per chunk; audited as `accrual.run` when anything was posted.
         */
        post: operations["runAccruals"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the tenant's API keys
         * @description Every key of the caller's tenant, newest first, revoked ones included, one page at a time (`offset`, `limit`). Secrets are never shown again: a key is named by its `prefix`. System Admin only.
         */
        get: operations["listApiKeys"];
        put?: never;
        /**
         * Create a service API key
         * @description Creates a key for an integration, acting with one role (any but `system_admin`), optionally narrowed to some of that role's permissions. The answer carries the whole key in `key`: it is shown this once and only its hash is stored. System Admin only. Audited.
         */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys/{key_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key
         * @description The key stops working before this answers, for good; it stays in the list with its `revoked_at`. Revoking a key already revoked changes nothing and answers 204 again, so a retry after a 503 finishes the job. System Admin only. Audited.
         */
        delete: operations["revokeApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys/{key_id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Replace an API key's secret
         * @description Issues a new secret for an active key, keeping its id, prefix, role and scopes; the old secret stops working before this answers. The answer carries the new whole key in `key`, shown this once. Revoked keys answer 404. System Admin only. Audited.
         */
        post: operations["rotateApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/approvals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List requests awaiting your decision
         * @description Pending, unexpired requests you may decide, oldest first, cursor-paginated: your direct reports' (managers), those of the managers whose approvals you hold by a delegation running now (`POST /v1/delegations`), or anyone's in the tenant (HR Admin, System Admin). Never your own, and never one you have already approved (a second approval must come from another person).
         */
        get: operations["listApprovals"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the tenant's audit log
         * @description Every audited action of the caller's tenant (sign-ins, role and credential changes, ledger writes, …), newest first, a page at a time: pass `next_cursor` as `cursor` until `has_more` is false. Filter by `action`, by actor (`actor_id`), by subject (`target_type`, `target_id`) and by time (`from` inclusive, `to` exclusive); filters combine. HR Admin, System Admin or Auditor.
         */
        get: operations["listAuditEntries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export the tenant's audit log
         * @description The entries `GET /v1/audit` would list with the same filters, all of them, newest first, streamed as NDJSON or CSV (for audit evidence). Read a page at a time while the client reads, so any size streams in bounded memory; if reading fails midway the stream ends abruptly rather than cleanly, so an incomplete file is never mistaken for a complete one. CSV cells a spreadsheet would run as a formula are prefixed with `'`. The export itself is audited (`audit.export`). HR Admin, System Admin or Auditor.
         */
        get: operations["exportAuditEntries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit/verification": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Verify the tenant's audit hash chains
         * @description Every audit entry is a link in one of the tenant's hash chains: its hash covers its predecessor's and the entry (personal fields through a salted digest, so erasing them keeps it valid). This checks up to 100 000 entries per call, in id order, and names the first that does not follow: inserted, missing a predecessor, altered, or after a retention checkpoint that is not validly signed; the call that reaches the end also checks that no chain lost its newest entries. For more entries, call again with `after_id` set to `next_after_id` until it is null. Read-only; HR Admin, System Admin or Auditor.
         */
        get: operations["verifyAuditChain"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in with a password
         * @description Signs in to a tenant with an email and a password and answers a token pair: an access token (15 minutes) and a refresh token (7 days, one use). Unknown users, wrong passwords and deactivated accounts all answer 401 the same way; sign-ins and failed attempts are audited. Five consecutive failures lock the submitted identifier for 15 minutes (429 `ACCOUNT_LOCKED`, whether or not it exists); five failures per IP address in 15 minutes answer 429 `RATE_LIMIT_EXCEEDED`.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End the session of a refresh token
         * @description Revokes the refresh token and every token of its family; the access token stays valid until it expires (at most 15 minutes). Idempotent: answers 204 whether or not the token was known, so it reveals nothing. Audited when a session ended.
         */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/logout-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End every session of the caller
         * @description Signs the caller out on every device: all their refresh tokens are revoked and every access token is refused from its very next request, this one's included. Any signed-in user; API keys have no sessions (403, revoke the key instead). Audited.
         */
        post: operations["logoutEverywhere"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/pin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in at a kiosk with an employee number and PIN
         * @description The kiosk variant of `POST /v1/auth/login`: the employee number and PIN replace the email and password, and the answer is a token pair for a kiosk session, which may only read the employee's own balances and requests and submit or cancel their own requests, whatever their roles (`GET /v1/me/permissions` says so); refreshing keeps it a kiosk session. Failures answer, lock and are audited exactly like password logins (the lock is per employee number).
         */
        post: operations["loginWithPin"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for a new token pair
         * @description Refresh tokens rotate on every use: the presented one is used up and the answer carries its successor. Presenting a used refresh token a second time is taken as theft and revokes its whole family (every token issued from the same login). Expired, revoked and unknown tokens answer 401.
         */
        post: operations["refreshSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/unlock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End a login lockout
         * @description Lifts the lock that repeated failed sign-ins put on one login identifier of the caller's tenant: an email (password logins) or an employee number (PIN logins). System Admin only. Answers 204 whether or not the identifier was locked. Audited.
         */
        post: operations["unlockAccount"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/delegations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List delegations
         * @description The approval delegations you gave or hold (HR Admins, System Admins and Auditors: the tenant's), latest start first, with their status now. For any signed-in user.
         */
        get: operations["listDelegations"];
        put?: never;
        /**
         * Delegate approvals
         * @description Hands your approvals to a colleague for a time window (a holiday, a leave): while it runs they see, decide and comment on your direct reports' requests as you would, and their decisions say so (`on_behalf_of` on the approval, `delegation_id` in the audit). It ends by itself at `ends_at`; nobody ever decides their own request. Approvers only; HR Admins and System Admins may delegate any manager's approvals (`delegator_id`). The delegate is another active employee; the same two people never have two windows that overlap (`CONFLICT`), and one person holds at most 20 at once. Takes effect on the delegate's next request. Audited as `delegation.create`.
         */
        post: operations["createDelegation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/delegations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * End a delegation
         * @description Ends a delegation now: its delegator, its delegate (declining it), HR Admins and System Admins. One already ended or revoked is answered as it is. Takes effect on the delegate's next request. Audited as `delegation.revoke`.
         */
        delete: operations["revokeDelegation"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/employees": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List and search employees
         * @description The people you may see: yourself; your direct reports (managers); the whole tenant (HR Admin, System Admin, Auditor). Search with `q` (part of a name, email or employee number), filter by manager, status or policy, sort from the allow-list; offset-paginated with the number of matches (`total`), counted in the same snapshot as the page.
         */
        get: operations["listEmployees"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/employees/{employee_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an employee
         * @description Yourself, one of your direct reports (managers), or anyone in the tenant (HR Admin, System Admin, Auditor); 404 otherwise.
         */
        get: operations["getEmployee"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Update an employee's record
         * @description Changes only the fields given (name, email, employee number, hire date, manager, time zone, work week, holiday calendar) and answers the whole record. A new holiday calendar or work week reprices the person's open requests from their today on (`corrections`). A new email ends every session of the person at once. An email or employee number already used in the tenant answers 409, and so does a manager who reports, directly or not, to this employee (no management cycles). HR Admin or System Admin, for people whose roles they may grant (only a System Admin edits a System Admin: 403). The end date is set by `POST /v1/employees/{employee_id}/termination`. Audited.
         */
        patch: operations["updateEmployee"];
        trace?: never;
    };
    "/v1/employees/{employee_id}/termination": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End an employment
         * @description Records the last day of employment and, in the same transaction: cancels pending requests with a day after it, reverses approved days after it (cancelling requests wholly after it), prorates accruals to it (the period it ends in is cut to the days employed, rounded half up to half a day in the policy's unit; later periods are never accrued), and answers the final balances. No request may reach past the end date afterwards. The same date again changes nothing; an earlier one applies the difference; a later one is a 409. HR Admin or System Admin (or their API keys), for people whose roles they may grant, never for themselves. Requires an `Idempotency-Key`; audited as `employee.terminate`. The account stays active until deactivated.
         */
        post: operations["terminateEmployee"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/employees/{id}/balances": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an employee's balances
         * @description An employee's balances, as `GET /v1/me/balances` gives yours. You may read your own, your direct reports' (managers), or anyone's in the tenant (HR Admin, System Admin, Auditor); any other employee is `RESOURCE_NOT_FOUND`.
         */
        get: operations["getEmployeeBalances"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/employees/{id}/erasure": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Erase an employee's data
         * @description The right to erasure: destroys the employee's data keys (every reason, comment and note sealed with them becomes unreadable, in backups too once their retention has passed), replaces name, email, employee number, external identity and time zone by a pseudonym, ends every session, deletes password and PIN, revokes the API keys they created, erases the personal fields of audit rows by or about them, and makes the account unable to sign in again. The ledger's amounts and dates stay, so balances and reconciliation still add up, and the audit chains still verify. System Admin only, never one's own, never the tenant's last active System Admin (409). Repeating it answers the first erasure's time. Audited as `employee.erase`.
         */
        post: operations["eraseEmployee"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/employees/{id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export an employee's data
         * @description For a data subject's request made to HR. One JSON document (`SubjectExport`, format `leave-ledger.subject-export.v1`) with everything held about the person: profile, roles, policy assignments, balances, ledger entries, requests with their reasons and comments opened, approvals they gave, sign-in sessions, API keys they created, and the audit rows by or about them. Streamed while the client reads (a page of each part per database round trip), so a long history stays within bounded memory; if reading fails midway the stream ends abruptly, so an incomplete document never parses. HR Admin or System Admin; audited as a read of the person's confidential data (`confidential.read`, `{"read": "export"}`).
         */
        get: operations["exportEmployeeData"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/employees/{id}/ledger-entries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Post a grant or an adjustment
         * @description Posts a `grant` (a positive credit) or an `adjustment` (a correction of either sign) to an employee's balance in a policy, under the policy's newest version; HR Admins and System Admins only. Never blocked by the policy's limits: it corrects the ledger. Requires an `Idempotency-Key`; audited as `ledger.grant` or `ledger.adjustment`.
         */
        post: operations["postLedgerEntry"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/holiday-calendars": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List holiday calendars
         * @description The tenant's holiday calendars in use (one per location): each with a holiday or followed by an employee, with how many holidays it has and how many of the employees you see follow it. An employee follows one (`holiday_calendar` on `PATCH /v1/employees/{id}`). For any signed-in user.
         */
        get: operations["listHolidayCalendars"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/holidays": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List holidays
         * @description One of the tenant's holiday calendars in one calendar year, by date: days no request of those who follow it is charged for. Default: the calendar you follow. For any signed-in user.
         */
        get: operations["listHolidays"];
        put?: never;
        /**
         * Add a holiday
         * @description Adds a day to one of the tenant's holiday calendars (`default` unless named; a new key starts a new calendar): those who follow it are not charged for it. Their approved and pending requests that cover the day are repriced in the same transaction (each listed in `corrections`, audited as `request.correct`, and shown on the request with the reason). HR Admins and System Admins only; a day that is a holiday of that calendar already is a `CONFLICT`. Audited as `holiday.add`.
         */
        post: operations["addHoliday"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/holidays/{day}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a holiday
         * @description Removes a day from one of the tenant's holiday calendars (`default` unless named): those who follow it are charged for it when it is a working day. Their approved and pending requests that cover the day are repriced in the same transaction and listed in `corrections`: the charge is posted even where it takes a balance below its negative allowance (the day was taken), and `below_allowance` flags it for HR here and in the `request.correct` audit row. HR Admins and System Admins only; audited as `holiday.remove`.
         */
        delete: operations["removeHoliday"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ledger-entries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List ledger entries
         * @description The entries behind an employee's balances (credits, holds, usage, expiries, reversals), never edited once posted. Yours by default; with `employee_id`, your direct reports' (managers) or anyone's in the tenant (HR Admin, System Admin, Auditor). Cursor-paginated, sorted by `sort`, filterable by policy, kind and effective dates.
         */
        get: operations["listLedgerEntries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ledger-runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List ledger runs
         * @description Accrual, rollover and reversal runs of the tenant, newest first, offset-paginated and filterable by kind; each names the run that reversed it, if any. HR Admins, System Admins and Auditors.
         */
        get: operations["listLedgerRuns"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get the caller's user, tenant, roles and employee record
         * @description Who the access token belongs to: the user, their tenant, their roles and, for employees, the employee record (whose `id` the balance and request routes take). Any signed-in user; an API key is not a user (403).
         */
        get: operations["getMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/balances": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get your balances
         * @description Your balance in each policy you have a ledger account in: `posted` (settled entries), `pending` (held by open requests) and `available` (what a new request may take). With `as_of`, only entries effective on or before that date count. For any signed-in user with an employee record.
         */
        get: operations["getMyBalances"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export my data
         * @description The rights of access and portability. One JSON document (`SubjectExport`, format `leave-ledger.subject-export.v1`) with everything held about the person: profile, roles, policy assignments, balances, ledger entries, requests with their reasons and comments opened, approvals they gave, sign-in sessions, API keys they created, and the audit rows by or about them. Streamed while the client reads (a page of each part per database round trip), so a long history stays within bounded memory; if reading fails midway the stream ends abruptly, so an incomplete document never parses. Not from a kiosk (PIN) session.
         */
        get: operations["exportMyData"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change your password
         * @description Sets a new password after checking the current one (401 when it is wrong). Every session of the caller ends, this one included: sign in again with the new password. Users only, not API keys or kiosk (PIN) sessions. Audited.
         */
        post: operations["changeMyPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/permissions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List what the caller's roles allow
         * @description The caller's roles and every permission they grant, for showing or hiding parts of a user interface. Served from the permission cache without reading the database. Any signed-in user or API key.
         */
        get: operations["getMyPermissions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get this OpenAPI document
         * @description The OpenAPI 3.1 document of this API, generated from the schemas that validate its requests.
         */
        get: operations["getOpenApiDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List policies
         * @description The current (newest) version of every policy of the tenant, by key. For any signed-in user.
         */
        get: operations["listPolicies"];
        put?: never;
        /**
         * Create a policy
         * @description Creates a leave policy, at version 1, with its key and rules; HR Admins and System Admins only. A key in use is a `CONFLICT` (revise that policy instead). Employees accrue and request leave under it once assigned to it. Audited as `policy.create`.
         */
        post: operations["createPolicy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policies/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a policy's versions
         * @description Every version of one policy, newest first. For any signed-in user.
         */
        get: operations["getPolicyVersions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policies/{key}/assignments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Assign a policy to employees
         * @description Assigns the policy to up to 1 000 employees from `starts_on` and opens their ledger accounts; HR Admins and System Admins only. What is already due under the assignment (a yearly allowance, prorated; missed months of a backdated one) is posted at once, as one accrual run audited as `accrual.run`; later periods are posted by the daily run. Employees already assigned (with an open assignment) and ids of no employee of the tenant are left as they are: the answer names the employees assigned by this call. Audited as `policy.assign`, once per employee assigned.
         */
        post: operations["assignPolicy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policies/{key}/assignments/end": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End policy assignments
         * @description Ends employees' open assignments to the policy on `ends_on`, the last day they may take leave or accrue under it; HR Admins and System Admins only. Employees without an open assignment that started by then are left as they are. Audited as `policy.unassign`, once per employee changed.
         */
        post: operations["endPolicyAssignments"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policies/{key}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Revise a policy
         * @description Changes a policy by adding its next version, whose rules apply from `effective_from`; earlier versions are never rewritten, so existing requests and entries keep the rules they were made under. HR Admins and System Admins only; audited as `policy.revise`.
         */
        post: operations["revisePolicy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Reconcile balances
         * @description Recomputes each ledger account's balance, and its newest snapshot's sums, from its entries and reports every account where they disagree with the snapshots. Reads the whole history, so it checks a page of accounts per call: repeat with `after` = `next_after` until it is null. System Admins only; writes nothing but its audit entry (`reconciliation.run`).
         */
        get: operations["reconcileBalances"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/balances": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Report the tenant's balances
         * @description Every employee's balances (or one policy's), as of a date if asked, a page of employees by id with a cursor; filterable by manager. JSON, or CSV with `Accept: text/csv` (a line per employee and policy; the next page's URL in a `Link` header, `rel="next"`; cells a spreadsheet would run as a formula are prefixed with `'`). One database round trip a page. HR Admin, System Admin, Auditor.
         */
        get: operations["reportBalances"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Report leave taken in a period, for payroll
         * @description Leave taken by each employee between `from` and `to` (at most 366 days), per policy with its category and unit: usage less reversals, by leave date, so a cancelled day counts nothing. A page of employees by id with a cursor; filterable by policy and manager. JSON, or CSV with `Accept: text/csv` (next page in a `Link` header). One database round trip a page. HR Admin, System Admin, Auditor.
         */
        get: operations["reportUsage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List leave requests
         * @description Requests of one employee, newest submission first, cursor-paginated and filterable by status. Yours by default; with `employee_id`, your direct reports' (managers) or anyone's in the tenant (HR Admin, System Admin, Auditor). An employee you may not see is `RESOURCE_NOT_FOUND`.
         */
        get: operations["listRequests"];
        put?: never;
        /**
         * Request leave
         * @description Submits a leave request for yourself (employees, managers, HR Admins and System Admins with an employee record) or, with `employee_id`, records one on someone's behalf: HR Admins and System Admins for anyone, a manager for a direct report where the policy allows (`managers_may_record`); the request follows that employee's rules and names who submitted it, and the recorder cannot also approve it. A policy without approvers (`approvals_required: 0`) records the leave at once (`approved`). The working days between the dates are charged (days off and the tenant's holidays are not) and held against the balance at once: they count as `pending` until the request is approved, rejected, cancelled or expires after the policy's approval TTL. Refused with `INSUFFICIENT_BALANCE` when the available balance does not cover it, `NOT_ELIGIBLE` outside your assignment to the policy or within its waiting period, and `CONFLICT` when another open request takes some of the days. Requires an `Idempotency-Key`; audited as `request.submit`.
         */
        post: operations["submitRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a leave request
         * @description One request with its approvals so far. Visible to the employee, their manager, and HR Admins, System Admins and Auditors; to anyone else it is `RESOURCE_NOT_FOUND`.
         */
        get: operations["getRequest"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve a leave request
         * @description Records your approval. Once the policy's number of distinct approvers have approved, the hold is released, a `usage` entry is posted for each day and the request becomes `approved`; until then it stays `pending`. Managers decide for their direct reports, HR Admins and System Admins for anyone, nobody for themselves; a request that expired, is no longer pending or that you already decided is a `CONFLICT`. Requires an `Idempotency-Key`; audited as `request.approve`.
         */
        post: operations["approveRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel your request
         * @description Cancels one of your own requests. A pending request's hold is released and its days are freed; an approved request whose leave has not started yet (in your time zone) is reversed, each `usage` entry by a `reversal` entry, never blocked by balance limits. A request that has started or is no longer open is a `CONFLICT` (ask HR for an adjustment). Requires an `Idempotency-Key`; audited as `request.cancel`.
         */
        post: operations["cancelRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests/{id}/comments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a leave request's comments
         * @description The request's thread, oldest first, for whoever may read the request; another person's comments shown are access-logged (`confidential.read`). A request you may not see is `RESOURCE_NOT_FOUND`.
         */
        get: operations["listRequestComments"];
        put?: never;
        /**
         * Comment on a leave request
         * @description Adds a comment to the request's thread: the employee, their manager, HR Admins and System Admins write; whoever may read the request reads (an Auditor too). Confidential like reasons: sealed with the requester's key before it leaves the Worker. At most 200 comments a request (then `CONFLICT`). Requires an `Idempotency-Key`; audited as `request.comment`.
         */
        post: operations["commentOnRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reject a leave request
         * @description Rejects the request: its hold is released, its days are freed for other requests and it becomes `rejected`. Managers decide for their direct reports, HR Admins and System Admins for anyone, nobody for themselves; a request that expired or is no longer pending is a `CONFLICT`. Requires an `Idempotency-Key`; audited as `request.reject`.
         */
        post: operations["rejectRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests/simulations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Simulate a request (what-if)
         * @description Answers, without writing anything, what a request would cost and do if submitted now (`outcome`: `pending`, `approved` at once, or `refused` with `INSUFFICIENT_BALANCE` or `CONFLICT`), and the balance's path from the employee's today to `until` with it: accruals due, entries already dated in the future, other pending requests and this one as if approved, the year-end rollover (assuming it runs) and carried-over days expiring. The same people may simulate as may submit (`employee_id` on someone's behalf), and the same refusals apply to what cannot be requested at all (`NOT_ELIGIBLE`, no working day, no policy in force). No `Idempotency-Key`: nothing is written.
         */
        post: operations["simulateRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/rollovers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run the year-end rollover
         * @description Carries each account's posted balance on 31 December over to 1 January up to the policy's carry-over cap, and expires the rest; System Admins only. With `dry_run` (the default) it reports the plan and writes nothing; the first real chunk opens the run, whose `run_id` later chunks pass, and a year already rolled over is a `CONFLICT` until that run is reversed. One chunk of accounts per call: repeat with `after` = the answer's `next_after` until it is null, with one `Idempotency-Key` per chunk; audited.
         */
        post: operations["runRollover"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/rollovers/{run_id}/reversal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reverse a rollover
         * @description Reverses a rollover run, `limit` entries per call: each of its entries gets a `reversal` entry resolving it, in a reversal run of its own; System Admins only. Repeat until `done`; the year may then be rolled over again. Requires an `Idempotency-Key` (one per call); audited as `rollover.reverse`.
         */
        post: operations["reverseRollover"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/team/balances": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get your team's balances
         * @description The balances of each of your direct reports, as `GET /v1/me/balances` gives yours. For managers; HR Admins, System Admins and Auditors may call it too, and get their own direct reports'.
         */
        get: operations["getTeamBalances"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenant/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export the whole tenant
         * @description Everything the tenant holds, as NDJSON: one record per line, each with a `type` — first `tenant` (with the format, `leave-ledger.tenant-export.v1`), then every `employee` (user, employee record, roles, policy assignments), `ledger_entry`, `leave_request` (reasons and comments opened) and `audit` entry, each in the shape the rest of the API gives it. Streamed a page of 1 000 per database round trip while the client reads, so any size streams in bounded memory; a failure midway ends the stream abruptly. Audited as `tenant.export`, and every person whose reasons, comments or notes it holds as a read of their confidential data. System Admin, signed in as a person.
         */
        get: operations["exportTenantData"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenant/retention": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The tenant's retention
         * @description How long the tenant keeps audit rows and confidential text. Applied by the daily job in chunks, each audited (`audit.purge`, `retention.shred`). Defaults: audit rows 7 years; reasons, comments and notes 3 full years after the year of the leave (its data keys are destroyed, so every copy, backups included once they expire, becomes unreadable). Refresh tokens are deleted once expired and idempotency keys after 24 hours, for every tenant. HR Admin, System Admin or Auditor.
         */
        get: operations["getRetention"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change the tenant's retention
         * @description Sets either or both periods (1 to 100 years; `confidential_years: null` keeps confidential text until erasure). Applied by the daily job in chunks, each audited (`audit.purge`, `retention.shred`). Defaults: audit rows 7 years; reasons, comments and notes 3 full years after the year of the leave (its data keys are destroyed, so every copy, backups included once they expire, becomes unreadable). Refresh tokens are deleted once expired and idempotency keys after 24 hours, for every tenant. System Admin; audited as `tenant.retention_update` with the values before and after.
         */
        patch: operations["changeRetention"];
        trace?: never;
    };
    "/v1/tenants/{slug}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Look up a tenant by slug
         * @description Public tenant discovery for login screens: the id and display name of an active tenant, nothing else. Suspended and unknown tenants both answer 404. No sign-in needed.
         */
        get: operations["getTenant"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a user with their employee record and roles
         * @description Creates a user of the caller's tenant, their employee record and their roles in one transaction. The user has no password or PIN yet: set them with `POST /v1/users/{user_id}/password` and `/pin`. HR Admin or System Admin; only a System Admin grants `system_admin`. An email or employee number already used in the tenant answers 409. Audited.
         */
        post: operations["createUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{user_id}/deactivate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Deactivate a user
         * @description Stops a user of the caller's tenant from signing in: every session ends at once (refresh tokens are revoked, access tokens are refused from their next request). HR Admin or System Admin; you cannot deactivate yourself (409). Audited.
         */
        post: operations["deactivateUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{user_id}/external-identity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Link a user to their single sign-on identity
         * @description Sets the subject (`sub`) of the person's tokens from the tenant's external OIDC issuer: from then on those tokens sign them in. Replaces any earlier link, and every session of the user ends (another way into the account). A subject linked to another user of the tenant answers 409. HR Admin or System Admin, for people whose roles they may grant; not API keys. Audited.
         */
        put: operations["linkExternalIdentity"];
        post?: never;
        /**
         * Unlink a user from their single sign-on identity
         * @description The issuer's tokens no longer sign this user in, and every session of the user ends. Repeating it is harmless. HR Admin or System Admin, for people whose roles they may grant; not API keys. Audited.
         */
        delete: operations["unlinkExternalIdentity"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{user_id}/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Set a user's password
         * @description Sets (or resets) the password of a user of the caller's tenant, without the old one. Every session of the user ends: they sign in again with the new password. HR Admin or System Admin; not API keys. Audited.
         */
        post: operations["setUserPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{user_id}/pin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Set a user's kiosk PIN
         * @description Sets (or resets) the PIN a user of the caller's tenant signs in with at a kiosk (`POST /v1/auth/pin`). Every session of the user ends. HR Admin or System Admin; not API keys. Audited.
         */
        post: operations["setUserPin"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{user_id}/roles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Grant a role to a user
         * @description Adds a role to a user of the caller's tenant; it takes effect on the user's very next request. HR Admin or System Admin; only a System Admin grants `system_admin`. Idempotent: granting a role the user holds answers `changed: false`. Audited.
         */
        post: operations["grantRole"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{user_id}/roles/{role}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke a role from a user
         * @description Removes a role from a user of the caller's tenant; it takes effect on the user's very next request. HR Admin or System Admin; only a System Admin removes `system_admin`. Idempotent: removing a role the user does not hold answers `changed: false`. Audited.
         */
        delete: operations["revokeRole"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/deliveries/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a delivery and its attempts
         * @description One delivery with the event it carries and the log of every attempt (outcome, status code, duration). System Admins only.
         */
        get: operations["getWebhookDelivery"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/deliveries/{id}/redelivery": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Redeliver a dead delivery
         * @description Sends a dead (or skipped) delivery again, from a fresh count of failures; its subject's later events follow once it is delivered. Answers `CONFLICT` for a pending or delivered one. System Admins only; audited as `webhook.redeliver`.
         */
        post: operations["redeliverWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/deliveries/{id}/skip": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Skip a dead delivery
         * @description Gives up on a dead delivery, so its subject's later events go on without it. Answers `CONFLICT` unless it is dead. System Admins only; audited as `webhook.skip`.
         */
        post: operations["skipWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/subscriptions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List subscriptions
         * @description The tenant's webhook subscriptions, newest first, without their secrets. System Admins only.
         */
        get: operations["listWebhookSubscriptions"];
        put?: never;
        /**
         * Subscribe to events
         * @description Subscribes a URL to the tenant's domain events (docs/integrations.md). The answer carries the signing secret (Standard Webhooks, `whsec_…`) once; it is stored sealed and never shown again. System Admins only; audited as `webhook.create` (with the URL's host only).
         */
        post: operations["createWebhookSubscription"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/subscriptions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a subscription
         * @description One subscription, without its secret. System Admins only.
         */
        get: operations["getWebhookSubscription"];
        put?: never;
        post?: never;
        /**
         * Delete a subscription
         * @description Stops deliveries to it for good. System Admins only; audited as `webhook.delete`.
         */
        delete: operations["deleteWebhookSubscription"];
        options?: never;
        head?: never;
        /**
         * Change a subscription
         * @description Changes the fields given: URL, event types, description, enabled. System Admins only; audited as `webhook.update`.
         */
        patch: operations["updateWebhookSubscription"];
        trace?: never;
    };
    "/v1/webhooks/subscriptions/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a subscription's deliveries
         * @description Each event sent (or to be sent) to the subscription, newest first, with its status and last attempt; `status=dead` lists what holds its subject back. System Admins only.
         */
        get: operations["listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/subscriptions/{id}/rotation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate a subscription's secret
         * @description Issues a new signing secret, shown once. For `overlap_hours` (default 24, at most 168) deliveries carry a signature under the previous secret too, so the receiver can switch without missing one. Two rotations at once: the second is a `CONFLICT`. System Admins only; audited as `webhook.rotate`.
         */
        post: operations["rotateWebhookSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    "accrual_run.completed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * accrual_run.completed
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_accrual_run_completed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "balance.adjusted": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * balance.adjusted
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_balance_adjusted"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "employee.created": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * employee.created
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_employee_created"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "employee.erased": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * employee.erased
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_employee_erased"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "employee.updated": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * employee.updated
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_employee_updated"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "leave_request.approved": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * leave_request.approved
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_leave_request_approved"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "leave_request.cancelled": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * leave_request.cancelled
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_leave_request_cancelled"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "leave_request.corrected": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * leave_request.corrected
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_leave_request_corrected"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "leave_request.expired": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * leave_request.expired
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_leave_request_expired"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "leave_request.rejected": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * leave_request.rejected
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_leave_request_rejected"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "leave_request.submitted": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * leave_request.submitted
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_leave_request_submitted"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "policy.changed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * policy.changed
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_policy_changed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "rollover.completed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * rollover.completed
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_rollover_completed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "rollover.reversed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * rollover.reversed
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_rollover_reversed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "security.admin_new_country": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * security.admin_new_country
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_security_admin_new_country"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "security.api_key_new_asn": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * security.api_key_new_asn
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_security_api_key_new_asn"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "security.bulk_adjustments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * security.bulk_adjustments
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_security_bulk_adjustments"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "security.login_failures_from_address": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * security.login_failures_from_address
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_security_login_failures_from_address"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "security.refresh_token_reuse": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * security.refresh_token_reuse
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_security_refresh_token_reuse"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "security.self_serving_refused": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * security.self_serving_refused
         * @description Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.
         */
        post: operations["event_security_self_serving_refused"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        AbsenceDay: {
            /** @enum {string} */
            category: "vacation" | "sick" | "parental" | "unpaid" | "other";
            /** Format: date */
            day: string;
            /**
             * @description `day`: the whole day; else the half taken
             * @enum {string}
             */
            part: "day" | "morning" | "afternoon";
            policy_key: string;
            /** Format: uuid */
            request_id: string;
            /** @enum {string} */
            status: "approved" | "pending";
        };
        AbsencePage: {
            data: components["schemas"]["Absences"][];
            /** Format: date */
            from: string;
            pagination: {
                /** @description Whether another page follows */
                has_more: boolean;
                /** @description Pass as `cursor` to get the next page; null on the last page */
                next_cursor: string | null;
            };
            /** Format: date */
            to: string;
        };
        Absences: {
            /** @description Each day (or half day) out in the window, by day; no reasons */
            days: components["schemas"]["AbsenceDay"][];
            /** Format: uuid */
            employee_id: string;
            employee_name: string;
        };
        AccrualChunk: {
            /** @description Accrual entries posted */
            accruals: number;
            /** @description Their total, in the policies' units */
            amount: number;
            /** @description Expiry entries posted for carried-over days past their expiry */
            carryover_expiries: number;
            /** @description Employees in this chunk */
            employees: number;
            /**
             * Format: uuid
             * @description The last employee id of this chunk: pass it as `after` for the next one; null when done
             */
            next_after: string | null;
        };
        AccrualRun: {
            /**
             * Format: uuid
             * @description `next_after` of the previous chunk; null to start
             * @default null
             */
            after?: string | null;
            /**
             * @description Employees per chunk
             * @default 500
             */
            limit?: number;
        };
        Adjustment: {
            /** @description Signed, in the policy's unit, at most 4 decimals: positive credits, negative debits */
            amount: number;
            /**
             * Format: date
             * @description The day it counts for in balances as of a date
             */
            effective_date: string;
            /**
             * @description `grant`: a positive credit; `adjustment`: a correction of either sign
             * @enum {string}
             */
            kind: "grant" | "adjustment";
            /** @description Why: kept on the entry, sealed (none can be added once the employee's data was erased) */
            note?: string;
            policy_key: string;
        };
        ApiKey: {
            /**
             * Format: date-time
             * @description When the key was created (UTC)
             */
            created_at: string;
            /** Format: uuid */
            id: string;
            /**
             * Format: date-time
             * @description When the key last authenticated a request (UTC, updated at most once a minute); null if never
             */
            last_used_at: string | null;
            /** @description What the key is for, as given when it was created */
            name: string;
            /**
             * @description The public part of the key (`llk_<prefix>_…`), kept across rotations: it names the key in lists and logs
             * @example 3cda38e31c00
             */
            prefix: string;
            /**
             * Format: date-time
             * @description When the key was revoked (UTC); null while it works
             */
            revoked_at: string | null;
            /**
             * @description The one role the key acts with (never `system_admin`)
             * @enum {string}
             */
            role: "employee" | "manager" | "hr_admin" | "auditor";
            /**
             * Format: date-time
             * @description When the secret was last replaced (UTC); null if never
             */
            rotated_at: string | null;
            /** @description Permissions the key is narrowed to, within its role's; empty: everything the role allows */
            scopes: ("self:read" | "self:manage" | "team:read" | "tenant:read" | "request:submit" | "request:approve:reports" | "request:approve:any" | "request:record:any" | "policy:manage" | "accrual:run" | "rollover:run" | "reconciliation:run" | "audit:read" | "user:manage" | "role:assign" | "role:assign:system_admin" | "apikey:manage" | "account:unlock" | "config:manage" | "employee:export" | "tenant:export" | "employee:erase")[];
        };
        ApiKeyPage: {
            /** @description The keys, newest first, revoked ones included */
            data: components["schemas"]["ApiKey"][];
            /** @description The `limit` of this page */
            limit: number;
            /** @description The `offset` of this page */
            offset: number;
            /** @description How many keys the tenant has in all */
            total: number;
        };
        ApprovalDelegation: {
            /** Format: date-time */
            created_at: string;
            /**
             * Format: uuid
             * @description The user who created it: the manager, or HR for them
             */
            created_by: string;
            /**
             * Format: uuid
             * @description The colleague (employee id) who decides for them meanwhile
             */
            delegate_id: string;
            delegate_name: string;
            /**
             * Format: uuid
             * @description The manager (employee id) whose approvals are delegated
             */
            delegator_id: string;
            delegator_name: string;
            /**
             * Format: date-time
             * @description When it ends by itself
             */
            ends_at: string;
            /** Format: uuid */
            id: string;
            /**
             * Format: date-time
             * @description When it was ended early; null otherwise
             */
            revoked_at: string | null;
            /** Format: date-time */
            starts_at: string;
            /**
             * @description At the time of the answer
             * @enum {string}
             */
            status: "scheduled" | "running" | "ended" | "revoked";
        };
        ApprovalDelegationList: {
            /** @description Latest start first */
            data: components["schemas"]["ApprovalDelegation"][];
            limit: number;
            offset: number;
            total: number;
        };
        ApprovalGiven: {
            /** @description The comment you wrote; null when none (or when that person's data was erased) */
            comment: string | null;
            /** Format: date-time */
            decided_at: string;
            /** @enum {string} */
            decision: "approve" | "reject";
            /**
             * Format: uuid
             * @description Whose request it was
             */
            employee_id: string;
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            request_id: string;
        };
        AssignmentResult: {
            /** @description How many employees this call changed */
            changed: number;
            /** @description The employees it changed; the others were left as they were */
            employee_ids: string[];
            policy_key: string;
        };
        AssignPolicy: {
            /** @description Employees to assign */
            employee_ids: string[];
            /**
             * Format: date
             * @description The first day of the assignment
             */
            starts_on: string;
        };
        AuditChainVerification: {
            /** @description Entries checked by this call */
            checked: number;
            /** @description The first entry (by id) that does not follow; null when every entry checked does */
            first_broken: {
                /** @description Which of the tenant's chains; null for an entry in none */
                chain: number | null;
                /** @description The position in that chain; null for an entry in none */
                chain_seq: number | null;
                /** @description The audit entry's `id`; null when the entries at the end of a chain are missing */
                id: number | null;
                /** @description What is wrong: the entry was inserted (in no chain, beyond its chain's newest link, or behind a retention checkpoint), a row is missing before it, it or its predecessor was altered, the retention checkpoint before it is not validly signed, or the newest entries of a chain are missing from this position on */
                reason: string;
            } | null;
            /** @description Where to continue; null once the last entry was checked */
            next_after_id: number | null;
            /** @description Whether every entry checked follows from its predecessor in its chain */
            valid: boolean;
        };
        AuditEntry: {
            /** @description What happened, such as `auth.login`, `role.assign` or `apikey.revoke` */
            action: string;
            /** @description The acting user's id (for an API key, its creator's; the key is in `details.api_key_id`), or the system part's name (such as `rate-limiter`); null for anonymous callers */
            actor_id: string | null;
            /**
             * @description Who acted: `user`, `api_key`, `system` or `anonymous`
             * @example user
             */
            actor_type: string;
            /** @description Facts particular to the action, such as the role granted */
            details: {
                [key: string]: unknown;
            };
            /** @description The entry's id; later entries have larger ids */
            id: number;
            /** @description The caller's IP address, if known */
            ip: string | null;
            /**
             * Format: date-time
             * @description When it happened (UTC)
             */
            occurred_at: string;
            /** @description Whether `ip`, `user_agent` and `personal_details` were erased (the person's data was erased); the entry still verifies */
            personal_data_erased: boolean;
            /** @description Personal facts particular to the action (erased with the person); null when there are none */
            personal_details: {
                [key: string]: unknown;
            } | null;
            /** @description The request's `X-Request-Id`, to find it in the logs */
            request_id: string | null;
            /** @description false for refused attempts, such as a failed sign-in */
            success: boolean;
            /** @description Which one: an id (the prefix for an API key), a date or a login identifier */
            target_id: string | null;
            /** @description What it happened to, such as `user`, `employee` or `api_key` */
            target_type: string | null;
            /** @description The caller's `User-Agent` header, if sent */
            user_agent: string | null;
        };
        AuditPage: {
            data: components["schemas"]["AuditEntry"][];
            pagination: {
                /** @description Whether another page follows */
                has_more: boolean;
                /** @description Pass as `cursor` to get the next page; null on the last page */
                next_cursor: string | null;
            };
        };
        BalancePathStep: {
            /** @description In the policy's unit, signed */
            amount: number;
            /** @description The balance after this step */
            balance: number;
            /** Format: date */
            date: string;
            /** @description `opening` (the posted balance today), a ledger entry's kind for entries already dated in the future, `accrual` (due and not yet posted), `pending` (another request waiting for approval, as if approved), `request` (this one, per day), `expiry`, `carryover_out` and `carryover_in` (the year-end rollover and carried-over days expiring) */
            kind: string;
            /** @description Not in the ledger: what accruals, the rollover or approvals would post */
            projected: boolean;
        };
        BalanceReportPage: {
            /** @description One per employee, by employee id */
            data: components["schemas"]["EmployeeBalances"][];
            pagination: {
                /** @description Whether another page follows */
                has_more: boolean;
                /** @description Pass as `cursor` to get the next page; null on the last page */
                next_cursor: string | null;
            };
        };
        ChangePassword: {
            current_password: string;
            /** @description 12 to 256 characters */
            new_password: string;
        };
        CreateApiKey: {
            /** @description What the key is for, to recognise it in lists */
            name: string;
            /**
             * @description The one role the key acts with (never `system_admin`)
             * @enum {string}
             */
            role: "employee" | "manager" | "hr_admin" | "auditor";
            /**
             * @description Permissions the key is narrowed to, within its role's; empty: everything the role allows
             * @default []
             */
            scopes?: ("self:read" | "self:manage" | "team:read" | "tenant:read" | "request:submit" | "request:approve:reports" | "request:approve:any" | "request:record:any" | "policy:manage" | "accrual:run" | "rollover:run" | "reconciliation:run" | "audit:read" | "user:manage" | "role:assign" | "role:assign:system_admin" | "apikey:manage" | "account:unlock" | "config:manage" | "employee:export" | "tenant:export" | "employee:erase")[];
        };
        CreatedUser: {
            /**
             * Format: uuid
             * @description The new employee record's id (for balances, policies and `PATCH /v1/employees/{employee_id}`)
             */
            employee_id: string;
            /**
             * Format: uuid
             * @description The new user's id (for the role and credential routes)
             */
            user_id: string;
        };
        CreatePolicy: components["schemas"]["PolicyRules"] & {
            /**
             * @description Permanent: requests, balances and entries name the policy by it
             * @example pto-standard
             */
            key: string;
        };
        CreateUser: {
            /** @description The name shown to colleagues */
            display_name: string;
            /**
             * Format: email
             * @description The sign-in email, unique in the tenant (case-insensitively)
             */
            email: string;
            /** @description The employee record created with the user */
            employee: {
                /** @description The number of the tenant's HR records, unique in the tenant */
                employee_number: string;
                /**
                 * Format: date
                 * @description First day of employment (YYYY-MM-DD)
                 */
                hire_date: string;
                /**
                 * Format: uuid
                 * @description The employee id of the manager who approves the requests; null for none
                 * @default null
                 */
                manager_id?: string | null;
                /**
                 * @description IANA time zone in which the employee's dates are counted
                 * @example Europe/Berlin
                 */
                time_zone: string;
            };
            /**
             * @description Roles granted at once; only a System Admin may grant `system_admin`
             * @default [
             *       "employee"
             *     ]
             */
            roles?: ("employee" | "manager" | "hr_admin" | "system_admin" | "auditor")[];
        };
        Decision: {
            /** @description Shown to the employee with your decision */
            comment?: string;
        };
        Employee: {
            /** @description The name shown to colleagues */
            display_name: string;
            /** @description The sign-in email */
            email: string;
            /** @description The number of the tenant's HR records */
            employee_number: string;
            /**
             * Format: date
             * @description Last day of employment; null while employed
             */
            end_date: string | null;
            /** @description The subject of the tenant's single sign-on issuer linked to this person (`PUT /v1/users/{user_id}/external-identity`); null when none */
            external_subject: string | null;
            /**
             * Format: date
             * @description First day of employment (YYYY-MM-DD)
             */
            hire_date: string;
            /** @description The holiday calendar the employee follows (`default` unless set) */
            holiday_calendar: string;
            /** Format: uuid */
            id: string;
            /**
             * Format: uuid
             * @description The employee id of the manager who approves the requests; null when none
             */
            manager_id: string | null;
            /** @description The manager's name; null when none */
            manager_name: string | null;
            /**
             * @description `active`; `deactivated` (cannot sign in); `erased` (personal data erased, for good)
             * @enum {string}
             */
            status: "active" | "deactivated" | "erased";
            /** @description IANA time zone in which the employee's dates are counted */
            time_zone: string;
            /**
             * Format: uuid
             * @description The user's id, for the role and credential routes (`/v1/users/{user_id}/…`)
             */
            user_id: string;
            /** @description ISO weekdays worked, ascending (1 = Monday … 7 = Sunday) */
            work_week: number[];
        };
        EmployeeBalances: {
            /**
             * Format: date
             * @description The `as_of` asked for; null when every entry counts
             */
            as_of: string | null;
            /** @description One per policy the employee has a ledger account in, by policy key */
            balances: components["schemas"]["PolicyBalance"][];
            /** Format: uuid */
            employee_id: string;
            /** @description Their name, as the directory shows it */
            employee_name: string;
            /** @description Whether `as_of` is after the employee's today: balances include projected accruals */
            forecast: boolean;
            /**
             * Format: date-time
             * @description The `known_at` asked for; null for the ledger as it is now
             */
            known_at: string | null;
            /**
             * Format: date
             * @description The employee's current date, in their own time zone
             */
            today: string;
        };
        EmployeePage: {
            data: components["schemas"]["Employee"][];
            limit: number;
            offset: number;
            /** @description Employees matching, across all pages */
            total: number;
        };
        EmployeeUsage: {
            /** Format: uuid */
            employee_id: string;
            employee_name: string;
            /** @description One per policy with leave taken in the period, by policy key */
            usage: {
                /** @enum {string} */
                category: "vacation" | "sick" | "parental" | "unpaid" | "other";
                policy_key: string;
                unit: string;
                /** @description Leave taken in the period, in the policy's unit (usage less reversals) */
                used: number;
            }[];
        };
        EndPolicyAssignment: {
            /** @description Employees whose open assignment to end */
            employee_ids: string[];
            /**
             * Format: date
             * @description The last day of the assignment
             */
            ends_on: string;
        };
        Erasure: {
            /** @description API keys the person created, revoked by this call */
            api_keys_revoked: number;
            /** @description Audit rows by or about the person whose personal fields (IP, user agent, personal details) this call erased */
            audit_rows_erased: number;
            /** @description Data keys destroyed by this call: what they sealed is unreadable for good */
            data_keys_destroyed: number;
            /** Format: uuid */
            employee_id: string;
            /**
             * Format: date-time
             * @description When the data was first erased (a repeat answers the same time)
             */
            erased_at: string;
            /** @description Reasons, comments and notes written before sealed fields existed, set to null by this call */
            unsealed_fields_erased: number;
            /** Format: uuid */
            user_id: string;
        };
        /** @description The one error shape. Codes: INVALID_INPUT, VALIDATION_FAILED, UNAUTHORIZED, FORBIDDEN, RESOURCE_NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, DUPLICATE_REQUEST, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, INSUFFICIENT_BALANCE, NOT_ELIGIBLE, ACCOUNT_LOCKED, RATE_LIMIT_EXCEEDED, INTERNAL_ERROR, CONFIG_INVALID, DATABASE_ERROR, DATA_INTEGRITY, SERVICE_UNAVAILABLE, ENCRYPTION_KEY_UNAVAILABLE. Bodies larger than 65536 bytes are refused. */
        Error: {
            error: {
                /** @enum {string} */
                code: "INVALID_INPUT" | "VALIDATION_FAILED" | "UNAUTHORIZED" | "FORBIDDEN" | "RESOURCE_NOT_FOUND" | "METHOD_NOT_ALLOWED" | "CONFLICT" | "DUPLICATE_REQUEST" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "INSUFFICIENT_BALANCE" | "NOT_ELIGIBLE" | "ACCOUNT_LOCKED" | "RATE_LIMIT_EXCEEDED" | "INTERNAL_ERROR" | "CONFIG_INVALID" | "DATABASE_ERROR" | "DATA_INTEGRITY" | "SERVICE_UNAVAILABLE" | "ENCRYPTION_KEY_UNAVAILABLE";
                details: {
                    [key: string]: unknown;
                };
                /** Format: uri */
                documentation_url: string;
                message: string;
                request_id: string;
            };
        };
        ExternalIdentity: {
            /**
             * @description The `sub` of the person's tokens from the tenant's external OIDC issuer
             * @example 00u1a2b3c4d5e6f7g8h9
             */
            subject: string;
        };
        ExternalIdentityLink: {
            /** @description The linked subject */
            subject: string;
            /** Format: uuid */
            user_id: string;
        };
        Health: {
            /** @enum {string} */
            status: "ok";
            /**
             * @description The deployed API version (semantic versioning)
             * @example 0.1.0
             */
            version: string;
        };
        Holiday: {
            /**
             * @description The holiday calendar (one per location); the employees who follow it are not charged for its days. Default: `default`
             * @default default
             * @example berlin
             */
            calendar?: string;
            /** Format: date */
            day: string;
            /** @description Shown to employees, e.g. in a calendar */
            name: string;
        };
        HolidayCalendarList: {
            /** @description Every calendar with a holiday or an employee, by key */
            data: {
                calendar: string;
                /** @description The employees you see who follow it */
                employees: number;
                /** @description Its holidays, all years */
                holidays: number;
            }[];
        };
        HolidayChange: components["schemas"]["Holiday"] & {
            /** @description The approved and pending requests of those who follow the calendar that covered the day, repriced in the same transaction: approved leave gets a reversing and a new usage entry, a pending request a new hold; each is audited as `request.correct` */
            corrections: components["schemas"]["RequestCorrection"][];
        };
        LeaveRequest: {
            /** @description What the request costs, in the policy's unit (a day is 1 `day`, 2 `half_day` or 8 `hour`) */
            amount: number;
            /** @description Decisions so far, oldest first */
            approvals: {
                /**
                 * Format: uuid
                 * @description The user id of who decided
                 */
                approver_id: string;
                /** @description Their name */
                approver_name: string;
                /** @description The approver's comment; null when none was given */
                comment: string | null;
                /** Format: date-time */
                decided_at: string;
                /** @enum {string} */
                decision: "approve" | "reject";
                /**
                 * Format: uuid
                 * @description The manager (employee id) the approver decided for under a delegation; null otherwise
                 */
                on_behalf_of: string | null;
                on_behalf_of_name: string | null;
            }[];
            /** @description Distinct approvals needed (the policy's rule when it was submitted) */
            approvals_required: number;
            /** @description Changes to what the request is charged after it was made, oldest first: a holiday added or removed on one of its days, or its employee moved to another holiday calendar or work week. `days` and `amount` are what it is charged now; a request left with no working day is cancelled. */
            corrections: {
                /** @description How much more (negative: less) the request is charged since, in the policy's unit */
                amount_change: number;
                /** Format: date-time */
                corrected_at: string;
                /** @description Why, e.g. `2027-03-26 (Good Friday) became a holiday of calendar default` */
                reason: string;
            }[];
            /** @description Working days covered (half days count 0.5; days off and holidays are not counted) */
            days: number;
            /**
             * Format: uuid
             * @description The employee taking the leave
             */
            employee_id: string;
            /** @description Their name, as the directory shows it */
            employee_name: string;
            /**
             * Format: date
             * @description Last day of the leave
             */
            end_date: string;
            /**
             * @description `midday`: only the first half of the last day is taken
             * @enum {string}
             */
            end_part: "midday" | "evening";
            /**
             * Format: date-time
             * @description When the request expires if still pending: submission time plus the policy's approval TTL
             */
            expires_at: string;
            /** Format: uuid */
            id: string;
            policy_key: string;
            /**
             * Format: uuid
             * @description The policy version in force on the start date, whose rules the request follows
             */
            policy_version_id: string;
            /** @description The employee's note; null when none was given */
            reason: string | null;
            /**
             * Format: date-time
             * @description When it was approved, rejected, cancelled or expired; null while pending
             */
            resolved_at: string | null;
            /**
             * Format: date
             * @description First day of the leave
             */
            start_date: string;
            /**
             * @description `afternoon`: only the second half of the first day is taken
             * @enum {string}
             */
            start_part: "morning" | "afternoon";
            /**
             * @description `pending` until decided, cancelled or expired (a pending request past `expires_at` no longer holds its days)
             * @enum {string}
             */
            status: "pending" | "approved" | "rejected" | "cancelled" | "expired";
            /** Format: date-time */
            submitted_at: string;
            /**
             * Format: uuid
             * @description The user id of who submitted it: the employee, or HR or their manager on their behalf
             */
            submitted_by: string;
            /** @description Their name */
            submitted_by_name: string;
            /** @description The policy's unit: `day`, `half_day` or `hour` */
            unit: string;
        };
        LeaveRequestPage: {
            data: components["schemas"]["LeaveRequest"][];
            pagination: {
                /** @description Whether another page follows */
                has_more: boolean;
                /** @description Pass as `cursor` to get the next page; null on the last page */
                next_cursor: string | null;
            };
        };
        LeaveRequestSimulation: {
            /** @description What the request costs, in the policy's unit */
            amount: number;
            /** @description What a submission is checked against now; null for an untracked policy */
            available_now: number | null;
            /** @description Whether the path goes below the negative allowance; null for an untracked policy */
            below_allowance: boolean | null;
            /** @description The balance on `until` */
            closing_balance: number;
            /** @description Working days charged */
            days: number;
            /** Format: uuid */
            employee_id: string;
            employee_name: string;
            /** @description The lowest balance on the path, first reached on `date` */
            lowest: {
                balance: number;
                /** Format: date */
                date: string;
            };
            /**
             * @description What submitting it now would do: wait for approval, be approved at once (a policy without approvers), or be refused
             * @enum {string}
             */
            outcome: "pending" | "approved" | "refused";
            /** @description Every change from today to `until`, in order, with the balance after it */
            path: components["schemas"]["BalancePathStep"][];
            policy_key: string;
            /** @description Why it would be refused; null otherwise */
            refusal: {
                /** @enum {string} */
                code: "INSUFFICIENT_BALANCE" | "CONFLICT";
                message: string;
            } | null;
            /**
             * Format: date
             * @description The employee's today: where the path starts
             */
            today: string;
            tracking: string;
            unit: string;
            /**
             * Format: date
             * @description Where the path ends
             */
            until: string;
        };
        LeaveRequestSimulationInput: {
            /**
             * Format: uuid
             * @description Record the request on this employee's behalf (HR Admin, System Admin; a manager for a direct report where the policy allows). Default: yourself
             */
            employee_id?: string;
            /**
             * Format: date
             * @example 2026-12-23
             */
            end_date: string;
            /**
             * @description `midday`: only the first half of the last day
             * @default evening
             * @enum {string}
             */
            end_part?: "midday" | "evening";
            /** @example pto-standard */
            policy_key: string;
            /**
             * Format: date
             * @example 2026-12-21
             */
            start_date: string;
            /**
             * @description `afternoon`: only the second half of the first day
             * @default morning
             * @enum {string}
             */
            start_part?: "morning" | "afternoon";
            /**
             * Format: date
             * @description The last day of the balance path: on or after the employee's today and the end date. Default: 31 December of the end date's year
             * @example 2027-03-31
             */
            until?: string;
        };
        LedgerEntry: {
            /** @description Signed, in the policy's unit: credits are positive, debits (holds, usage, expiries) negative */
            amount: number;
            /**
             * Format: date
             * @description The day it counts for (a leave day, an accrual period's first day, …)
             */
            effective_date: string;
            /** Format: uuid */
            employee_id: string;
            /**
             * Format: date-time
             * @description Holds only: when the hold stops counting if the request is still pending; null for other kinds
             */
            expires_at: string | null;
            /** @description The entry's number: later postings have higher ones */
            id: number;
            /**
             * @description `accrual`, `grant` and `adjustment` credit or correct; `hold` and `hold_release` place and release a pending request's hold; `usage` is an approved leave day; `carryover_out`, `carryover_in` and `expiry` come from the year-end rollover and carry-over expiry; `reversal` undoes the entry it resolves
             * @enum {string}
             */
            kind: "accrual" | "grant" | "hold" | "hold_release" | "usage" | "adjustment" | "carryover_out" | "carryover_in" | "expiry" | "reversal";
            /** @description HR's note on grants and adjustments (null once the employee's data was erased); the system's on the entries it posts (a hold release's outcome, the rollover's year); null when none */
            note: string | null;
            policy_key: string;
            /**
             * Format: uuid
             * @description The policy version it was posted under; null when none
             */
            policy_version_id: string | null;
            /**
             * Format: date-time
             * @description When it was posted
             */
            recorded_at: string;
            /** @description What posted it, unique per account: e.g. `request:{id}:hold`, `accrual:2026-12`, `manual:{user id}:{Idempotency-Key}` */
            reference: string;
            /**
             * Format: uuid
             * @description The leave request it belongs to; null for other entries
             */
            request_id: string | null;
            /** @description The entry it resolves (a hold release its hold, a reversal the entry it reverses); null otherwise */
            resolves_entry_id: number | null;
            /**
             * Format: uuid
             * @description The accrual, rollover or reversal run that posted it; null for other entries
             */
            run_id: string | null;
        };
        LedgerEntryPage: {
            data: components["schemas"]["LedgerEntry"][];
            pagination: {
                /** @description Whether another page follows */
                has_more: boolean;
                /** @description Pass as `cursor` to get the next page; null on the last page */
                next_cursor: string | null;
            };
        };
        LedgerRun: {
            /** @description The user id of who ran it, or `system:scheduler` for scheduled accruals */
            actor_id: string;
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            kind: "accrual" | "rollover" | "rollover_reversal" | "snapshot";
            /** @description Accrual runs: the UTC date they ran (YYYY-MM-DD); rollovers and their reversals: the year */
            period: string;
            /**
             * Format: uuid
             * @description The run that reverses this one; null when none does
             */
            reversed_by_run_id: string | null;
            /**
             * Format: uuid
             * @description The run this one reverses; null unless a reversal
             */
            reverses_run_id: string | null;
            /** Format: date-time */
            started_at: string;
            /** @description Figures recorded when it ran: `employees`, `accruals`, `amount`, `carryover_expiries` (and `after`) for accruals, `year` for rollovers, `reverses` for reversals */
            summary: {
                [key: string]: unknown;
            };
        };
        LedgerRunPage: {
            data: components["schemas"]["LedgerRun"][];
            limit: number;
            offset: number;
            /** @description Runs matching, across all pages */
            total: number;
        };
        Me: {
            /** @description The caller's employee record; null for a user without one */
            employee: {
                /** @description The number of the tenant's HR records (used for kiosk PIN sign-in) */
                employee_number: string;
                /**
                 * Format: date
                 * @description First day of employment (YYYY-MM-DD)
                 */
                hire_date: string;
                /**
                 * Format: uuid
                 * @description The employee id, used by balances, requests and approvals
                 */
                id: string;
                /**
                 * Format: uuid
                 * @description The employee id of the manager who approves the requests; null when none
                 */
                manager_id: string | null;
                /**
                 * @description IANA time zone in which the employee's dates are counted
                 * @example Europe/Berlin
                 */
                time_zone: string;
            } | null;
            /** @description The roles the caller holds in the tenant */
            roles: ("employee" | "manager" | "hr_admin" | "system_admin" | "auditor")[];
            /** Format: uuid */
            tenant_id: string;
            user: {
                display_name: string;
                email: string;
                /** Format: uuid */
                id: string;
            };
        };
        MyPermissions: {
            /** @description Every permission those roles grant (narrowed to its scopes for an API key that has any) */
            permissions: ("self:read" | "self:manage" | "team:read" | "tenant:read" | "request:submit" | "request:approve:reports" | "request:approve:any" | "request:record:any" | "policy:manage" | "accrual:run" | "rollover:run" | "reconciliation:run" | "audit:read" | "user:manage" | "role:assign" | "role:assign:system_admin" | "apikey:manage" | "account:unlock" | "config:manage" | "employee:export" | "tenant:export" | "employee:erase")[];
            /** @description The roles the caller holds (an API key: its one role) */
            roles: ("employee" | "manager" | "hr_admin" | "system_admin" | "auditor")[];
        };
        NewApiKey: components["schemas"]["ApiKey"] & {
            /** @description The whole key (`llk_<prefix>_<secret>`), to send as `Authorization: Bearer <key>`. Shown once; store it now. */
            key: string;
        };
        NewApprovalDelegation: {
            /**
             * Format: uuid
             * @description The colleague (employee id) who decides in your place: an active employee, not you
             */
            delegate_id: string;
            /**
             * Format: uuid
             * @description Whose approvals (employee id). Default: yours; HR Admins and System Admins may name any manager
             */
            delegator_id?: string;
            /** @description After `starts_at`, at most 366 days later */
            ends_at: string;
            /** @description Default: now. Not in the past */
            starts_at?: string;
        };
        NewRequestComment: {
            /** @description The comment (confidential: sealed before it is stored) */
            body: string;
        };
        NewWebhookSubscription: {
            /** @default  */
            description?: string;
            /** @default true */
            enabled?: boolean;
            /**
             * @description The event types delivered (docs/integrations.md); empty: all of them
             * @default []
             */
            event_types?: ("leave_request.submitted" | "leave_request.approved" | "leave_request.rejected" | "leave_request.cancelled" | "leave_request.expired" | "leave_request.corrected" | "balance.adjusted" | "accrual_run.completed" | "rollover.completed" | "rollover.reversed" | "employee.created" | "employee.updated" | "employee.erased" | "policy.changed" | "security.refresh_token_reuse" | "security.login_failures_from_address" | "security.admin_new_country" | "security.api_key_new_asn" | "security.self_serving_refused" | "security.bulk_adjustments")[];
            /** @description An absolute http(s) URL without credentials; in staging and production https only, and not localhost nor a private, loopback or link-local address */
            url: string;
        };
        PasswordLogin: {
            /**
             * Format: email
             * @description Compared case-insensitively
             * @example emma.employee@acme.example
             */
            email: string;
            password: string;
            /**
             * @description The slug of the tenant to sign in to
             * @example acme
             */
            tenant: string;
        };
        PinLogin: {
            /**
             * @description The employee number of the tenant's HR records
             * @example A-004
             */
            employee_number: string;
            /** @description The kiosk PIN: 4 to 8 digits, as a string (leading zeros count) */
            pin: string;
            /**
             * @description The slug of the tenant to sign in to
             * @example acme
             */
            tenant: string;
        };
        Policy: {
            /** @description Credit posted per period, in the policy's unit, once the period's day has come in the employee's time zone: `monthly` on the 1st of each month; `yearly` the whole year's allowance up front, when the year begins (see `year`), prorated for a year the employee is assigned, hired or past the waiting period only part of; `none` with amount 0 for no accrual */
            accrual: {
                amount: number;
                /** @enum {string} */
                period: "none" | "monthly" | "yearly";
                /**
                 * @description Where a yearly allowance's year begins: `calendar` on 1 January, `anniversary` on the anniversary of the employee's hire date. Fixed once a version is yearly
                 * @enum {string}
                 */
                year: "calendar" | "anniversary";
            };
            /** @description Hours a request may wait for its decision before it expires and its days are freed */
            approval_ttl_hours: number;
            /** @description Distinct approvers a request needs: 0 (recorded and approved at once, e.g. sick leave reported by HR), 1 or 2 */
            approvals_required: number;
            /** @description What the year-end rollover carries into the next year */
            carryover: {
                /** @description The most carried over, in the policy's unit (the rest expires on 31 December); null: all of it */
                cap: number | null;
                /** @description Months after 1 January when carried-over days not used by then expire; null: they never expire */
                expiry_months: number | null;
            };
            /**
             * @description What kind of leave it is, for reports and calendars: `vacation`, `sick`, `parental`, `unpaid` or `other`
             * @enum {string}
             */
            category: "vacation" | "sick" | "parental" | "unpaid" | "other";
            /** Format: date-time */
            created_at: string;
            /**
             * Format: date
             * @description The first day this version's rules apply (to requests starting and accrual periods beginning from then)
             */
            effective_from: string;
            /**
             * Format: uuid
             * @description This version's id (`policy_version_id` on requests and entries)
             */
            id: string;
            key: string;
            /** @description Whether managers may record requests for their direct reports (HR Admins and System Admins always may) */
            managers_may_record: boolean;
            /** @description Accruals stop at this posted balance (grants and adjustments are not capped); null: no cap */
            max_balance: number | null;
            /** @description Shown to employees */
            name: string;
            /** @description How far below zero requests may take the balance, in the policy's unit */
            negative_allowance: number;
            /**
             * @description `tracked`: requests are checked against the balance; `untracked`: unlimited, recorded and approved without a balance check (no accrual, cap, carry-over or negative allowance); usage is posted either way
             * @enum {string}
             */
            tracking: "tracked" | "untracked";
            /**
             * @description What balances and requests under the policy count in: a day is 1 `day`, 2 `half_day` or 8 `hour`
             * @enum {string}
             */
            unit: "day" | "half_day" | "hour";
            /** @description 1 for the first version, one more for each revision */
            version: number;
            /** @description Days after the hire date before leave may start or accrue under the policy */
            waiting_period_days: number;
        };
        PolicyBalance: {
            /** @description posted + projected − pending + negative_allowance: what a new request may take; null for an untracked policy (no limit) */
            available: number | null;
            /** @description How far below zero requests may take the balance, in the policy's unit */
            negative_allowance: number;
            /** @description Held by pending requests not yet expired (0 or more), in the policy's unit */
            pending: number;
            policy_key: string;
            /** @description Credits minus posted usage and expiries (settled entries), in the policy's unit */
            posted: number;
            /** @description In a forecast (`as_of` after the employee's today): accruals and yearly allowances due by `as_of` and not yet posted, as the accrual run will post them (prorated, capped at the maximum balance); 0 otherwise, in the policy's unit */
            projected: number;
            /**
             * @description `untracked`: unlimited; posted sums the usage (negative), nothing is checked
             * @enum {string}
             */
            tracking: "tracked" | "untracked";
            /** @description The policy's unit: `day`, `half_day` or `hour` */
            unit: string;
        };
        PolicyRules: {
            /**
             * @description Credit posted per period, in the policy's unit, once the period's day has come in the employee's time zone: `monthly` on the 1st of each month; `yearly` the whole year's allowance up front, when the year begins (see `year`), prorated for a year the employee is assigned, hired or past the waiting period only part of; `none` with amount 0 for no accrual
             * @default {
             *       "period": "none",
             *       "amount": 0,
             *       "year": "calendar"
             *     }
             */
            accrual?: {
                amount: number;
                /** @enum {string} */
                period: "none" | "monthly" | "yearly";
                /**
                 * @description Where a yearly allowance's year begins: `calendar` on 1 January, `anniversary` on the anniversary of the employee's hire date. Fixed once a version is yearly
                 * @default calendar
                 * @enum {string}
                 */
                year?: "calendar" | "anniversary";
            };
            /**
             * @description Hours a request may wait for its decision before it expires and its days are freed
             * @default 168
             */
            approval_ttl_hours?: number;
            /**
             * @description Distinct approvers a request needs: 0 (recorded and approved at once, e.g. sick leave reported by HR), 1 or 2
             * @default 1
             */
            approvals_required?: 0 | 1 | 2;
            /**
             * @description What the year-end rollover carries into the next year
             * @default {
             *       "cap": null,
             *       "expiry_months": null
             *     }
             */
            carryover?: {
                /**
                 * @description The most carried over, in the policy's unit (the rest expires on 31 December); null: all of it
                 * @default null
                 */
                cap?: number | null;
                /**
                 * @description Months after 1 January when carried-over days not used by then expire; null: they never expire
                 * @default null
                 */
                expiry_months?: number | null;
            };
            /**
             * @description What kind of leave it is, for reports and calendars: `vacation`, `sick`, `parental`, `unpaid` or `other`
             * @default vacation
             * @enum {string}
             */
            category?: "vacation" | "sick" | "parental" | "unpaid" | "other";
            /**
             * Format: date
             * @description The first day this version's rules apply (to requests starting and accrual periods beginning from then)
             */
            effective_from: string;
            /**
             * @description Whether managers may record requests for their direct reports (HR Admins and System Admins always may)
             * @default false
             */
            managers_may_record?: boolean;
            /**
             * @description Accruals stop at this posted balance (grants and adjustments are not capped); null: no cap
             * @default null
             */
            max_balance?: number | null;
            /** @description Shown to employees */
            name: string;
            /**
             * @description How far below zero requests may take the balance, in the policy's unit
             * @default 0
             */
            negative_allowance?: number;
            /**
             * @description `tracked`: requests are checked against the balance; `untracked`: unlimited, recorded and approved without a balance check (no accrual, cap, carry-over or negative allowance); usage is posted either way
             * @default tracked
             * @enum {string}
             */
            tracking?: "tracked" | "untracked";
            /**
             * @description What balances and requests under the policy count in: a day is 1 `day`, 2 `half_day` or 8 `hour`
             * @enum {string}
             */
            unit: "day" | "half_day" | "hour";
            /**
             * @description Days after the hire date before leave may start or accrue under the policy
             * @default 0
             */
            waiting_period_days?: number;
        };
        Readiness: {
            /** @description One result per dependency, each checked at once with its own deadline */
            checks: {
                config: {
                    /** @description How long the check took, in milliseconds */
                    duration_ms: number;
                    /** @description Why the check failed (an error code or a timeout); only when `status` is `fail` */
                    error?: string;
                    /** @description `database` only: the last migration applied to Postgres (null before the first) */
                    schema_version?: string | null;
                    /** @enum {string} */
                    status: "ok" | "fail";
                } & {
                    [key: string]: unknown;
                };
                database: {
                    /** @description How long the check took, in milliseconds */
                    duration_ms: number;
                    /** @description Why the check failed (an error code or a timeout); only when `status` is `fail` */
                    error?: string;
                    /** @description `database` only: the last migration applied to Postgres (null before the first) */
                    schema_version?: string | null;
                    /** @enum {string} */
                    status: "ok" | "fail";
                } & {
                    [key: string]: unknown;
                };
                durable_object: {
                    /** @description How long the check took, in milliseconds */
                    duration_ms: number;
                    /** @description Why the check failed (an error code or a timeout); only when `status` is `fail` */
                    error?: string;
                    /** @description `database` only: the last migration applied to Postgres (null before the first) */
                    schema_version?: string | null;
                    /** @enum {string} */
                    status: "ok" | "fail";
                } & {
                    [key: string]: unknown;
                };
                kv: {
                    /** @description How long the check took, in milliseconds */
                    duration_ms: number;
                    /** @description Why the check failed (an error code or a timeout); only when `status` is `fail` */
                    error?: string;
                    /** @description `database` only: the last migration applied to Postgres (null before the first) */
                    schema_version?: string | null;
                    /** @enum {string} */
                    status: "ok" | "fail";
                } & {
                    [key: string]: unknown;
                };
            };
            /** @description The checks that failed; empty when ready */
            failing: ("config" | "database" | "kv" | "durable_object")[];
            /** @description Whether the maintenance switch is on: writes answer 503, reads keep working (the API is still ready) */
            maintenance: boolean;
            /** @enum {string} */
            status: "ready" | "unavailable";
            /** @description The deployed API version (semantic versioning) */
            version: string;
        };
        ReconciliationReport: {
            /** @description Ledger accounts checked on this page */
            accounts_checked: number;
            /** @description Accounts whose snapshot or balance disagrees with their entries; empty when all agree */
            drifted: {
                /**
                 * Format: uuid
                 * @description The ledger account (one per employee and policy)
                 */
                account_id: string;
                /** @description Posted balance summed from every settled entry */
                balance_from_entries: number;
                /** @description Posted balance as the API computes it: the snapshot plus later entries */
                balance_from_snapshot: number;
                /** Format: uuid */
                employee_id: string;
                policy_key: string;
                /** @description The same sums recomputed from the entries it covers; null without a snapshot */
                recomputed: {
                    /** @description Settled entries effective after it, summed */
                    settled_after: number;
                    /** @description Settled entries effective on or before the snapshot's date, summed */
                    settled_to_date: number;
                } | null;
                /** @description What that snapshot stored; null without a snapshot */
                snapshot: {
                    /** @description Settled entries effective after it, summed */
                    settled_after: number;
                    /** @description Settled entries effective on or before the snapshot's date, summed */
                    settled_to_date: number;
                } | null;
                /** @description The account's newest balance snapshot; null when it has none */
                snapshot_id: number | null;
            }[];
            /**
             * Format: uuid
             * @description The last account id of this page: pass it as `after` for the next one; null when done
             */
            next_after: string | null;
        };
        RefreshRequest: {
            /** @description The `refresh_token` of the last token pair (`llr_…`) */
            refresh_token: string;
        };
        RequestComment: {
            /**
             * Format: uuid
             * @description The user id of who wrote it
             */
            author_id: string;
            /** @description Their name */
            author_name: string;
            /** @description The comment; null once the person's data was erased or its year's key destroyed */
            body: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            request_id: string;
        };
        RequestCommentThread: {
            data: components["schemas"]["RequestComment"][];
        };
        RequestCorrection: {
            amount_after: number;
            amount_before: number;
            /** @description What the balance has available after it (negative allowance included); null for untracked policies */
            available: number | null;
            /** @description The correction was posted although it takes the balance below its negative allowance (the leave was taken): HR should look */
            below_allowance: boolean;
            days_after: number;
            days_before: number;
            /** Format: uuid */
            employee_id: string;
            employee_name: string;
            policy_key: string;
            reason: string;
            /** Format: uuid */
            request_id: string;
            /**
             * @description The request's status after it (`cancelled` when no working day is left)
             * @enum {string}
             */
            status: "pending" | "approved" | "rejected" | "cancelled" | "expired";
            /** @description The policy's unit */
            unit: string;
        };
        Retention: {
            /** @description Audit rows are purged (behind signed checkpoints) this many years after they were written */
            audit_years: number;
            /** @description A year's reasons, comments and notes are destroyed (its data keys shredded) this many full years after the year ended; null: kept until erasure */
            confidential_years: number | null;
        };
        RetentionChange: {
            /** @description Audit rows are purged (behind signed checkpoints) this many years after they were written */
            audit_years?: number;
            /** @description A year's reasons, comments and notes are destroyed (its data keys shredded) this many full years after the year ended; null: kept until erasure */
            confidential_years?: number | null;
        };
        RoleAssignment: {
            /**
             * @description The role to grant
             * @enum {string}
             */
            role: "employee" | "manager" | "hr_admin" | "system_admin" | "auditor";
        };
        RoleChange: {
            /** @description Whether this call changed anything: false when the user already held (or, for a removal, did not hold) the role */
            changed: boolean;
            /** @enum {string} */
            role: "employee" | "manager" | "hr_admin" | "system_admin" | "auditor";
            /** Format: uuid */
            user_id: string;
        };
        Rollover: {
            /**
             * Format: uuid
             * @description `next_after` of the previous chunk; null to start
             * @default null
             */
            after?: string | null;
            /**
             * @description Report what would happen and write nothing (the default)
             * @default true
             */
            dry_run?: boolean;
            /**
             * @description Ledger accounts per chunk
             * @default 500
             */
            limit?: number;
            /**
             * Format: uuid
             * @description The run the first real chunk opened; null for the first chunk
             * @default null
             */
            run_id?: string | null;
            /** @description The year that ends */
            year: number;
        };
        RolloverChunk: {
            /** @description One per ledger account of the chunk not yet rolled over in this run, by account id */
            accounts: {
                /** @description Posted balance on 31 December, in the policy's unit */
                balance: number;
                /** @description Carried over: the balance up to the policy's cap (0 when not positive) */
                carry: number;
                /** Format: uuid */
                employee_id: string;
                /** @description What expires: the rest of a positive balance */
                expire: number;
                policy_key: string;
            }[];
            /** @description The chunk's accounts' posted balances on 31 December, summed */
            balance: number;
            /** @description Carried over to 1 January, summed */
            carried: number;
            dry_run: boolean;
            /** @description Expired on 31 December, summed */
            expired: number;
            /**
             * Format: uuid
             * @description The last ledger account id of this chunk: pass it as `after` for the next one; null when done
             */
            next_after: string | null;
            /** @description Entries written by this chunk (0 on a dry run) */
            posted_entries: number;
            /**
             * Format: uuid
             * @description The rollover run; null on a dry run without `run_id`
             */
            run_id: string | null;
            year: number;
        };
        RolloverReversal: {
            /**
             * @description Entries reversed per call
             * @default 1000
             */
            limit?: number;
        };
        RolloverReversalChunk: {
            /** @description Whether every entry of the run is reversed (then the year may be rolled over again) */
            done: boolean;
            /**
             * Format: uuid
             * @description The run the reversal entries belong to (the same for every call)
             */
            reversal_run_id: string;
            /** @description Entries reversed by this call */
            reversed_entries: number;
            /**
             * Format: uuid
             * @description The rollover run being reversed
             */
            run_id: string;
        };
        SetPassword: {
            /** @description 12 to 256 characters */
            password: string;
        };
        SetPin: {
            /** @description The kiosk PIN: 6 to 8 digits, as a string (leading zeros count) */
            pin: string;
        };
        SubjectExport: {
            api_keys: {
                /** Format: date-time */
                created_at: string;
                /** Format: uuid */
                id: string;
                /** Format: date-time */
                last_used_at: string | null;
                name: string;
                prefix: string;
                /** Format: date-time */
                revoked_at: string | null;
                /** @enum {string} */
                role: "employee" | "manager" | "hr_admin" | "system_admin" | "auditor";
                /** Format: date-time */
                rotated_at: string | null;
                scopes: string[];
            }[];
            /** @description Decisions they made on others' requests, oldest first */
            approvals_given: components["schemas"]["ApprovalGiven"][];
            /** @description Audit rows by them or about them (as user, employee or their requests), by id */
            audit: components["schemas"]["AuditEntry"][];
            /** @description Per policy, every entry counted (as `GET /v1/employees/{id}/balances` without `as_of`) */
            balances: {
                pending: number;
                policy_key: string;
                posted: number;
            }[];
            /** @description Comments on their requests and those they wrote on others', opened, in the order they were written */
            comments: components["schemas"]["RequestComment"][];
            employee: {
                /** Format: date-time */
                created_at: string;
                employee_number: string;
                /** Format: date */
                hire_date: string;
                /** Format: uuid */
                id: string;
                /** Format: uuid */
                manager_id: string | null;
                time_zone: string;
                work_week: number[];
            };
            /** Format: date-time */
            exported_at: string;
            /**
             * @description This document's format and version
             * @enum {string}
             */
            format: "leave-ledger.subject-export.v1";
            /** @description Their requests, reasons and comments opened, oldest first */
            leave_requests: components["schemas"]["LeaveRequest"][];
            /** @description Every entry of the person's balances, by id */
            ledger_entries: components["schemas"]["LedgerEntry"][];
            policy_assignments: {
                /** Format: date */
                ends_on: string | null;
                policy_key: string;
                /** Format: date */
                starts_on: string;
            }[];
            roles: ("employee" | "manager" | "hr_admin" | "system_admin" | "auditor")[];
            /** @description Sign-ins (refresh token families), oldest first; tokens themselves are never shown */
            sessions: {
                /** Format: date-time */
                ended_at: string | null;
                /** Format: date-time */
                expires_at: string;
                /** Format: uuid */
                family_id: string;
                kiosk: boolean;
                /** Format: date-time */
                last_refreshed_at: string;
                /** Format: date-time */
                started_at: string;
            }[];
            tenant: {
                /** Format: uuid */
                id: string;
                name: string;
                slug: string;
            };
            user: {
                /** Format: date-time */
                created_at: string;
                display_name: string;
                email: string;
                /** Format: date-time */
                erased_at: string | null;
                /** @description The subject of the tenant's SSO issuer linked to the account */
                external_subject: string | null;
                /** Format: uuid */
                id: string;
                /** @description `active`, `deactivated` or `erased` */
                status: string;
            };
        };
        SubmitLeaveRequest: {
            /**
             * Format: uuid
             * @description Record the request on this employee's behalf (HR Admin, System Admin; a manager for a direct report where the policy allows). Default: yourself
             */
            employee_id?: string;
            /**
             * Format: date
             * @example 2026-12-23
             */
            end_date: string;
            /**
             * @description `midday`: only the first half of the last day
             * @default evening
             * @enum {string}
             */
            end_part?: "midday" | "evening";
            /** @example pto-standard */
            policy_key: string;
            /** @description A note for your approver */
            reason?: string;
            /**
             * Format: date
             * @example 2026-12-21
             */
            start_date: string;
            /**
             * @description `afternoon`: only the second half of the first day
             * @default morning
             * @enum {string}
             */
            start_part?: "morning" | "afternoon";
        };
        TeamBalances: {
            /** @description One per direct report, by employee id */
            data: components["schemas"]["EmployeeBalances"][];
        };
        TenantProfile: {
            /** Format: uuid */
            id: string;
            /** @description The display name, for login screens */
            name: string;
            /** @description The short name used to sign in (`tenant` of the login bodies) */
            slug: string;
        };
        Termination: {
            /**
             * Format: date
             * @description The last day of employment (in the employee's calendar), on or after the hire date
             */
            end_date: string;
        };
        TerminationReport: {
            /** @description Entries that prorate accruals to the end date */
            accrual_corrections: number;
            /** @description Requests cancelled: pending ones with a day after the end date, approved ones wholly after it */
            cancelled_request_ids: string[];
            /** Format: uuid */
            employee_id: string;
            /** Format: date */
            end_date: string;
            /** @description Each policy's balance after the end, by policy key */
            final_balances: {
                /** @description Still held by pending requests (0 unless some end on or before the end date) */
                pending: number;
                policy_key: string;
                /** @description The final balance, in the policy's unit (no payout is computed) */
                posted: number;
                unit: string;
            }[];
            /** @description Usage entries of approved days after the end date, reversed */
            reversed_entries: number;
        };
        TokenPair: {
            /** @description A signed JWT (ES256) naming the user and tenant; it carries no roles */
            access_token: string;
            /** @description Seconds until the access token expires */
            expires_in: number;
            /** @description Seconds until the refresh token expires, unless used or revoked first */
            refresh_expires_in: number;
            /** @description An opaque token (`llr_…`) for `POST /v1/auth/refresh`; it works once */
            refresh_token: string;
            /**
             * @description Send the access token as `Authorization: Bearer <access_token>`
             * @enum {string}
             */
            token_type: "Bearer";
        };
        /** @description Exactly one of `email` or `employee_number`: the locked login identifier, in the caller's tenant. */
        Unlock: {
            /**
             * Format: email
             * @description The email a password login was locked for
             */
            email?: string;
            /** @description The employee number a PIN login was locked for */
            employee_number?: string;
        };
        UpdatedEmployee: components["schemas"]["Employee"] & {
            /** @description The person's approved and pending requests repriced from their today on because `holiday_calendar` or `work_week` changed (each audited as `request.correct`; `below_allowance` flags a balance taken below its negative allowance); empty otherwise */
            corrections: components["schemas"]["RequestCorrection"][];
        };
        /** @description At least one field; fields left out stay as they are. */
        UpdateEmployee: {
            /** @description The name shown to colleagues */
            display_name?: string;
            /**
             * Format: email
             * @description The sign-in email, unique in the tenant (case-insensitively); changing it ends every session of the person
             */
            email?: string;
            /** @description The number of the tenant's HR records, unique in the tenant */
            employee_number?: string;
            /**
             * Format: date
             * @description First day of employment (YYYY-MM-DD)
             */
            hire_date?: string;
            /**
             * @description The holiday calendar to follow (their location's); requests submitted afterwards are charged by it
             * @example berlin
             */
            holiday_calendar?: string;
            /**
             * Format: uuid
             * @description The new manager's employee id; null for none
             */
            manager_id?: string | null;
            /** @description IANA time zone in which the employee's dates are counted */
            time_zone?: string;
            /**
             * @description ISO weekdays worked (1 = Monday … 7 = Sunday); leave is charged only for these
             * @example [
             *       1,
             *       2,
             *       3,
             *       4,
             *       5
             *     ]
             */
            work_week?: number[];
        };
        UsageReportPage: {
            data: components["schemas"]["EmployeeUsage"][];
            /** Format: date */
            from: string;
            pagination: {
                /** @description Whether another page follows */
                has_more: boolean;
                /** @description Pass as `cursor` to get the next page; null on the last page */
                next_cursor: string | null;
            };
            /** Format: date */
            to: string;
        };
        WebhookAttempt: {
            attempt: number;
            duration_ms: number;
            /** @description Why the attempt failed, in our words (never the receiver's body) */
            error: string | null;
            /** @enum {string} */
            outcome: "delivered" | "failed" | "timeout" | "unreachable" | "refused_url";
            /** Format: date-time */
            started_at: string;
            /** @description The receiver's HTTP status; null when it did not answer */
            status_code: number | null;
        } | null;
        WebhookDelivery: {
            attempts: number;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            delivered_at: string | null;
            /** Format: uuid */
            event_id: string;
            /** @enum {string} */
            event_type: "leave_request.submitted" | "leave_request.approved" | "leave_request.rejected" | "leave_request.cancelled" | "leave_request.expired" | "leave_request.corrected" | "balance.adjusted" | "accrual_run.completed" | "rollover.completed" | "rollover.reversed" | "employee.created" | "employee.updated" | "employee.erased" | "policy.changed" | "security.refresh_token_reuse" | "security.login_failures_from_address" | "security.admin_new_country" | "security.api_key_new_asn" | "security.self_serving_refused" | "security.bulk_adjustments";
            /** @description Failed attempts in a row (since the last redelivery) */
            failures: number;
            /** Format: uuid */
            id: string;
            last_attempt: components["schemas"]["WebhookAttempt"];
            sequence: number;
            /**
             * @description `pending` (on its way, or waiting for the subject's earlier event), `delivered`, `dead` (failed too often: the subject's later events wait until it is redelivered or skipped) or `skipped`
             * @enum {string}
             */
            status: "pending" | "delivered" | "dead" | "skipped";
            subject: string;
            /** Format: uuid */
            subscription_id: string;
        };
        WebhookDeliveryDetail: components["schemas"]["WebhookDelivery"] & {
            /** @description Every attempt, oldest first */
            attempt_log: components["schemas"]["WebhookAttempt"][];
            event: components["schemas"]["WebhookEvent"];
        };
        WebhookDeliveryPage: {
            data: components["schemas"]["WebhookDelivery"][];
            pagination: {
                /** @description Whether another page follows */
                has_more: boolean;
                /** @description Pass as `cursor` to get the next page; null on the last page */
                next_cursor: string | null;
            };
        };
        WebhookDeliveryResolution: {
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            status: "pending" | "skipped";
        };
        WebhookEvent: {
            /** @description Ids, dates, amounts and statuses only, by type (docs/integrations.md) */
            data: {
                [key: string]: unknown;
            };
            /**
             * Format: uuid
             * @description The event's id, also the `webhook-id` header: the same on every attempt and redelivery
             */
            id: string;
            /** @description The event's place among its subject's events, from 1. A subscription never gets a lower one after a higher one, but may see gaps (types it does not want, events while it was disabled, skipped deliveries) */
            sequence: number;
            /** @description What the event is about: `leave_request:<id>`, `balance:<account id>`, … */
            subject: string;
            /**
             * Format: date-time
             * @description When the change happened
             */
            timestamp: string;
            /** @enum {string} */
            type: "leave_request.submitted" | "leave_request.approved" | "leave_request.rejected" | "leave_request.cancelled" | "leave_request.expired" | "leave_request.corrected" | "balance.adjusted" | "accrual_run.completed" | "rollover.completed" | "rollover.reversed" | "employee.created" | "employee.updated" | "employee.erased" | "policy.changed" | "security.refresh_token_reuse" | "security.login_failures_from_address" | "security.admin_new_country" | "security.api_key_new_asn" | "security.self_serving_refused" | "security.bulk_adjustments";
            /**
             * @description The payload's shape; a breaking change gets a new version
             * @enum {number}
             */
            version: 1;
        };
        WebhookSecretRotation: {
            /**
             * @description How long the previous secret keeps signing deliveries too (0 to 168 hours; default 24)
             * @default 24
             */
            overlap_hours?: number;
        };
        WebhookSubscription: {
            /** Format: date-time */
            created_at: string;
            /** Format: uuid */
            created_by: string;
            description: string;
            /** @description A disabled subscription receives nothing until enabled again */
            enabled: boolean;
            event_types: ("leave_request.submitted" | "leave_request.approved" | "leave_request.rejected" | "leave_request.cancelled" | "leave_request.expired" | "leave_request.corrected" | "balance.adjusted" | "accrual_run.completed" | "rollover.completed" | "rollover.reversed" | "employee.created" | "employee.updated" | "employee.erased" | "policy.changed" | "security.refresh_token_reuse" | "security.login_failures_from_address" | "security.admin_new_country" | "security.api_key_new_asn" | "security.self_serving_refused" | "security.bulk_adjustments")[];
            /** Format: uuid */
            id: string;
            /**
             * Format: date-time
             * @description After a rotation, until when the previous secret signs deliveries too; null otherwise
             */
            previous_secret_expires_at: string | null;
            /** Format: date-time */
            updated_at: string;
            /** @description Where events are POSTed, signed (Standard Webhooks) */
            url: string;
        };
        WebhookSubscriptionChange: {
            description?: string;
            enabled?: boolean;
            /** @description The event types delivered (docs/integrations.md); empty: all of them */
            event_types?: ("leave_request.submitted" | "leave_request.approved" | "leave_request.rejected" | "leave_request.cancelled" | "leave_request.expired" | "leave_request.corrected" | "balance.adjusted" | "accrual_run.completed" | "rollover.completed" | "rollover.reversed" | "employee.created" | "employee.updated" | "employee.erased" | "policy.changed" | "security.refresh_token_reuse" | "security.login_failures_from_address" | "security.admin_new_country" | "security.api_key_new_asn" | "security.self_serving_refused" | "security.bulk_adjustments")[];
            /** @description An absolute http(s) URL without credentials; in staging and production https only, and not localhost nor a private, loopback or link-local address */
            url?: string;
        };
        WebhookSubscriptionList: {
            data: components["schemas"]["WebhookSubscription"][];
            limit: number;
            offset: number;
            total: number;
        };
        WebhookSubscriptionWithSecret: components["schemas"]["WebhookSubscription"] & {
            /** @description The signing secret (`whsec_…`), for the receiver to verify signatures. Shown once: store it now. */
            secret: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description `true` when this is the stored answer of an earlier request with the same Idempotency-Key. */
        IdempotentReplayed: "true";
        /** @description Requests allowed in the current window of the limit closest to running out. */
        RateLimitLimit: number;
        /** @description Requests left in that window. */
        RateLimitRemaining: number;
        /** @description Seconds until that window resets. */
        RateLimitReset: number;
        /** @description The request's id (yours if you sent a valid `X-Request-Id`); quote it when reporting a problem. */
        RequestId: string;
        /** @description Seconds to wait before retrying (send the same Idempotency-Key again for writes). */
        RetryAfter: number;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getApiReference: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The reference page */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Worker answers */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok",
                     *       "version": "0.1.0"
                     *     }
                     */
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    getLiveness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Worker answers */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok",
                     *       "version": "0.1.0"
                     *     }
                     */
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every dependency answered */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready",
                     *       "version": "0.1.0",
                     *       "checks": {
                     *         "config": {
                     *           "status": "ok",
                     *           "duration_ms": 0
                     *         },
                     *         "database": {
                     *           "status": "ok",
                     *           "duration_ms": 18,
                     *           "schema_version": "0016_permission_vocabulary"
                     *         },
                     *         "kv": {
                     *           "status": "ok",
                     *           "duration_ms": 4
                     *         },
                     *         "durable_object": {
                     *           "status": "ok",
                     *           "duration_ms": 6
                     *         }
                     *       },
                     *       "failing": [],
                     *       "maintenance": false
                     *     }
                     */
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description At least one dependency failed */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "unavailable",
                     *       "version": "0.1.0",
                     *       "checks": {
                     *         "config": {
                     *           "status": "ok",
                     *           "duration_ms": 0
                     *         },
                     *         "database": {
                     *           "status": "fail",
                     *           "duration_ms": 2001,
                     *           "error": "no answer within 2000 ms"
                     *         },
                     *         "kv": {
                     *           "status": "ok",
                     *           "duration_ms": 4
                     *         },
                     *         "durable_object": {
                     *           "status": "ok",
                     *           "duration_ms": 6
                     *         }
                     *       },
                     *       "failing": [
                     *         "database"
                     *       ],
                     *       "maintenance": false,
                     *       "error": {
                     *         "code": "SERVICE_UNAVAILABLE",
                     *         "message": "Not ready: database",
                     *         "details": {
                     *           "failing": [
                     *             "database"
                     *           ]
                     *         },
                     *         "request_id": "0b6f2a52-3d4e-4a8c-9f1e-2c7d5e8a9b10",
                     *         "documentation_url": "https://api.leave-ledger.example/docs#description/service-unavailable"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Readiness"] & {
                        error: {
                            /** @enum {string} */
                            code: "INVALID_INPUT" | "VALIDATION_FAILED" | "UNAUTHORIZED" | "FORBIDDEN" | "RESOURCE_NOT_FOUND" | "METHOD_NOT_ALLOWED" | "CONFLICT" | "DUPLICATE_REQUEST" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "INSUFFICIENT_BALANCE" | "NOT_ELIGIBLE" | "ACCOUNT_LOCKED" | "RATE_LIMIT_EXCEEDED" | "INTERNAL_ERROR" | "CONFIG_INVALID" | "DATABASE_ERROR" | "DATA_INTEGRITY" | "SERVICE_UNAVAILABLE" | "ENCRYPTION_KEY_UNAVAILABLE";
                            details: {
                                [key: string]: unknown;
                            };
                            /** Format: uri */
                            documentation_url: string;
                            message: string;
                            request_id: string;
                        };
                    };
                };
            };
        };
    };
    listAbsences: {
        parameters: {
            query: {
                /** @description `next_cursor` of the previous page; leave out for the first page */
                cursor?: string;
                /** @description The first day of the window */
                from: string;
                /** @description People per page (at most 500) */
                limit?: number;
                /** @description `team`: your direct reports (managers); `tenant`: everyone (HR Admin, System Admin, Auditor) */
                scope?: "team" | "tenant";
                /** @description The last day of the window (at most 31 days in all) */
                to: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the people out */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "from": "2026-12-21",
                     *       "to": "2026-12-27",
                     *       "data": [
                     *         {
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "days": [
                     *             {
                     *               "day": "2026-12-21",
                     *               "part": "day",
                     *               "status": "pending",
                     *               "policy_key": "pto-standard",
                     *               "category": "vacation",
                     *               "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64"
                     *             },
                     *             {
                     *               "day": "2026-12-22",
                     *               "part": "day",
                     *               "status": "pending",
                     *               "policy_key": "pto-standard",
                     *               "category": "vacation",
                     *               "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64"
                     *             },
                     *             {
                     *               "day": "2026-12-23",
                     *               "part": "day",
                     *               "status": "pending",
                     *               "policy_key": "pto-standard",
                     *               "category": "vacation",
                     *               "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64"
                     *             }
                     *           ]
                     *         }
                     *       ],
                     *       "pagination": {
                     *         "next_cursor": null,
                     *         "has_more": false
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["AbsencePage"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    runAccruals: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "after": null,
                 *       "limit": 500
                 *     }
                 */
                "application/json": components["schemas"]["AccrualRun"];
            };
        };
        responses: {
            /** @description What this chunk posted */
            200: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "employees": 6,
                     *       "accruals": 5,
                     *       "amount": 10.4165,
                     *       "carryover_expiries": 0,
                     *       "next_after": null
                     *     }
                     */
                    "application/json": components["schemas"]["AccrualChunk"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DUPLICATE_REQUEST */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listApiKeys: {
        parameters: {
            query?: {
                /** @description How many items to return (at most 100) */
                limit?: number;
                /** @description How many items to skip */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "6f1c2a9e-4b7d-4c3e-9a85-2d7b1e0f4c36",
                     *           "name": "Payroll sync",
                     *           "prefix": "3cda38e31c00",
                     *           "role": "auditor",
                     *           "scopes": [
                     *             "tenant:read"
                     *           ],
                     *           "created_at": "2026-11-17T09:42:15.318Z",
                     *           "rotated_at": null,
                     *           "last_used_at": "2026-11-30T23:00:04.127Z",
                     *           "revoked_at": null
                     *         },
                     *         {
                     *           "id": "b4673f18-7fda-4e53-a386-583e07c32679",
                     *           "name": "HRIS import (retired)",
                     *           "prefix": "ac4a1815be5b",
                     *           "role": "hr_admin",
                     *           "scopes": [
                     *             "user:manage"
                     *           ],
                     *           "created_at": "2026-10-05T13:20:37.904Z",
                     *           "rotated_at": null,
                     *           "last_used_at": "2026-11-19T02:00:11.562Z",
                     *           "revoked_at": "2026-11-20T10:14:52.006Z"
                     *         }
                     *       ],
                     *       "total": 2,
                     *       "offset": 0,
                     *       "limit": 20
                     *     }
                     */
                    "application/json": components["schemas"]["ApiKeyPage"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Payroll sync",
                 *       "role": "auditor",
                 *       "scopes": [
                 *         "tenant:read"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["CreateApiKey"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "6f1c2a9e-4b7d-4c3e-9a85-2d7b1e0f4c36",
                     *       "name": "Payroll sync",
                     *       "prefix": "3cda38e31c00",
                     *       "role": "auditor",
                     *       "scopes": [
                     *         "tenant:read"
                     *       ],
                     *       "created_at": "2026-11-17T09:42:15.318Z",
                     *       "rotated_at": null,
                     *       "last_used_at": null,
                     *       "revoked_at": null,
                     *       "key": "llk_3cda38e31c00_e-h3hMuzR03I6_mGIcx4uehuyiIbv92nUfG9pp7yOzs"
                     *     }
                     */
                    "application/json": components["schemas"]["NewApiKey"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The key's `id` (not its prefix) */
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rotateApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The key's `id` (not its prefix) */
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Rotated */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "6f1c2a9e-4b7d-4c3e-9a85-2d7b1e0f4c36",
                     *       "name": "Payroll sync",
                     *       "prefix": "3cda38e31c00",
                     *       "role": "auditor",
                     *       "scopes": [
                     *         "tenant:read"
                     *       ],
                     *       "created_at": "2026-11-17T09:42:15.318Z",
                     *       "rotated_at": "2026-12-01T08:05:41.072Z",
                     *       "last_used_at": "2026-11-30T23:00:04.127Z",
                     *       "revoked_at": null,
                     *       "key": "llk_3cda38e31c00_ztCuYPPQ8lTF9WXvvULrvjiKx1oTROx1ivC32WVdwn4"
                     *     }
                     */
                    "application/json": components["schemas"]["NewApiKey"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listApprovals: {
        parameters: {
            query?: {
                /** @description `next_cursor` of the previous page; leave out for the first page */
                cursor?: string;
                /** @description Items per page (at most 200) */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of pending requests */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "3f9c2a71-5b8e-4d06-a1c4-7e2b9d8f6a13",
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "policy_key": "pto-standard",
                     *           "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "start_date": "2026-12-14",
                     *           "end_date": "2026-12-14",
                     *           "start_part": "morning",
                     *           "end_part": "evening",
                     *           "days": 1,
                     *           "amount": 1,
                     *           "unit": "day",
                     *           "reason": "Dentist",
                     *           "status": "pending",
                     *           "approvals_required": 1,
                     *           "approvals": [],
                     *           "expires_at": "2026-12-07T09:15:42.318+00:00",
                     *           "submitted_by": "00000000-0000-4000-8100-000000000104",
                     *           "submitted_by_name": "Emma Employee",
                     *           "submitted_at": "2026-11-30T09:15:42.318+00:00",
                     *           "resolved_at": null,
                     *           "corrections": []
                     *         },
                     *         {
                     *           "id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "policy_key": "pto-standard",
                     *           "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "start_date": "2026-12-21",
                     *           "end_date": "2026-12-23",
                     *           "start_part": "morning",
                     *           "end_part": "evening",
                     *           "days": 3,
                     *           "amount": 3,
                     *           "unit": "day",
                     *           "reason": "Family visit",
                     *           "status": "pending",
                     *           "approvals_required": 1,
                     *           "approvals": [],
                     *           "expires_at": "2026-12-08T08:47:13.502+00:00",
                     *           "submitted_by": "00000000-0000-4000-8100-000000000104",
                     *           "submitted_by_name": "Emma Employee",
                     *           "submitted_at": "2026-12-01T08:47:13.502+00:00",
                     *           "resolved_at": null,
                     *           "corrections": []
                     *         }
                     *       ],
                     *       "pagination": {
                     *         "next_cursor": null,
                     *         "has_more": false
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["LeaveRequestPage"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listAuditEntries: {
        parameters: {
            query?: {
                /** @description Only entries of this action, such as `auth.login` or `role.assign` */
                action?: string;
                /** @description Only entries by this actor: a user's id (also for an API key acting for them) or a system part's name */
                actor_id?: string;
                /** @description `next_cursor` of the previous page; leave out for the first page */
                cursor?: string;
                /** @description Only entries at or after this instant */
                from?: string;
                /** @description Items per page (at most 200) */
                limit?: number;
                /** @description Only entries about this subject: an id (the prefix for an API key), a date or a login identifier */
                target_id?: string;
                /** @description Only entries about this kind of subject, such as `user`, `employee` or `leave_request` */
                target_type?: string;
                /** @description Only entries before this instant */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of entries */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": 1843,
                     *           "occurred_at": "2026-11-17T10:05:12.447Z",
                     *           "actor_type": "user",
                     *           "actor_id": "00000000-0000-4000-8100-000000000102",
                     *           "action": "role.assign",
                     *           "target_type": "user",
                     *           "target_id": "00000000-0000-4000-8100-000000000104",
                     *           "success": true,
                     *           "ip": "203.0.113.24",
                     *           "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                     *           "request_id": "4f8e2c1a-7b3d-4e9f-a6c2-1d5b8e0f3a72",
                     *           "details": {
                     *             "role": "manager"
                     *           },
                     *           "personal_details": null,
                     *           "personal_data_erased": false
                     *         },
                     *         {
                     *           "id": 1842,
                     *           "occurred_at": "2026-11-17T09:29:48.031Z",
                     *           "actor_type": "anonymous",
                     *           "actor_id": null,
                     *           "action": "auth.login",
                     *           "target_type": "user",
                     *           "target_id": "00000000-0000-4000-8100-000000000104",
                     *           "success": false,
                     *           "ip": "198.51.100.7",
                     *           "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                     *           "request_id": "9a1d3f5b-2c4e-4f6a-8b7c-0e2d4f6a8c91",
                     *           "details": {
                     *             "method": "password",
                     *             "identifier_known": true,
                     *             "failures": 1
                     *           },
                     *           "personal_details": null,
                     *           "personal_data_erased": false
                     *         }
                     *       ],
                     *       "pagination": {
                     *         "next_cursor": "WzE4NDJd",
                     *         "has_more": true
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    exportAuditEntries: {
        parameters: {
            query?: {
                /** @description Only entries of this action, such as `auth.login` or `role.assign` */
                action?: string;
                /** @description Only entries by this actor: a user's id (also for an API key acting for them) or a system part's name */
                actor_id?: string;
                /** @description `ndjson`: one JSON entry per line; `csv`: a header line, then one line per entry (`details` as JSON) */
                format?: "ndjson" | "csv";
                /** @description Only entries at or after this instant */
                from?: string;
                /** @description Only entries about this subject: an id (the prefix for an API key), a date or a login identifier */
                target_id?: string;
                /** @description Only entries about this kind of subject, such as `user`, `employee` or `leave_request` */
                target_type?: string;
                /** @description Only entries before this instant */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The entries, one per line */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /** @example {"id":1843,"occurred_at":"2026-11-17T10:05:12.447Z","actor_type":"user","actor_id":"00000000-0000-4000-8100-000000000102","action":"role.assign","target_type":"user","target_id":"00000000-0000-4000-8100-000000000104","success":true,"ip":"203.0.113.24","user_agent":"curl/8.11.0","request_id":"4f8e2c1a-7b3d-4e9f-a6c2-1d5b8e0f3a72","details":{"role":"manager"},"personal_details":null,"personal_data_erased":false} */
                    "application/x-ndjson": string;
                    /**
                     * @example id,occurred_at,actor_type,actor_id,action,target_type,target_id,success,ip,user_agent,request_id,details,personal_details,personal_data_erased
                     *     1843,2026-11-17T10:05:12.447Z,user,00000000-0000-4000-8100-000000000102,role.assign,user,00000000-0000-4000-8100-000000000104,true,203.0.113.24,curl/8.11.0,4f8e2c1a-7b3d-4e9f-a6c2-1d5b8e0f3a72,"{""role"":""manager""}",,false
                     */
                    "text/csv": string;
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    verifyAuditChain: {
        parameters: {
            query?: {
                /** @description Start after the entry with this id (`next_after_id` of the previous answer) */
                after_id?: number;
                /** @description How many entries to check in this call */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The verdict */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "checked": 1843,
                     *       "valid": true,
                     *       "first_broken": null,
                     *       "next_after_id": null
                     *     }
                     */
                    "application/json": components["schemas"]["AuditChainVerification"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "tenant": "acme",
                 *       "email": "emma.employee@acme.example",
                 *       "password": "leave-ledger-demo"
                 *     }
                 */
                "application/json": components["schemas"]["PasswordLogin"];
            };
        };
        responses: {
            /** @description A new access token and refresh token */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "token_type": "Bearer",
                     *       "access_token": "eyJhbGciOiJFUzI1NiIsImtpZCI6ImtleS0yMDI2LTExLTAxIiwidHlwIjoiYXQrand0In0.eyJ0aWQiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODEwMC0wMDAwMDAwMDAwMDEiLCJzdiI6MCwiaXNzIjoiaHR0cHM6Ly9hcGkubGVhdmUtbGVkZ2VyLmV4YW1wbGUiLCJhdWQiOiJsZWF2ZS1sZWRnZXItYXBpIiwic3ViIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgxMDAtMDAwMDAwMDAwMTA0IiwiaWF0IjoxNzk0OTA3ODAwLCJuYmYiOjE3OTQ5MDc4MDAsImV4cCI6MTc5NDkwODcwMCwianRpIjoiOWQzYzZmMGUtMmI3YS00ZTFkLThjNTUtM2EwZjdiNmUyZDkxIn0.Ufix8i3UPcS6rEfMq9utbA7b735i-10bkOF13gfcXAv6ST6ylO-B4fdZJHtuSx44fbgSksdVDYp1X5iK1YevLg",
                     *       "expires_in": 900,
                     *       "refresh_token": "llr_6edkYMENGjCcV6u4RTAycrx33wU06O8a9XDuHKpKsQY",
                     *       "refresh_expires_in": 604800
                     *     }
                     */
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            /** @description VALIDATION_FAILED or INVALID_INPUT */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ACCOUNT_LOCKED or RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refresh_token": "llr_Bl1iG_jR9gOc_kzGpo85ZKjf3UUXASWtDQYYz1ExVm0"
                 *     }
                 */
                "application/json": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description Ended (or never existed) */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED or INVALID_INPUT */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    logoutEverywhere: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description All sessions ended */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    loginWithPin: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "tenant": "acme",
                 *       "employee_number": "A-004",
                 *       "pin": "2468"
                 *     }
                 */
                "application/json": components["schemas"]["PinLogin"];
            };
        };
        responses: {
            /** @description A new access token and refresh token */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "token_type": "Bearer",
                     *       "access_token": "eyJhbGciOiJFUzI1NiIsImtpZCI6ImtleS0yMDI2LTExLTAxIiwidHlwIjoiYXQrand0In0.eyJ0aWQiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODEwMC0wMDAwMDAwMDAwMDEiLCJzdiI6MCwiaXNzIjoiaHR0cHM6Ly9hcGkubGVhdmUtbGVkZ2VyLmV4YW1wbGUiLCJhdWQiOiJsZWF2ZS1sZWRnZXItYXBpIiwic3ViIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgxMDAtMDAwMDAwMDAwMTA0IiwiaWF0IjoxNzk0OTA3ODAwLCJuYmYiOjE3OTQ5MDc4MDAsImV4cCI6MTc5NDkwODcwMCwianRpIjoiOWQzYzZmMGUtMmI3YS00ZTFkLThjNTUtM2EwZjdiNmUyZDkxIn0.Ufix8i3UPcS6rEfMq9utbA7b735i-10bkOF13gfcXAv6ST6ylO-B4fdZJHtuSx44fbgSksdVDYp1X5iK1YevLg",
                     *       "expires_in": 900,
                     *       "refresh_token": "llr_6edkYMENGjCcV6u4RTAycrx33wU06O8a9XDuHKpKsQY",
                     *       "refresh_expires_in": 604800
                     *     }
                     */
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            /** @description VALIDATION_FAILED or INVALID_INPUT */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ACCOUNT_LOCKED or RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    refreshSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refresh_token": "llr_Bl1iG_jR9gOc_kzGpo85ZKjf3UUXASWtDQYYz1ExVm0"
                 *     }
                 */
                "application/json": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description A new access token and refresh token */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "token_type": "Bearer",
                     *       "access_token": "eyJhbGciOiJFUzI1NiIsImtpZCI6ImtleS0yMDI2LTExLTAxIiwidHlwIjoiYXQrand0In0.eyJ0aWQiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODEwMC0wMDAwMDAwMDAwMDEiLCJzdiI6MCwiaXNzIjoiaHR0cHM6Ly9hcGkubGVhdmUtbGVkZ2VyLmV4YW1wbGUiLCJhdWQiOiJsZWF2ZS1sZWRnZXItYXBpIiwic3ViIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgxMDAtMDAwMDAwMDAwMTA0IiwiaWF0IjoxNzk0OTA3ODAwLCJuYmYiOjE3OTQ5MDc4MDAsImV4cCI6MTc5NDkwODcwMCwianRpIjoiOWQzYzZmMGUtMmI3YS00ZTFkLThjNTUtM2EwZjdiNmUyZDkxIn0.Ufix8i3UPcS6rEfMq9utbA7b735i-10bkOF13gfcXAv6ST6ylO-B4fdZJHtuSx44fbgSksdVDYp1X5iK1YevLg",
                     *       "expires_in": 900,
                     *       "refresh_token": "llr_6edkYMENGjCcV6u4RTAycrx33wU06O8a9XDuHKpKsQY",
                     *       "refresh_expires_in": 604800
                     *     }
                     */
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            /** @description VALIDATION_FAILED or INVALID_INPUT */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    unlockAccount: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "emma.employee@acme.example"
                 *     }
                 */
                "application/json": components["schemas"]["Unlock"];
            };
        };
        responses: {
            /** @description Unlocked */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listDelegations: {
        parameters: {
            query?: {
                /** @description How many items to return (at most 100) */
                limit?: number;
                /** @description How many items to skip */
                offset?: number;
                /** @description Only delegations in this state now */
                status?: "scheduled" | "running" | "ended" | "revoked";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Delegations */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "8d2f4a61-7c3e-4b19-a0d5-6e9f1b2c3d47",
                     *           "delegator_id": "00000000-0000-4000-8100-000000000203",
                     *           "delegator_name": "Mike Manager",
                     *           "delegate_id": "00000000-0000-4000-8100-000000000205",
                     *           "delegate_name": "Eli Employee",
                     *           "starts_at": "2026-12-21T00:00:00+00:00",
                     *           "ends_at": "2027-01-04T00:00:00+00:00",
                     *           "status": "scheduled",
                     *           "created_by": "00000000-0000-4000-8100-000000000103",
                     *           "created_at": "2026-12-01T09:12:44.120+00:00",
                     *           "revoked_at": null
                     *         }
                     *       ],
                     *       "total": 1,
                     *       "offset": 0,
                     *       "limit": 20
                     *     }
                     */
                    "application/json": components["schemas"]["ApprovalDelegationList"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createDelegation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "delegate_id": "00000000-0000-4000-8100-000000000205",
                 *       "starts_at": "2026-12-21T00:00:00+00:00",
                 *       "ends_at": "2027-01-04T00:00:00+00:00"
                 *     }
                 */
                "application/json": components["schemas"]["NewApprovalDelegation"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "8d2f4a61-7c3e-4b19-a0d5-6e9f1b2c3d47",
                     *       "delegator_id": "00000000-0000-4000-8100-000000000203",
                     *       "delegator_name": "Mike Manager",
                     *       "delegate_id": "00000000-0000-4000-8100-000000000205",
                     *       "delegate_name": "Eli Employee",
                     *       "starts_at": "2026-12-21T00:00:00+00:00",
                     *       "ends_at": "2027-01-04T00:00:00+00:00",
                     *       "status": "scheduled",
                     *       "created_by": "00000000-0000-4000-8100-000000000103",
                     *       "created_at": "2026-12-01T09:12:44.120+00:00",
                     *       "revoked_at": null
                     *     }
                     */
                    "application/json": components["schemas"]["ApprovalDelegation"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeDelegation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ended */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "8d2f4a61-7c3e-4b19-a0d5-6e9f1b2c3d47",
                     *       "delegator_id": "00000000-0000-4000-8100-000000000203",
                     *       "delegator_name": "Mike Manager",
                     *       "delegate_id": "00000000-0000-4000-8100-000000000205",
                     *       "delegate_name": "Eli Employee",
                     *       "starts_at": "2026-12-21T00:00:00+00:00",
                     *       "ends_at": "2027-01-04T00:00:00+00:00",
                     *       "status": "revoked",
                     *       "created_by": "00000000-0000-4000-8100-000000000103",
                     *       "created_at": "2026-12-01T09:12:44.120+00:00",
                     *       "revoked_at": "2026-12-22T08:03:10.442+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["ApprovalDelegation"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listEmployees: {
        parameters: {
            query?: {
                /** @description `true`: people who can sign in and whose employment has not ended; `false`: the others (deactivated, erased, past their end date) */
                active?: "true" | "false";
                /** @description How many to return (at most 200) */
                limit?: number;
                /** @description Only the direct reports of this employee */
                manager_id?: string;
                /** @description How many matches to skip */
                offset?: number;
                /** @description Only people assigned to this policy today (in their own time zone) */
                policy_key?: string;
                /** @description Part of a name, an email or an employee number, any case */
                q?: string;
                /** @description `-` for descending; ties are ordered by id */
                sort?: "name" | "-name" | "email" | "-email" | "employee_number" | "-employee_number" | "hire_date" | "-hire_date";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of employees */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "00000000-0000-4000-8100-000000000204",
                     *           "user_id": "00000000-0000-4000-8100-000000000104",
                     *           "display_name": "Emma Employee",
                     *           "email": "emma.employee@acme.example",
                     *           "external_subject": null,
                     *           "status": "active",
                     *           "employee_number": "A-004",
                     *           "manager_id": "00000000-0000-4000-8100-000000000203",
                     *           "manager_name": "Mike Manager",
                     *           "time_zone": "Europe/Berlin",
                     *           "hire_date": "2022-09-01",
                     *           "end_date": null,
                     *           "work_week": [
                     *             1,
                     *             2,
                     *             3,
                     *             4,
                     *             5
                     *           ],
                     *           "holiday_calendar": "berlin"
                     *         }
                     *       ],
                     *       "total": 1,
                     *       "offset": 0,
                     *       "limit": 50
                     *     }
                     */
                    "application/json": components["schemas"]["EmployeePage"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getEmployee: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The employee's id (`employee.id` of `GET /v1/me`) */
                employee_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The employee */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "00000000-0000-4000-8100-000000000204",
                     *       "user_id": "00000000-0000-4000-8100-000000000104",
                     *       "display_name": "Emma Employee",
                     *       "email": "emma.employee@acme.example",
                     *       "external_subject": null,
                     *       "status": "active",
                     *       "employee_number": "A-004",
                     *       "manager_id": "00000000-0000-4000-8100-000000000203",
                     *       "manager_name": "Mike Manager",
                     *       "time_zone": "Europe/Berlin",
                     *       "hire_date": "2022-09-01",
                     *       "end_date": null,
                     *       "work_week": [
                     *         1,
                     *         2,
                     *         3,
                     *         4,
                     *         5
                     *       ],
                     *       "holiday_calendar": "berlin"
                     *     }
                     */
                    "application/json": components["schemas"]["Employee"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateEmployee: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The employee's id (`employee.id` of `GET /v1/me`) */
                employee_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "display_name": "Emma Employee-Weber",
                 *       "manager_id": "00000000-0000-4000-8100-000000000203",
                 *       "work_week": [
                 *         1,
                 *         2,
                 *         3,
                 *         4
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["UpdateEmployee"];
            };
        };
        responses: {
            /** @description Updated */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "00000000-0000-4000-8100-000000000204",
                     *       "user_id": "00000000-0000-4000-8100-000000000104",
                     *       "display_name": "Emma Employee-Weber",
                     *       "email": "emma.employee@acme.example",
                     *       "external_subject": null,
                     *       "status": "active",
                     *       "employee_number": "A-004",
                     *       "manager_id": "00000000-0000-4000-8100-000000000203",
                     *       "manager_name": "Mike Manager",
                     *       "time_zone": "Europe/Berlin",
                     *       "hire_date": "2022-09-01",
                     *       "end_date": null,
                     *       "work_week": [
                     *         1,
                     *         2,
                     *         3,
                     *         4
                     *       ],
                     *       "holiday_calendar": "berlin",
                     *       "corrections": []
                     *     }
                     */
                    "application/json": components["schemas"]["UpdatedEmployee"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    terminateEmployee: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path: {
                /** @description The employee's id (`employee.id` of `GET /v1/me`) */
                employee_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "end_date": "2026-12-18"
                 *     }
                 */
                "application/json": components["schemas"]["Termination"];
            };
        };
        responses: {
            /** @description Ended */
            200: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "end_date": "2026-12-18",
                     *       "cancelled_request_ids": [
                     *         "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64"
                     *       ],
                     *       "reversed_entries": 0,
                     *       "accrual_corrections": 1,
                     *       "final_balances": [
                     *         {
                     *           "policy_key": "pto-standard",
                     *           "unit": "day",
                     *           "posted": 25.5,
                     *           "pending": 0
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["TerminationReport"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DUPLICATE_REQUEST or CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getEmployeeBalances: {
        parameters: {
            query?: {
                /** @description An effective (leave) date: only entries effective on or before it count. Default: every entry, future-dated bookings included. A date after the employee's today is a forecast: the accruals due by then and not yet posted count too, as `projected` (at most 3 years ahead). */
                as_of?: string;
                /** @description A recorded time (bitemporal): the balances as the ledger said them then, counting only entries recorded by that instant and the policy versions created by then; not in the future; never a forecast. Default: now. */
                known_at?: string;
            };
            header?: never;
            path: {
                /** @description The employee's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Balances */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "employee_name": "Emma Employee",
                     *       "today": "2026-12-02",
                     *       "as_of": null,
                     *       "known_at": null,
                     *       "forecast": false,
                     *       "balances": [
                     *         {
                     *           "policy_key": "pto-standard",
                     *           "unit": "day",
                     *           "tracking": "tracked",
                     *           "posted": 26.9996,
                     *           "projected": 0,
                     *           "pending": 1,
                     *           "negative_allowance": 2,
                     *           "available": 27.9996
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["EmployeeBalances"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    eraseEmployee: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The employee's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What was erased */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "employee_id": "00000000-0000-4000-8100-000000000205",
                     *       "user_id": "00000000-0000-4000-8100-000000000105",
                     *       "erased_at": "2026-12-02T10:14:03.220+00:00",
                     *       "data_keys_destroyed": 1,
                     *       "unsealed_fields_erased": 0,
                     *       "api_keys_revoked": 0,
                     *       "audit_rows_erased": 12
                     *     }
                     */
                    "application/json": components["schemas"]["Erasure"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    exportEmployeeData: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The employee's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Everything held about the employee */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json; charset=utf-8": components["schemas"]["SubjectExport"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postLedgerEntry: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path: {
                /** @description The employee's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "policy_key": "pto-standard",
                 *       "kind": "grant",
                 *       "amount": 1,
                 *       "effective_date": "2026-12-02",
                 *       "note": "Volunteering day at the city food bank"
                 *     }
                 */
                "application/json": components["schemas"]["Adjustment"];
            };
        };
        responses: {
            /** @description The entry */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 71,
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "policy_key": "pto-standard",
                     *       "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *       "kind": "grant",
                     *       "amount": 1,
                     *       "effective_date": "2026-12-02",
                     *       "recorded_at": "2026-12-02T16:05:09.664+00:00",
                     *       "reference": "manual:00000000-0000-4000-8100-000000000102:2f1c3b6e-grant-1",
                     *       "request_id": null,
                     *       "run_id": null,
                     *       "resolves_entry_id": null,
                     *       "expires_at": null,
                     *       "note": "Volunteering day at the city food bank"
                     *     }
                     */
                    "application/json": components["schemas"]["LedgerEntry"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DUPLICATE_REQUEST */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listHolidayCalendars: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Calendars */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "calendar": "berlin",
                     *           "holidays": 10,
                     *           "employees": 2
                     *         },
                     *         {
                     *           "calendar": "default",
                     *           "holidays": 9,
                     *           "employees": 4
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["HolidayCalendarList"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listHolidays: {
        parameters: {
            query: {
                /** @description The holiday calendar (one per location); the employees who follow it are not charged for its days. Default: the one you follow (`default` without an employee record) */
                calendar?: string;
                /** @description A calendar year */
                year: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Holidays */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "calendar": "default",
                     *       "data": [
                     *         {
                     *           "day": "2026-12-25",
                     *           "name": "Christmas Day",
                     *           "calendar": "default"
                     *         },
                     *         {
                     *           "day": "2026-12-26",
                     *           "name": "Boxing Day",
                     *           "calendar": "default"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description The calendar listed */
                        calendar: string;
                        /** @description By date */
                        data: components["schemas"]["Holiday"][];
                    };
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    addHoliday: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "day": "2027-03-26",
                 *       "name": "Good Friday",
                 *       "calendar": "default"
                 *     }
                 */
                "application/json": components["schemas"]["Holiday"];
            };
        };
        responses: {
            /** @description Added */
            201: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "day": "2027-03-26",
                     *       "name": "Good Friday",
                     *       "calendar": "default",
                     *       "corrections": [
                     *         {
                     *           "request_id": "7c1e9a40-3d2b-4f8e-b6a5-0e9d8c7b6a51",
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "policy_key": "pto-standard",
                     *           "unit": "day",
                     *           "status": "approved",
                     *           "days_before": 3,
                     *           "days_after": 2,
                     *           "amount_before": 3,
                     *           "amount_after": 2,
                     *           "available": 14.5,
                     *           "below_allowance": false,
                     *           "reason": "2027-03-26 (Good Friday) became a holiday of calendar default"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["HolidayChange"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    removeHoliday: {
        parameters: {
            query?: {
                /** @description The holiday calendar (one per location); the employees who follow it are not charged for its days. Default: `default` */
                calendar?: string;
            };
            header?: never;
            path: {
                day: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "day": "2027-03-26",
                     *       "name": "Good Friday",
                     *       "calendar": "default",
                     *       "corrections": [
                     *         {
                     *           "request_id": "7c1e9a40-3d2b-4f8e-b6a5-0e9d8c7b6a51",
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "policy_key": "pto-standard",
                     *           "unit": "day",
                     *           "status": "approved",
                     *           "days_before": 2,
                     *           "days_after": 3,
                     *           "amount_before": 2,
                     *           "amount_after": 3,
                     *           "available": -0.5,
                     *           "below_allowance": true,
                     *           "reason": "2027-03-26 (Good Friday) is no longer a holiday of calendar default"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["HolidayChange"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listLedgerEntries: {
        parameters: {
            query?: {
                /** @description `next_cursor` of the previous page; leave out for the first page */
                cursor?: string;
                /** @description Default: your own entries */
                employee_id?: string;
                /** @description Effective on or after */
                from?: string;
                kind?: "accrual" | "grant" | "hold" | "hold_release" | "usage" | "adjustment" | "carryover_out" | "carryover_in" | "expiry" | "reversal";
                /** @description Only entries recorded by this instant: the ledger as it was then */
                known_at?: string;
                /** @description Items per page (at most 200) */
                limit?: number;
                policy_key?: string;
                /** @description By effective date or by id (posting order); `-` for descending */
                sort?: "effective_date" | "-effective_date" | "id" | "-id";
                /** @description Effective on or before */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of entries */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": 66,
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "policy_key": "pto-standard",
                     *           "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "kind": "usage",
                     *           "amount": -1,
                     *           "effective_date": "2026-12-23",
                     *           "recorded_at": "2026-12-02T15:20:31.117+00:00",
                     *           "reference": "request:b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64:usage:2026-12-23",
                     *           "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *           "run_id": null,
                     *           "resolves_entry_id": null,
                     *           "expires_at": null,
                     *           "note": null
                     *         },
                     *         {
                     *           "id": 65,
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "policy_key": "pto-standard",
                     *           "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "kind": "usage",
                     *           "amount": -1,
                     *           "effective_date": "2026-12-22",
                     *           "recorded_at": "2026-12-02T15:20:31.117+00:00",
                     *           "reference": "request:b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64:usage:2026-12-22",
                     *           "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *           "run_id": null,
                     *           "resolves_entry_id": null,
                     *           "expires_at": null,
                     *           "note": null
                     *         },
                     *         {
                     *           "id": 64,
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "policy_key": "pto-standard",
                     *           "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "kind": "usage",
                     *           "amount": -1,
                     *           "effective_date": "2026-12-21",
                     *           "recorded_at": "2026-12-02T15:20:31.117+00:00",
                     *           "reference": "request:b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64:usage:2026-12-21",
                     *           "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *           "run_id": null,
                     *           "resolves_entry_id": null,
                     *           "expires_at": null,
                     *           "note": null
                     *         },
                     *         {
                     *           "id": 63,
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "policy_key": "pto-standard",
                     *           "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "kind": "hold_release",
                     *           "amount": 3,
                     *           "effective_date": "2026-12-21",
                     *           "recorded_at": "2026-12-02T15:20:31.117+00:00",
                     *           "reference": "request:b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64:release",
                     *           "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *           "run_id": null,
                     *           "resolves_entry_id": 62,
                     *           "expires_at": null,
                     *           "note": "approved"
                     *         },
                     *         {
                     *           "id": 62,
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "policy_key": "pto-standard",
                     *           "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "kind": "hold",
                     *           "amount": -3,
                     *           "effective_date": "2026-12-21",
                     *           "recorded_at": "2026-12-01T08:47:13.502+00:00",
                     *           "reference": "request:b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64:hold",
                     *           "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *           "run_id": null,
                     *           "resolves_entry_id": null,
                     *           "expires_at": "2026-12-08T08:47:13.502+00:00",
                     *           "note": null
                     *         }
                     *       ],
                     *       "pagination": {
                     *         "next_cursor": "WzYyXQ",
                     *         "has_more": true
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["LedgerEntryPage"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listLedgerRuns: {
        parameters: {
            query?: {
                /** @description Only runs of this kind */
                kind?: "accrual" | "rollover" | "rollover_reversal" | "snapshot";
                /** @description How many items to return (at most 100) */
                limit?: number;
                /** @description How many items to skip */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of runs */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "7c2d9e4f-1a6b-4c83-9f0e-2b5a8d7c3e91",
                     *           "kind": "rollover",
                     *           "period": "2026",
                     *           "reverses_run_id": null,
                     *           "reversed_by_run_id": null,
                     *           "actor_id": "00000000-0000-4000-8100-000000000101",
                     *           "summary": {
                     *             "year": 2026
                     *           },
                     *           "started_at": "2027-01-04T09:00:12.845213+00:00"
                     *         },
                     *         {
                     *           "id": "e1a7c3f9-2d4b-4e86-b0f5-9c8a6d3e1b27",
                     *           "kind": "accrual",
                     *           "period": "2027-01-01",
                     *           "reverses_run_id": null,
                     *           "reversed_by_run_id": null,
                     *           "actor_id": "system:scheduler",
                     *           "summary": {
                     *             "after": null,
                     *             "employees": 6,
                     *             "accruals": 5,
                     *             "amount": 12.5,
                     *             "carryover_expiries": 0
                     *           },
                     *           "started_at": "2027-01-01T02:00:03.271094+00:00"
                     *         }
                     *       ],
                     *       "total": 14,
                     *       "offset": 0,
                     *       "limit": 2
                     *     }
                     */
                    "application/json": components["schemas"]["LedgerRunPage"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": {
                     *         "id": "00000000-0000-4000-8100-000000000104",
                     *         "email": "emma.employee@acme.example",
                     *         "display_name": "Emma Employee"
                     *       },
                     *       "tenant_id": "00000000-0000-4000-8100-000000000001",
                     *       "roles": [
                     *         "employee"
                     *       ],
                     *       "employee": {
                     *         "id": "00000000-0000-4000-8100-000000000204",
                     *         "employee_number": "A-004",
                     *         "manager_id": "00000000-0000-4000-8100-000000000203",
                     *         "time_zone": "Europe/Berlin",
                     *         "hire_date": "2022-09-01"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Me"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getMyBalances: {
        parameters: {
            query?: {
                /** @description An effective (leave) date: only entries effective on or before it count. Default: every entry, future-dated bookings included. A date after the employee's today is a forecast: the accruals due by then and not yet posted count too, as `projected` (at most 3 years ahead). */
                as_of?: string;
                /** @description A recorded time (bitemporal): the balances as the ledger said them then, counting only entries recorded by that instant and the policy versions created by then; not in the future; never a forecast. Default: now. */
                known_at?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Balances */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "employee_name": "Emma Employee",
                     *       "today": "2026-12-02",
                     *       "as_of": null,
                     *       "known_at": null,
                     *       "forecast": false,
                     *       "balances": [
                     *         {
                     *           "policy_key": "pto-standard",
                     *           "unit": "day",
                     *           "tracking": "tracked",
                     *           "posted": 26.9996,
                     *           "projected": 0,
                     *           "pending": 1,
                     *           "negative_allowance": 2,
                     *           "available": 27.9996
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["EmployeeBalances"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    exportMyData: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Everything held about you */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json; charset=utf-8": components["schemas"]["SubjectExport"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    changeMyPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "current_password": "leave-ledger-demo",
                 *       "new_password": "maple-harbour-lantern-42"
                 *     }
                 */
                "application/json": components["schemas"]["ChangePassword"];
            };
        };
        responses: {
            /** @description Changed */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getMyPermissions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Roles and permissions */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "roles": [
                     *         "employee"
                     *       ],
                     *       "permissions": [
                     *         "self:read",
                     *         "request:submit"
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["MyPermissions"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getOpenApiDocument: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATABASE_ERROR */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPolicies: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Policies */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "key": "pto-standard",
                     *           "version": 1,
                     *           "name": "Paid time off",
                     *           "category": "vacation",
                     *           "unit": "day",
                     *           "tracking": "tracked",
                     *           "accrual": {
                     *             "period": "monthly",
                     *             "amount": 2.0833,
                     *             "year": "calendar"
                     *           },
                     *           "max_balance": 40,
                     *           "carryover": {
                     *             "cap": 5,
                     *             "expiry_months": 3
                     *           },
                     *           "negative_allowance": 2,
                     *           "waiting_period_days": 0,
                     *           "approvals_required": 1,
                     *           "approval_ttl_hours": 168,
                     *           "managers_may_record": false,
                     *           "effective_from": "2026-01-01",
                     *           "created_at": "2026-01-05T10:30:00.000Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        data: components["schemas"]["Policy"][];
                    };
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPolicy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "key": "sick-leave",
                 *       "name": "Sick leave",
                 *       "category": "sick",
                 *       "unit": "day",
                 *       "tracking": "untracked",
                 *       "approvals_required": 0,
                 *       "managers_may_record": true,
                 *       "effective_from": "2027-01-01"
                 *     }
                 */
                "application/json": components["schemas"]["CreatePolicy"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "c27e9b14-6f3a-4d8e-b501-3a9d7e2c4f18",
                     *       "key": "sick-leave",
                     *       "version": 1,
                     *       "name": "Sick leave",
                     *       "category": "sick",
                     *       "unit": "day",
                     *       "tracking": "untracked",
                     *       "accrual": {
                     *         "period": "none",
                     *         "amount": 0,
                     *         "year": "calendar"
                     *       },
                     *       "max_balance": null,
                     *       "carryover": {
                     *         "cap": null,
                     *         "expiry_months": null
                     *       },
                     *       "negative_allowance": 0,
                     *       "waiting_period_days": 0,
                     *       "approvals_required": 0,
                     *       "approval_ttl_hours": 168,
                     *       "managers_may_record": true,
                     *       "effective_from": "2027-01-01",
                     *       "created_at": "2026-12-10T11:05:17.830Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Policy"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPolicyVersions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Versions */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "8a3f1e62-4c7d-4b95-a2e8-0d6c9b1f3a57",
                     *           "key": "pto-standard",
                     *           "version": 2,
                     *           "name": "Paid time off",
                     *           "category": "vacation",
                     *           "unit": "day",
                     *           "tracking": "tracked",
                     *           "accrual": {
                     *             "period": "monthly",
                     *             "amount": 2.5,
                     *             "year": "calendar"
                     *           },
                     *           "max_balance": 40,
                     *           "carryover": {
                     *             "cap": 5,
                     *             "expiry_months": 3
                     *           },
                     *           "negative_allowance": 2,
                     *           "waiting_period_days": 0,
                     *           "approvals_required": 1,
                     *           "approval_ttl_hours": 168,
                     *           "managers_may_record": false,
                     *           "effective_from": "2027-01-01",
                     *           "created_at": "2026-12-10T11:02:45.219Z"
                     *         },
                     *         {
                     *           "id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "key": "pto-standard",
                     *           "version": 1,
                     *           "name": "Paid time off",
                     *           "category": "vacation",
                     *           "unit": "day",
                     *           "tracking": "tracked",
                     *           "accrual": {
                     *             "period": "monthly",
                     *             "amount": 2.0833,
                     *             "year": "calendar"
                     *           },
                     *           "max_balance": 40,
                     *           "carryover": {
                     *             "cap": 5,
                     *             "expiry_months": 3
                     *           },
                     *           "negative_allowance": 2,
                     *           "waiting_period_days": 0,
                     *           "approvals_required": 1,
                     *           "approval_ttl_hours": 168,
                     *           "managers_may_record": false,
                     *           "effective_from": "2026-01-01",
                     *           "created_at": "2026-01-05T10:30:00.000Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        data: components["schemas"]["Policy"][];
                    };
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    assignPolicy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "employee_ids": [
                 *         "00000000-0000-4000-8100-000000000206",
                 *         "00000000-0000-4000-8100-000000000204"
                 *       ],
                 *       "starts_on": "2027-01-01"
                 *     }
                 */
                "application/json": components["schemas"]["AssignPolicy"];
            };
        };
        responses: {
            /** @description Newly assigned employees */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "policy_key": "pto-standard",
                     *       "changed": 1,
                     *       "employee_ids": [
                     *         "00000000-0000-4000-8100-000000000206"
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["AssignmentResult"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    endPolicyAssignments: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "employee_ids": [
                 *         "00000000-0000-4000-8100-000000000205"
                 *       ],
                 *       "ends_on": "2027-06-30"
                 *     }
                 */
                "application/json": components["schemas"]["EndPolicyAssignment"];
            };
        };
        responses: {
            /** @description Employees whose assignment ended */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "policy_key": "pto-standard",
                     *       "changed": 1,
                     *       "employee_ids": [
                     *         "00000000-0000-4000-8100-000000000205"
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["AssignmentResult"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revisePolicy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Paid time off",
                 *       "unit": "day",
                 *       "accrual": {
                 *         "period": "monthly",
                 *         "amount": 2.5,
                 *         "year": "calendar"
                 *       },
                 *       "max_balance": 40,
                 *       "carryover": {
                 *         "cap": 5,
                 *         "expiry_months": 3
                 *       },
                 *       "negative_allowance": 2,
                 *       "approvals_required": 1,
                 *       "approval_ttl_hours": 168,
                 *       "effective_from": "2027-01-01"
                 *     }
                 */
                "application/json": components["schemas"]["PolicyRules"];
            };
        };
        responses: {
            /** @description The new version */
            201: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "8a3f1e62-4c7d-4b95-a2e8-0d6c9b1f3a57",
                     *       "key": "pto-standard",
                     *       "version": 2,
                     *       "name": "Paid time off",
                     *       "category": "vacation",
                     *       "unit": "day",
                     *       "tracking": "tracked",
                     *       "accrual": {
                     *         "period": "monthly",
                     *         "amount": 2.5,
                     *         "year": "calendar"
                     *       },
                     *       "max_balance": 40,
                     *       "carryover": {
                     *         "cap": 5,
                     *         "expiry_months": 3
                     *       },
                     *       "negative_allowance": 2,
                     *       "waiting_period_days": 0,
                     *       "approvals_required": 1,
                     *       "approval_ttl_hours": 168,
                     *       "managers_may_record": false,
                     *       "effective_from": "2027-01-01",
                     *       "created_at": "2026-12-10T11:02:45.219Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Policy"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    reconcileBalances: {
        parameters: {
            query?: {
                /** @description `next_after` of the previous page of accounts */
                after?: string;
                /** @description Ledger accounts per page */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Drift found on this page of accounts */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "accounts_checked": 5,
                     *       "drifted": [
                     *         {
                     *           "account_id": "0a4f6c2e-8b1d-4e73-9a5c-6d2f1b8e3c40",
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "policy_key": "pto-standard",
                     *           "snapshot_id": 12,
                     *           "snapshot": {
                     *             "settled_to_date": 25.9163,
                     *             "settled_after": 0
                     *           },
                     *           "recomputed": {
                     *             "settled_to_date": 26.9163,
                     *             "settled_after": 0
                     *           },
                     *           "balance_from_snapshot": 25.9996,
                     *           "balance_from_entries": 26.9996
                     *         }
                     *       ],
                     *       "next_after": null
                     *     }
                     */
                    "application/json": components["schemas"]["ReconciliationReport"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    reportBalances: {
        parameters: {
            query?: {
                /** @description Balances as of this effective date (default: every entry) */
                as_of?: string;
                /** @description `next_cursor` of the previous page; leave out for the first page */
                cursor?: string;
                /** @description A recorded time (bitemporal): the balances as the ledger said them then, counting only entries recorded by that instant and the policy versions created by then; not in the future; never a forecast. Default: now. */
                known_at?: string;
                /** @description Items per page (at most 200) */
                limit?: number;
                /** @description Only the direct reports of this employee */
                manager_id?: string;
                /** @description Only this policy's balances (and people with an account in it) */
                policy_key?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of balances */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "today": "2026-12-02",
                     *           "as_of": null,
                     *           "known_at": null,
                     *           "forecast": false,
                     *           "balances": [
                     *             {
                     *               "policy_key": "pto-standard",
                     *               "unit": "day",
                     *               "tracking": "tracked",
                     *               "posted": 26.9996,
                     *               "projected": 0,
                     *               "pending": 1,
                     *               "negative_allowance": 2,
                     *               "available": 27.9996
                     *             }
                     *           ]
                     *         },
                     *         {
                     *           "employee_id": "00000000-0000-4000-8100-000000000205",
                     *           "employee_name": "Eli Employee",
                     *           "today": "2026-12-03",
                     *           "as_of": null,
                     *           "known_at": null,
                     *           "forecast": false,
                     *           "balances": [
                     *             {
                     *               "policy_key": "pto-standard",
                     *               "unit": "day",
                     *               "tracking": "tracked",
                     *               "posted": 29.9996,
                     *               "projected": 0,
                     *               "pending": 0,
                     *               "negative_allowance": 2,
                     *               "available": 31.9996
                     *             }
                     *           ]
                     *         }
                     *       ],
                     *       "pagination": {
                     *         "next_cursor": null,
                     *         "has_more": false
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["BalanceReportPage"];
                    /**
                     * @example employee_id,employee_name,policy_key,unit,tracking,posted,projected,pending,negative_allowance,available,as_of,known_at,today,forecast
                     *     00000000-0000-4000-8100-000000000204,Emma Employee,pto-standard,day,tracked,26.9996,0,1,2,27.9996,,,2026-12-02,false
                     */
                    "text/csv": string;
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    reportUsage: {
        parameters: {
            query: {
                /** @description `next_cursor` of the previous page; leave out for the first page */
                cursor?: string;
                /** @description The first leave day counted */
                from: string;
                /** @description Items per page (at most 200) */
                limit?: number;
                /** @description Only the direct reports of this employee */
                manager_id?: string;
                /** @description Only this policy's balances (and people with an account in it) */
                policy_key?: string;
                /** @description The last leave day counted (at most 366 days after `from`) */
                to: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of leave taken */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "from": "2026-12-01",
                     *       "to": "2026-12-31",
                     *       "data": [
                     *         {
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "usage": [
                     *             {
                     *               "policy_key": "pto-standard",
                     *               "category": "vacation",
                     *               "unit": "day",
                     *               "used": 3
                     *             }
                     *           ]
                     *         }
                     *       ],
                     *       "pagination": {
                     *         "next_cursor": null,
                     *         "has_more": false
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["UsageReportPage"];
                    /**
                     * @example employee_id,employee_name,policy_key,category,unit,used,from,to
                     *     00000000-0000-4000-8100-000000000204,Emma Employee,pto-standard,vacation,day,3,2026-12-01,2026-12-31
                     */
                    "text/csv": string;
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listRequests: {
        parameters: {
            query?: {
                /** @description `next_cursor` of the previous page; leave out for the first page */
                cursor?: string;
                /** @description Default: your own requests */
                employee_id?: string;
                /** @description Items per page (at most 200) */
                limit?: number;
                /** @description Only requests in this status */
                status?: "pending" | "approved" | "rejected" | "cancelled" | "expired";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of requests */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "policy_key": "pto-standard",
                     *           "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "start_date": "2026-12-21",
                     *           "end_date": "2026-12-23",
                     *           "start_part": "morning",
                     *           "end_part": "evening",
                     *           "days": 3,
                     *           "amount": 3,
                     *           "unit": "day",
                     *           "reason": "Family visit",
                     *           "status": "approved",
                     *           "approvals_required": 1,
                     *           "approvals": [
                     *             {
                     *               "approver_id": "00000000-0000-4000-8100-000000000103",
                     *               "approver_name": "Mike Manager",
                     *               "decision": "approve",
                     *               "comment": "Enjoy the break!",
                     *               "decided_at": "2026-12-02T15:20:31.117+00:00",
                     *               "on_behalf_of": null,
                     *               "on_behalf_of_name": null
                     *             }
                     *           ],
                     *           "expires_at": "2026-12-08T08:47:13.502+00:00",
                     *           "submitted_by": "00000000-0000-4000-8100-000000000104",
                     *           "submitted_by_name": "Emma Employee",
                     *           "submitted_at": "2026-12-01T08:47:13.502+00:00",
                     *           "resolved_at": "2026-12-02T15:20:31.117+00:00",
                     *           "corrections": []
                     *         },
                     *         {
                     *           "id": "3f9c2a71-5b8e-4d06-a1c4-7e2b9d8f6a13",
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "policy_key": "pto-standard",
                     *           "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *           "start_date": "2026-12-14",
                     *           "end_date": "2026-12-14",
                     *           "start_part": "morning",
                     *           "end_part": "evening",
                     *           "days": 1,
                     *           "amount": 1,
                     *           "unit": "day",
                     *           "reason": "Dentist",
                     *           "status": "pending",
                     *           "approvals_required": 1,
                     *           "approvals": [],
                     *           "expires_at": "2026-12-07T09:15:42.318+00:00",
                     *           "submitted_by": "00000000-0000-4000-8100-000000000104",
                     *           "submitted_by_name": "Emma Employee",
                     *           "submitted_at": "2026-11-30T09:15:42.318+00:00",
                     *           "resolved_at": null,
                     *           "corrections": []
                     *         }
                     *       ],
                     *       "pagination": {
                     *         "next_cursor": null,
                     *         "has_more": false
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["LeaveRequestPage"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    submitRequest: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "policy_key": "pto-standard",
                 *       "start_date": "2026-12-21",
                 *       "end_date": "2026-12-23",
                 *       "reason": "Family visit"
                 *     }
                 */
                "application/json": components["schemas"]["SubmitLeaveRequest"];
            };
        };
        responses: {
            /** @description The pending request, its hold placed */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "employee_name": "Emma Employee",
                     *       "policy_key": "pto-standard",
                     *       "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *       "start_date": "2026-12-21",
                     *       "end_date": "2026-12-23",
                     *       "start_part": "morning",
                     *       "end_part": "evening",
                     *       "days": 3,
                     *       "amount": 3,
                     *       "unit": "day",
                     *       "reason": "Family visit",
                     *       "status": "pending",
                     *       "approvals_required": 1,
                     *       "approvals": [],
                     *       "expires_at": "2026-12-08T08:47:13.502+00:00",
                     *       "submitted_by": "00000000-0000-4000-8100-000000000104",
                     *       "submitted_by_name": "Emma Employee",
                     *       "submitted_at": "2026-12-01T08:47:13.502+00:00",
                     *       "resolved_at": null,
                     *       "corrections": []
                     *     }
                     */
                    "application/json": components["schemas"]["LeaveRequest"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DUPLICATE_REQUEST or CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INSUFFICIENT_BALANCE or NOT_ELIGIBLE */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRequest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The request */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "employee_name": "Emma Employee",
                     *       "policy_key": "pto-standard",
                     *       "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *       "start_date": "2026-12-21",
                     *       "end_date": "2026-12-23",
                     *       "start_part": "morning",
                     *       "end_part": "evening",
                     *       "days": 3,
                     *       "amount": 3,
                     *       "unit": "day",
                     *       "reason": "Family visit",
                     *       "status": "approved",
                     *       "approvals_required": 1,
                     *       "approvals": [
                     *         {
                     *           "approver_id": "00000000-0000-4000-8100-000000000103",
                     *           "approver_name": "Mike Manager",
                     *           "decision": "approve",
                     *           "comment": "Enjoy the break!",
                     *           "decided_at": "2026-12-02T15:20:31.117+00:00",
                     *           "on_behalf_of": null,
                     *           "on_behalf_of_name": null
                     *         }
                     *       ],
                     *       "expires_at": "2026-12-08T08:47:13.502+00:00",
                     *       "submitted_by": "00000000-0000-4000-8100-000000000104",
                     *       "submitted_by_name": "Emma Employee",
                     *       "submitted_at": "2026-12-01T08:47:13.502+00:00",
                     *       "resolved_at": "2026-12-02T15:20:31.117+00:00",
                     *       "corrections": []
                     *     }
                     */
                    "application/json": components["schemas"]["LeaveRequest"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approveRequest: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                /**
                 * @example {
                 *       "comment": "Enjoy the break!"
                 *     }
                 */
                "application/json": components["schemas"]["Decision"];
            };
        };
        responses: {
            /** @description The request after the decision */
            200: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "employee_name": "Emma Employee",
                     *       "policy_key": "pto-standard",
                     *       "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *       "start_date": "2026-12-21",
                     *       "end_date": "2026-12-23",
                     *       "start_part": "morning",
                     *       "end_part": "evening",
                     *       "days": 3,
                     *       "amount": 3,
                     *       "unit": "day",
                     *       "reason": "Family visit",
                     *       "status": "approved",
                     *       "approvals_required": 1,
                     *       "approvals": [
                     *         {
                     *           "approver_id": "00000000-0000-4000-8100-000000000103",
                     *           "approver_name": "Mike Manager",
                     *           "decision": "approve",
                     *           "comment": "Enjoy the break!",
                     *           "decided_at": "2026-12-02T15:20:31.117+00:00",
                     *           "on_behalf_of": null,
                     *           "on_behalf_of_name": null
                     *         }
                     *       ],
                     *       "expires_at": "2026-12-08T08:47:13.502+00:00",
                     *       "submitted_by": "00000000-0000-4000-8100-000000000104",
                     *       "submitted_by_name": "Emma Employee",
                     *       "submitted_at": "2026-12-01T08:47:13.502+00:00",
                     *       "resolved_at": "2026-12-02T15:20:31.117+00:00",
                     *       "corrections": []
                     *     }
                     */
                    "application/json": components["schemas"]["LeaveRequest"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DUPLICATE_REQUEST or CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    cancelRequest: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The cancelled request */
            200: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "employee_name": "Emma Employee",
                     *       "policy_key": "pto-standard",
                     *       "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *       "start_date": "2026-12-21",
                     *       "end_date": "2026-12-23",
                     *       "start_part": "morning",
                     *       "end_part": "evening",
                     *       "days": 3,
                     *       "amount": 3,
                     *       "unit": "day",
                     *       "reason": "Family visit",
                     *       "status": "cancelled",
                     *       "approvals_required": 1,
                     *       "approvals": [
                     *         {
                     *           "approver_id": "00000000-0000-4000-8100-000000000103",
                     *           "approver_name": "Mike Manager",
                     *           "decision": "approve",
                     *           "comment": "Enjoy the break!",
                     *           "decided_at": "2026-12-02T15:20:31.117+00:00",
                     *           "on_behalf_of": null,
                     *           "on_behalf_of_name": null
                     *         }
                     *       ],
                     *       "expires_at": "2026-12-08T08:47:13.502+00:00",
                     *       "submitted_by": "00000000-0000-4000-8100-000000000104",
                     *       "submitted_by_name": "Emma Employee",
                     *       "submitted_at": "2026-12-01T08:47:13.502+00:00",
                     *       "resolved_at": "2026-12-09T07:58:20.644+00:00",
                     *       "corrections": []
                     *     }
                     */
                    "application/json": components["schemas"]["LeaveRequest"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DUPLICATE_REQUEST or CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listRequestComments: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The thread */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "e1c7a9d2-3b58-4f06-9a1e-5d2c8b7f4a30",
                     *           "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *           "author_id": "00000000-0000-4000-8100-000000000103",
                     *           "author_name": "Mike Manager",
                     *           "body": "Could you hand the release checklist to Eli before you go?",
                     *           "created_at": "2026-12-02T09:12:44.210+00:00"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["RequestCommentThread"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    commentOnRequest: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "body": "Could you hand the release checklist to Eli before you go?"
                 *     }
                 */
                "application/json": components["schemas"]["NewRequestComment"];
            };
        };
        responses: {
            /** @description The comment */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "e1c7a9d2-3b58-4f06-9a1e-5d2c8b7f4a30",
                     *       "request_id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *       "author_id": "00000000-0000-4000-8100-000000000103",
                     *       "author_name": "Mike Manager",
                     *       "body": "Could you hand the release checklist to Eli before you go?",
                     *       "created_at": "2026-12-02T09:12:44.210+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["RequestComment"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DUPLICATE_REQUEST or CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectRequest: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                /**
                 * @example {
                 *       "comment": "The year-end release is that week; could you move it to January?"
                 *     }
                 */
                "application/json": components["schemas"]["Decision"];
            };
        };
        responses: {
            /** @description The request after the decision */
            200: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "employee_name": "Emma Employee",
                     *       "policy_key": "pto-standard",
                     *       "policy_version_id": "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
                     *       "start_date": "2026-12-21",
                     *       "end_date": "2026-12-23",
                     *       "start_part": "morning",
                     *       "end_part": "evening",
                     *       "days": 3,
                     *       "amount": 3,
                     *       "unit": "day",
                     *       "reason": "Family visit",
                     *       "status": "rejected",
                     *       "approvals_required": 1,
                     *       "approvals": [
                     *         {
                     *           "approver_id": "00000000-0000-4000-8100-000000000103",
                     *           "approver_name": "Mike Manager",
                     *           "decision": "reject",
                     *           "comment": "The year-end release is that week; could you move it to January?",
                     *           "decided_at": "2026-12-02T15:20:31.117+00:00",
                     *           "on_behalf_of": null,
                     *           "on_behalf_of_name": null
                     *         }
                     *       ],
                     *       "expires_at": "2026-12-08T08:47:13.502+00:00",
                     *       "submitted_by": "00000000-0000-4000-8100-000000000104",
                     *       "submitted_by_name": "Emma Employee",
                     *       "submitted_at": "2026-12-01T08:47:13.502+00:00",
                     *       "resolved_at": "2026-12-02T15:20:31.117+00:00",
                     *       "corrections": []
                     *     }
                     */
                    "application/json": components["schemas"]["LeaveRequest"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DUPLICATE_REQUEST or CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    simulateRequest: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "policy_key": "pto-standard",
                 *       "start_date": "2027-03-08",
                 *       "end_date": "2027-03-11",
                 *       "until": "2027-03-31"
                 *     }
                 */
                "application/json": components["schemas"]["LeaveRequestSimulationInput"];
            };
        };
        responses: {
            /** @description What the request would do, and the balance's path */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "employee_id": "00000000-0000-4000-8100-000000000204",
                     *       "employee_name": "Emma Employee",
                     *       "policy_key": "pto-standard",
                     *       "unit": "day",
                     *       "tracking": "tracked",
                     *       "days": 4,
                     *       "amount": 4,
                     *       "outcome": "pending",
                     *       "refusal": null,
                     *       "available_now": 8,
                     *       "today": "2026-12-02",
                     *       "until": "2027-03-31",
                     *       "path": [
                     *         {
                     *           "date": "2026-12-02",
                     *           "kind": "opening",
                     *           "amount": 6,
                     *           "balance": 6,
                     *           "projected": false
                     *         },
                     *         {
                     *           "date": "2026-12-31",
                     *           "kind": "expiry",
                     *           "amount": -1,
                     *           "balance": 5,
                     *           "projected": true
                     *         },
                     *         {
                     *           "date": "2026-12-31",
                     *           "kind": "carryover_out",
                     *           "amount": -5,
                     *           "balance": 0,
                     *           "projected": true
                     *         },
                     *         {
                     *           "date": "2027-01-01",
                     *           "kind": "carryover_in",
                     *           "amount": 5,
                     *           "balance": 5,
                     *           "projected": true
                     *         },
                     *         {
                     *           "date": "2027-01-01",
                     *           "kind": "accrual",
                     *           "amount": 2.0833,
                     *           "balance": 7.0833,
                     *           "projected": true
                     *         },
                     *         {
                     *           "date": "2027-02-01",
                     *           "kind": "accrual",
                     *           "amount": 2.0833,
                     *           "balance": 9.1666,
                     *           "projected": true
                     *         },
                     *         {
                     *           "date": "2027-03-01",
                     *           "kind": "accrual",
                     *           "amount": 2.0833,
                     *           "balance": 11.2499,
                     *           "projected": true
                     *         },
                     *         {
                     *           "date": "2027-03-08",
                     *           "kind": "request",
                     *           "amount": -1,
                     *           "balance": 10.2499,
                     *           "projected": true
                     *         },
                     *         {
                     *           "date": "2027-03-09",
                     *           "kind": "request",
                     *           "amount": -1,
                     *           "balance": 9.2499,
                     *           "projected": true
                     *         },
                     *         {
                     *           "date": "2027-03-10",
                     *           "kind": "request",
                     *           "amount": -1,
                     *           "balance": 8.2499,
                     *           "projected": true
                     *         },
                     *         {
                     *           "date": "2027-03-11",
                     *           "kind": "request",
                     *           "amount": -1,
                     *           "balance": 7.2499,
                     *           "projected": true
                     *         }
                     *       ],
                     *       "closing_balance": 7.2499,
                     *       "lowest": {
                     *         "date": "2026-12-31",
                     *         "balance": 0
                     *       },
                     *       "below_allowance": false
                     *     }
                     */
                    "application/json": components["schemas"]["LeaveRequestSimulation"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_ELIGIBLE */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    runRollover: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "year": 2026,
                 *       "dry_run": true,
                 *       "run_id": null,
                 *       "after": null,
                 *       "limit": 2
                 *     }
                 */
                "application/json": components["schemas"]["Rollover"];
            };
        };
        responses: {
            /** @description The plan (dry run) or what was posted */
            200: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "year": 2026,
                     *       "dry_run": true,
                     *       "run_id": null,
                     *       "posted_entries": 0,
                     *       "balance": 56.9992,
                     *       "carried": 10,
                     *       "expired": 46.9992,
                     *       "accounts": [
                     *         {
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "policy_key": "pto-standard",
                     *           "balance": 26.9996,
                     *           "carry": 5,
                     *           "expire": 21.9996
                     *         },
                     *         {
                     *           "employee_id": "00000000-0000-4000-8100-000000000201",
                     *           "policy_key": "pto-standard",
                     *           "balance": 29.9996,
                     *           "carry": 5,
                     *           "expire": 24.9996
                     *         }
                     *       ],
                     *       "next_after": "2b7d4e90-6c1f-4a38-8d52-9e0f3a6b1c74"
                     *     }
                     */
                    "application/json": components["schemas"]["RolloverChunk"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT or DUPLICATE_REQUEST */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    reverseRollover: {
        parameters: {
            query?: never;
            header: {
                /** @description Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST. */
                "idempotency-key": string;
            };
            path: {
                /** @description The rollover run to reverse */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "limit": 1000
                 *     }
                 */
                "application/json": components["schemas"]["RolloverReversal"];
            };
        };
        responses: {
            /** @description Progress of the reversal */
            200: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "run_id": "7c2d9e4f-1a6b-4c83-9f0e-2b5a8d7c3e91",
                     *       "reversal_run_id": "4b8e1f3a-7d2c-4a95-8e6f-1c3b9a5d2e70",
                     *       "reversed_entries": 15,
                     *       "done": true
                     *     }
                     */
                    "application/json": components["schemas"]["RolloverReversalChunk"];
                };
            };
            /** @description INVALID_INPUT or VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DUPLICATE_REQUEST */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getTeamBalances: {
        parameters: {
            query?: {
                /** @description An effective (leave) date: only entries effective on or before it count. Default: every entry, future-dated bookings included. A date after the employee's today is a forecast: the accruals due by then and not yet posted count too, as `projected` (at most 3 years ahead). */
                as_of?: string;
                /** @description A recorded time (bitemporal): the balances as the ledger said them then, counting only entries recorded by that instant and the policy versions created by then; not in the future; never a forecast. Default: now. */
                known_at?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Balances per report */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "employee_id": "00000000-0000-4000-8100-000000000204",
                     *           "employee_name": "Emma Employee",
                     *           "today": "2026-12-02",
                     *           "as_of": null,
                     *           "known_at": null,
                     *           "forecast": false,
                     *           "balances": [
                     *             {
                     *               "policy_key": "pto-standard",
                     *               "unit": "day",
                     *               "tracking": "tracked",
                     *               "posted": 26.9996,
                     *               "projected": 0,
                     *               "pending": 1,
                     *               "negative_allowance": 2,
                     *               "available": 27.9996
                     *             }
                     *           ]
                     *         },
                     *         {
                     *           "employee_id": "00000000-0000-4000-8100-000000000205",
                     *           "employee_name": "Eli Employee",
                     *           "today": "2026-12-03",
                     *           "as_of": null,
                     *           "known_at": null,
                     *           "forecast": false,
                     *           "balances": [
                     *             {
                     *               "policy_key": "pto-standard",
                     *               "unit": "day",
                     *               "tracking": "tracked",
                     *               "posted": 29.9996,
                     *               "projected": 0,
                     *               "pending": 0,
                     *               "negative_allowance": 2,
                     *               "available": 31.9996
                     *             }
                     *           ]
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["TeamBalances"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    exportTenantData: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tenant, one record per line */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /** @example {"type":"tenant","id":"00000000-0000-4000-8100-000000000001","slug":"acme","name":"Acme Corporation","exported_at":"2026-12-02T10:14:03.220Z","format":"leave-ledger.tenant-export.v1","retention":{"audit_years":7,"confidential_years":3}} */
                    "application/x-ndjson": string;
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRetention: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tenant's retention */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "audit_years": 7,
                     *       "confidential_years": 3
                     *     }
                     */
                    "application/json": components["schemas"]["Retention"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    changeRetention: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "confidential_years": 2
                 *     }
                 */
                "application/json": components["schemas"]["RetentionChange"];
            };
        };
        responses: {
            /** @description The tenant's retention now */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "audit_years": 7,
                     *       "confidential_years": 2
                     *     }
                     */
                    "application/json": components["schemas"]["Retention"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getTenant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The tenant's slug, as people type it on the login screen */
                slug: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tenant */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "00000000-0000-4000-8100-000000000001",
                     *       "slug": "acme",
                     *       "name": "Acme Corporation"
                     *     }
                     */
                    "application/json": components["schemas"]["TenantProfile"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "noah.newhire@acme.example",
                 *       "display_name": "Noah Newhire",
                 *       "employee": {
                 *         "employee_number": "A-007",
                 *         "manager_id": "00000000-0000-4000-8100-000000000203",
                 *         "time_zone": "Europe/London",
                 *         "hire_date": "2026-12-01"
                 *       },
                 *       "roles": [
                 *         "employee"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["CreateUser"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user_id": "5b0e7c1a-93d2-4f6b-8e41-7c2a9d0f3b58",
                     *       "employee_id": "c4d81f27-6a3e-4b95-a0d7-1e9f52b8c634"
                     *     }
                     */
                    "application/json": components["schemas"]["CreatedUser"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deactivateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id (`user.id` of `GET /v1/me`, `user_id` of `POST /v1/users`) */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deactivated */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    linkExternalIdentity: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id (`user.id` of `GET /v1/me`, `user_id` of `POST /v1/users`) */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "subject": "00u1a2b3c4d5e6f7g8h9"
                 *     }
                 */
                "application/json": components["schemas"]["ExternalIdentity"];
            };
        };
        responses: {
            /** @description Linked */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user_id": "00000000-0000-4000-8100-000000000104",
                     *       "subject": "00u1a2b3c4d5e6f7g8h9"
                     *     }
                     */
                    "application/json": components["schemas"]["ExternalIdentityLink"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    unlinkExternalIdentity: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id (`user.id` of `GET /v1/me`, `user_id` of `POST /v1/users`) */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Unlinked */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setUserPassword: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id (`user.id` of `GET /v1/me`, `user_id` of `POST /v1/users`) */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "password": "winter-orchard-compass-17"
                 *     }
                 */
                "application/json": components["schemas"]["SetPassword"];
            };
        };
        responses: {
            /** @description Set */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setUserPin: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id (`user.id` of `GET /v1/me`, `user_id` of `POST /v1/users`) */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "pin": "864209"
                 *     }
                 */
                "application/json": components["schemas"]["SetPin"];
            };
        };
        responses: {
            /** @description Set */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    grantRole: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id (`user.id` of `GET /v1/me`, `user_id` of `POST /v1/users`) */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "role": "manager"
                 *     }
                 */
                "application/json": components["schemas"]["RoleAssignment"];
            };
        };
        responses: {
            /** @description The role is held */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user_id": "00000000-0000-4000-8100-000000000104",
                     *       "role": "manager",
                     *       "changed": true
                     *     }
                     */
                    "application/json": components["schemas"]["RoleChange"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeRole: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The role to remove */
                role: "employee" | "manager" | "hr_admin" | "system_admin" | "auditor";
                /** @description The user's id (`user.id` of `GET /v1/me`, `user_id` of `POST /v1/users`) */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The role is not held */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user_id": "00000000-0000-4000-8100-000000000104",
                     *       "role": "manager",
                     *       "changed": true
                     *     }
                     */
                    "application/json": components["schemas"]["RoleChange"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWebhookDelivery: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The delivery */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "9d3c1f0e-6a2b-4c7d-8e5f-0a1b2c3d4e5f",
                     *       "subscription_id": "5b1e7c3a-2f4d-4e8a-9c6b-1d0f3a7e2b94",
                     *       "event_id": "3f2a9c4e-1b7d-4e6a-8c5f-2d0e9a1b7c3d",
                     *       "event_type": "leave_request.approved",
                     *       "subject": "leave_request:7c9e6679-7425-40de-944b-e07fc1f90ae7",
                     *       "sequence": 2,
                     *       "status": "dead",
                     *       "attempts": 8,
                     *       "failures": 8,
                     *       "last_attempt": {
                     *         "attempt": 8,
                     *         "started_at": "2026-12-02T01:12:40+00:00",
                     *         "duration_ms": 10004,
                     *         "status_code": null,
                     *         "outcome": "timeout",
                     *         "error": "no answer within 10000 ms"
                     *       },
                     *       "delivered_at": null,
                     *       "created_at": "2026-12-01T10:00:00+00:00",
                     *       "event": {
                     *         "id": "3f2a9c4e-1b7d-4e6a-8c5f-2d0e9a1b7c3d",
                     *         "type": "leave_request.approved",
                     *         "version": 1,
                     *         "subject": "leave_request:7c9e6679-7425-40de-944b-e07fc1f90ae7",
                     *         "sequence": 2,
                     *         "timestamp": "2026-12-01T10:00:00+00:00",
                     *         "data": {
                     *           "request_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                     *           "status": "approved",
                     *           "start_date": "2026-12-21",
                     *           "end_date": "2026-12-23"
                     *         }
                     *       },
                     *       "attempt_log": [
                     *         {
                     *           "attempt": 8,
                     *           "started_at": "2026-12-02T01:12:40+00:00",
                     *           "duration_ms": 10004,
                     *           "status_code": null,
                     *           "outcome": "timeout",
                     *           "error": "no answer within 10000 ms"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookDeliveryDetail"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    redeliverWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Pending again */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "9d3c1f0e-6a2b-4c7d-8e5f-0a1b2c3d4e5f",
                     *       "status": "pending"
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookDeliveryResolution"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    skipWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Skipped */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "9d3c1f0e-6a2b-4c7d-8e5f-0a1b2c3d4e5f",
                     *       "status": "skipped"
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookDeliveryResolution"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listWebhookSubscriptions: {
        parameters: {
            query?: {
                /** @description How many items to return (at most 100) */
                limit?: number;
                /** @description How many items to skip */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Subscriptions */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "5b1e7c3a-2f4d-4e8a-9c6b-1d0f3a7e2b94",
                     *           "url": "https://payroll.example.com/hooks/leave",
                     *           "event_types": [
                     *             "leave_request.approved",
                     *             "leave_request.cancelled"
                     *           ],
                     *           "description": "Payroll sync",
                     *           "enabled": true,
                     *           "previous_secret_expires_at": null,
                     *           "created_by": "00000000-0000-4000-8100-000000000101",
                     *           "created_at": "2026-12-01T10:00:00+00:00",
                     *           "updated_at": "2026-12-01T10:00:00+00:00"
                     *         }
                     *       ],
                     *       "total": 1,
                     *       "offset": 0,
                     *       "limit": 20
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookSubscriptionList"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createWebhookSubscription: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "url": "https://payroll.example.com/hooks/leave",
                 *       "event_types": [
                 *         "leave_request.approved",
                 *         "leave_request.cancelled"
                 *       ],
                 *       "description": "Payroll sync"
                 *     }
                 */
                "application/json": components["schemas"]["NewWebhookSubscription"];
            };
        };
        responses: {
            /** @description Subscribed */
            201: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "5b1e7c3a-2f4d-4e8a-9c6b-1d0f3a7e2b94",
                     *       "url": "https://payroll.example.com/hooks/leave",
                     *       "event_types": [
                     *         "leave_request.approved",
                     *         "leave_request.cancelled"
                     *       ],
                     *       "description": "Payroll sync",
                     *       "enabled": true,
                     *       "previous_secret_expires_at": null,
                     *       "created_by": "00000000-0000-4000-8100-000000000101",
                     *       "created_at": "2026-12-01T10:00:00+00:00",
                     *       "updated_at": "2026-12-01T10:00:00+00:00",
                     *       "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw4Wm9l7Ipv3U="
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookSubscriptionWithSecret"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWebhookSubscription: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The subscription */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "5b1e7c3a-2f4d-4e8a-9c6b-1d0f3a7e2b94",
                     *       "url": "https://payroll.example.com/hooks/leave",
                     *       "event_types": [
                     *         "leave_request.approved",
                     *         "leave_request.cancelled"
                     *       ],
                     *       "description": "Payroll sync",
                     *       "enabled": true,
                     *       "previous_secret_expires_at": null,
                     *       "created_by": "00000000-0000-4000-8100-000000000101",
                     *       "created_at": "2026-12-01T10:00:00+00:00",
                     *       "updated_at": "2026-12-01T10:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookSubscription"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteWebhookSubscription: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateWebhookSubscription: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "enabled": false
                 *     }
                 */
                "application/json": components["schemas"]["WebhookSubscriptionChange"];
            };
        };
        responses: {
            /** @description Changed */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "5b1e7c3a-2f4d-4e8a-9c6b-1d0f3a7e2b94",
                     *       "url": "https://payroll.example.com/hooks/leave",
                     *       "event_types": [
                     *         "leave_request.approved",
                     *         "leave_request.cancelled"
                     *       ],
                     *       "description": "Payroll sync",
                     *       "enabled": false,
                     *       "previous_secret_expires_at": null,
                     *       "created_by": "00000000-0000-4000-8100-000000000101",
                     *       "created_at": "2026-12-01T10:00:00+00:00",
                     *       "updated_at": "2026-12-01T10:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookSubscription"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listWebhookDeliveries: {
        parameters: {
            query?: {
                /** @description `next_cursor` of the previous page; leave out for the first page */
                cursor?: string;
                /** @description Items per page (at most 200) */
                limit?: number;
                /** @description Only deliveries in this status */
                status?: "pending" | "delivered" | "dead" | "skipped";
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deliveries */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "9d3c1f0e-6a2b-4c7d-8e5f-0a1b2c3d4e5f",
                     *           "subscription_id": "5b1e7c3a-2f4d-4e8a-9c6b-1d0f3a7e2b94",
                     *           "event_id": "3f2a9c4e-1b7d-4e6a-8c5f-2d0e9a1b7c3d",
                     *           "event_type": "leave_request.approved",
                     *           "subject": "leave_request:7c9e6679-7425-40de-944b-e07fc1f90ae7",
                     *           "sequence": 2,
                     *           "status": "dead",
                     *           "attempts": 8,
                     *           "failures": 8,
                     *           "last_attempt": {
                     *             "attempt": 8,
                     *             "started_at": "2026-12-02T01:12:40+00:00",
                     *             "duration_ms": 10004,
                     *             "status_code": null,
                     *             "outcome": "timeout",
                     *             "error": "no answer within 10000 ms"
                     *           },
                     *           "delivered_at": null,
                     *           "created_at": "2026-12-01T10:00:00+00:00"
                     *         }
                     *       ],
                     *       "pagination": {
                     *         "next_cursor": null,
                     *         "has_more": false
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookDeliveryPage"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rotateWebhookSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "overlap_hours": 24
                 *     }
                 */
                "application/json": components["schemas"]["WebhookSecretRotation"];
            };
        };
        responses: {
            /** @description Rotated */
            200: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "5b1e7c3a-2f4d-4e8a-9c6b-1d0f3a7e2b94",
                     *       "url": "https://payroll.example.com/hooks/leave",
                     *       "event_types": [
                     *         "leave_request.approved",
                     *         "leave_request.cancelled"
                     *       ],
                     *       "description": "Payroll sync",
                     *       "enabled": true,
                     *       "previous_secret_expires_at": "2026-12-02T10:00:00+00:00",
                     *       "created_by": "00000000-0000-4000-8100-000000000101",
                     *       "created_at": "2026-12-01T10:00:00+00:00",
                     *       "updated_at": "2026-12-01T10:00:00+00:00",
                     *       "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw4Wm9l7Ipv3U="
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookSubscriptionWithSecret"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_NOT_FOUND */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description CONFLICT */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RATE_LIMIT_EXCEEDED */
            429: {
                headers: {
                    "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                    "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                    "RateLimit-Reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL_ERROR or CONFIG_INVALID or DATA_INTEGRITY */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SERVICE_UNAVAILABLE or ENCRYPTION_KEY_UNAVAILABLE */
            503: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    event_accrual_run_completed: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        accruals: number;
                        amount: number;
                        /** @description Expired carry-over entries (the daily or HR's run) */
                        carryover_expiries?: number;
                        employees: number;
                        /** @description The policy, for the postings of a new assignment */
                        policy_key?: string;
                        /** Format: uuid */
                        run_id: string;
                    };
                    /** @enum {string} */
                    type?: "accrual_run.completed";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_balance_adjusted: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        amount: number;
                        /** Format: date */
                        effective_date: string;
                        /** Format: uuid */
                        employee_id: string;
                        entry_id: number;
                        /** @enum {string} */
                        kind: "grant" | "adjustment";
                        policy_key: string;
                    };
                    /** @enum {string} */
                    type?: "balance.adjusted";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_employee_created: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** Format: uuid */
                        employee_id: string;
                        /** Format: uuid */
                        user_id: string;
                    };
                    /** @enum {string} */
                    type?: "employee.created";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_employee_erased: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** Format: uuid */
                        employee_id: string;
                    };
                    /** @enum {string} */
                    type?: "employee.erased";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_employee_updated: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** @description The fields that changed */
                        changed: string[];
                        /** Format: uuid */
                        employee_id: string;
                    };
                    /** @enum {string} */
                    type?: "employee.updated";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_leave_request_approved: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        amount: number;
                        days: number;
                        /** Format: uuid */
                        employee_id: string;
                        /** Format: date */
                        end_date: string;
                        policy_key: string;
                        /** Format: uuid */
                        request_id: string;
                        /** Format: date */
                        start_date: string;
                        /** @enum {string} */
                        status: "pending" | "approved" | "rejected" | "cancelled" | "expired";
                    };
                    /** @enum {string} */
                    type?: "leave_request.approved";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_leave_request_cancelled: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        amount: number;
                        days: number;
                        /** Format: uuid */
                        employee_id: string;
                        /** Format: date */
                        end_date: string;
                        policy_key: string;
                        /** Format: uuid */
                        request_id: string;
                        /** Format: date */
                        start_date: string;
                        /** @enum {string} */
                        status: "pending" | "approved" | "rejected" | "cancelled" | "expired";
                    };
                    /** @enum {string} */
                    type?: "leave_request.cancelled";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_leave_request_corrected: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        amount: number;
                        days: number;
                        /** Format: uuid */
                        employee_id: string;
                        /** Format: date */
                        end_date: string;
                        policy_key: string;
                        /** Format: uuid */
                        request_id: string;
                        /** Format: date */
                        start_date: string;
                        /** @enum {string} */
                        status: "pending" | "approved" | "rejected" | "cancelled" | "expired";
                    };
                    /** @enum {string} */
                    type?: "leave_request.corrected";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_leave_request_expired: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        amount: number;
                        days: number;
                        /** Format: uuid */
                        employee_id: string;
                        /** Format: date */
                        end_date: string;
                        policy_key: string;
                        /** Format: uuid */
                        request_id: string;
                        /** Format: date */
                        start_date: string;
                        /** @enum {string} */
                        status: "pending" | "approved" | "rejected" | "cancelled" | "expired";
                    };
                    /** @enum {string} */
                    type?: "leave_request.expired";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_leave_request_rejected: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        amount: number;
                        days: number;
                        /** Format: uuid */
                        employee_id: string;
                        /** Format: date */
                        end_date: string;
                        policy_key: string;
                        /** Format: uuid */
                        request_id: string;
                        /** Format: date */
                        start_date: string;
                        /** @enum {string} */
                        status: "pending" | "approved" | "rejected" | "cancelled" | "expired";
                    };
                    /** @enum {string} */
                    type?: "leave_request.rejected";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_leave_request_submitted: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        amount: number;
                        days: number;
                        /** Format: uuid */
                        employee_id: string;
                        /** Format: date */
                        end_date: string;
                        policy_key: string;
                        /** Format: uuid */
                        request_id: string;
                        /** Format: date */
                        start_date: string;
                        /** @enum {string} */
                        status: "pending" | "approved" | "rejected" | "cancelled" | "expired";
                    };
                    /** @enum {string} */
                    type?: "leave_request.submitted";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_policy_changed: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** Format: date */
                        effective_from: string;
                        policy_key: string;
                        /** Format: uuid */
                        policy_version_id: string;
                        version: number;
                    };
                    /** @enum {string} */
                    type?: "policy.changed";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_rollover_completed: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** Format: uuid */
                        run_id: string;
                        year: number;
                    };
                    /** @enum {string} */
                    type?: "rollover.completed";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_rollover_reversed: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** Format: uuid */
                        reversal_run_id: string;
                        /** Format: uuid */
                        run_id: string;
                        year: number;
                    };
                    /** @enum {string} */
                    type?: "rollover.reversed";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_security_admin_new_country: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** @description ISO 3166-1 alpha-2 */
                        country: string;
                        /** Format: uuid */
                        user_id: string;
                    };
                    /** @enum {string} */
                    type?: "security.admin_new_country";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_security_api_key_new_asn: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** Format: uuid */
                        api_key_id: string;
                        asn: string;
                    };
                    /** @enum {string} */
                    type?: "security.api_key_new_asn";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_security_bulk_adjustments: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        entries: number;
                        /** Format: uuid */
                        user_id: string;
                        window_minutes: number;
                    };
                    /** @enum {string} */
                    type?: "security.bulk_adjustments";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_security_login_failures_from_address: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        failures: number;
                        window_seconds: number;
                    };
                    /** @enum {string} */
                    type?: "security.login_failures_from_address";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_security_refresh_token_reuse: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** Format: uuid */
                        user_id: string;
                    };
                    /** @enum {string} */
                    type?: "security.refresh_token_reuse";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    event_security_self_serving_refused: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id: the same on every attempt, so a receiver can drop repeats */
                "webhook-id": string;
                /** @description `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated */
                "webhook-signature": string;
                /** @description When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEvent"] & {
                    data?: {
                        /** @enum {string} */
                        refused: "own request" | "own balance";
                        route: string;
                        /** Format: uuid */
                        user_id: string;
                    };
                    /** @enum {string} */
                    type?: "security.self_serving_refused";
                };
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
