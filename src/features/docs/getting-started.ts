import { ERROR_CODES } from "../../kernel/errors";

/** One heading per error code: every error's `documentation_url` points at its own. */
const ERROR_CODE_SECTION = Object.entries(ERROR_CODES)
  .map(([code, { status, description }]) => `### ${code}\n\nHTTP ${status}. ${description}`)
  .join("\n\n");

/** The introduction of the API reference (the document's `info.description`, rendered as Markdown). */
export const GETTING_STARTED = `Time-off balances kept as an immutable ledger: employees request leave, managers approve, HR runs
policies, accruals and year-end rollover; every write is audited. JSON only, base path \`/v1\`.

## Getting started

Locally, \`npm run dev\` serves this API with a demo tenant \`acme\`; every demo user's password is
\`leave-ledger-demo\`. Try each call below with **Test Request**.

1. **Sign in** with \`POST /v1/auth/login\`:
   \`{"tenant": "acme", "email": "emma.employee@acme.example", "password": "leave-ledger-demo"}\`.
   The answer holds an \`access_token\` (15 minutes) and a \`refresh_token\` (exchange it at
   \`POST /v1/auth/refresh\` for a new pair; each refresh token works once).
2. **Call with the token**: \`Authorization: Bearer <access_token>\` (the **Authentication** box of this
   page sets it for every call). Service integrations use an API key the same way.
3. **Read your balances**: \`GET /v1/me/balances\`.
4. **Request leave**: \`POST /v1/requests\` with an \`Idempotency-Key\` header, e.g.
   \`{"policy_key": "pto-standard", "start_date": "2027-03-01", "end_date": "2027-03-03"}\`. The days are
   held against the balance at once; your manager (\`mike.manager@acme.example\`) sees the request in
   \`GET /v1/approvals\` and approves it with \`POST /v1/requests/{id}/approve\`.

## Idempotency keys

Every write with ledger effects (requests, decisions, grants, accruals, rollover) requires an
\`Idempotency-Key\` header: 1 to 255 visible ASCII characters, unique per intended operation (a UUID is
fine). Sending the same key again returns the first answer with \`Idempotent-Replayed: true\` and changes
nothing; the same key with a different body is \`409 DUPLICATE_REQUEST\`. Keys are kept for 24 hours. After a
\`503\` or a network error, retry with the **same** key: the write then happens exactly once.

## Errors

Every error has one shape: \`{"error": {"code", "message", "details", "request_id", "documentation_url"}}\`.
Branch on \`code\` (for example \`INSUFFICIENT_BALANCE\` comes with \`details.requested\`, \`details.available\`
and \`details.policy_id\`), show \`message\` to people, and quote \`request_id\` (also in the \`X-Request-Id\`
header) when reporting a problem. \`5xx\` answers carry no internals; \`503\` carries \`Retry-After\`.

## Rate limits

Signed-in callers get 100 requests a minute and 1 000 an hour; sign-in routes 100 a minute per address, and
5 failed sign-ins lock an identifier for 15 minutes. Answers carry \`RateLimit-Limit\`,
\`RateLimit-Remaining\` and \`RateLimit-Reset\`; a \`429\` carries \`Retry-After\` (seconds).

## Lists and dates

Ledger entries, requests and the audit log page with a cursor: pass \`next_cursor\` of one page as
\`cursor\` to get the next, until \`has_more\` is false. Small admin lists use \`offset\` and \`limit\`.
Dates are calendar days (\`YYYY-MM-DD\`) in the employee's own time zone.

## Error codes

${ERROR_CODE_SECTION}`;
