import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_SECONDS } from "../../kernel/constants";
import { COMMON_ERRORS, createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { PasswordLoginBody, PinLoginBody, RefreshBody, type TokenPair, TokenPairSchema, UnlockBody } from "./schemas";
import { login, logout, logoutAll, refresh, unlock } from "./service";

/** Examples from the demo data (tokens are made up: shaped like real ones, valid nowhere). */
const EXAMPLE_REFRESH_TOKEN = "llr_Bl1iG_jR9gOc_kzGpo85ZKjf3UUXASWtDQYYz1ExVm0";
const EXAMPLE_TOKEN_PAIR: TokenPair = {
  token_type: "Bearer",
  access_token:
    "eyJhbGciOiJFUzI1NiIsImtpZCI6ImtleS0yMDI2LTExLTAxIiwidHlwIjoiYXQrand0In0." +
    "eyJ0aWQiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODEwMC0wMDAwMDAwMDAwMDEiLCJzdiI6MCwiaXNzIjoiaHR0cHM6Ly9hcGkubGVhdmUtbGVkZ2VyLmV4YW1wbGUiLCJhdWQiOiJsZWF2ZS1sZWRnZXItYXBpIiwic3ViIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgxMDAtMDAwMDAwMDAwMTA0IiwiaWF0IjoxNzk0OTA3ODAwLCJuYmYiOjE3OTQ5MDc4MDAsImV4cCI6MTc5NDkwODcwMCwianRpIjoiOWQzYzZmMGUtMmI3YS00ZTFkLThjNTUtM2EwZjdiNmUyZDkxIn0." +
    "Ufix8i3UPcS6rEfMq9utbA7b735i-10bkOF13gfcXAv6ST6ylO-B4fdZJHtuSx44fbgSksdVDYp1X5iK1YevLg",
  expires_in: ACCESS_TOKEN_TTL_SECONDS,
  refresh_token: "llr_6edkYMENGjCcV6u4RTAycrx33wU06O8a9XDuHKpKsQY",
  refresh_expires_in: REFRESH_TOKEN_TTL_SECONDS,
};

const tokens = { 200: jsonResponse("A new access token and refresh token", TokenPairSchema, EXAMPLE_TOKEN_PAIR) };
const LOGIN_ERRORS = errorResponses(
  "VALIDATION_FAILED",
  "INVALID_INPUT",
  "UNAUTHORIZED",
  "ACCOUNT_LOCKED",
  "RATE_LIMIT_EXCEEDED",
  ...COMMON_ERRORS,
);

const passwordLogin = createRoute({
  method: "post",
  path: "/v1/auth/login",
  operationId: "login",
  tags: ["Authentication"],
  summary: "Sign in with a password",
  description:
    "Signs in to a tenant with an email and a password and answers a token pair: an access token (15 minutes) and a refresh token (7 days, one use). " +
    "Unknown users, wrong passwords and deactivated accounts all answer 401 the same way; sign-ins and failed attempts are audited. " +
    "Five consecutive failures lock the submitted identifier for 15 minutes (429 `ACCOUNT_LOCKED`, whether or not it exists); five failures per IP address in 15 minutes answer 429 `RATE_LIMIT_EXCEEDED`.",
  request: {
    body: jsonBody(PasswordLoginBody, { tenant: "acme", email: "emma.employee@acme.example", password: "leave-ledger-demo" }),
  },
  responses: { ...tokens, ...LOGIN_ERRORS },
});

const pinLogin = createRoute({
  method: "post",
  path: "/v1/auth/pin",
  operationId: "loginWithPin",
  tags: ["Authentication"],
  summary: "Sign in at a kiosk with an employee number and PIN",
  description:
    "The kiosk variant of `POST /v1/auth/login`: the employee number and PIN replace the email and password, and the answer is a token pair " +
    "for a kiosk session, which may only read the employee's own balances and requests and submit or cancel their own requests, whatever " +
    "their roles (`GET /v1/me/permissions` says so); refreshing keeps it a kiosk session. " +
    "Failures answer, lock and are audited exactly like password logins (the lock is per employee number).",
  request: { body: jsonBody(PinLoginBody, { tenant: "acme", employee_number: "A-004", pin: "2468" }) },
  responses: { ...tokens, ...LOGIN_ERRORS },
});

const refreshRoute = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  operationId: "refreshSession",
  tags: ["Authentication"],
  summary: "Exchange a refresh token for a new token pair",
  description:
    "Refresh tokens rotate on every use: the presented one is used up and the answer carries its successor. " +
    "Presenting a used refresh token a second time is taken as theft and revokes its whole family (every token issued from the same login). " +
    "Expired, revoked and unknown tokens answer 401.",
  request: { body: jsonBody(RefreshBody, { refresh_token: EXAMPLE_REFRESH_TOKEN }) },
  responses: { ...tokens, ...errorResponses("VALIDATION_FAILED", "INVALID_INPUT", "UNAUTHORIZED", ...COMMON_ERRORS) },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  operationId: "logout",
  tags: ["Authentication"],
  summary: "End the session of a refresh token",
  description:
    "Revokes the refresh token and every token of its family; the access token stays valid until it expires (at most 15 minutes). " +
    "Idempotent: answers 204 whether or not the token was known, so it reveals nothing. Audited when a session ended.",
  request: { body: jsonBody(RefreshBody, { refresh_token: EXAMPLE_REFRESH_TOKEN }) },
  responses: {
    204: { description: "Ended (or never existed)" },
    ...errorResponses("VALIDATION_FAILED", "INVALID_INPUT", ...COMMON_ERRORS),
  },
});

const logoutAllRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout-all",
  operationId: "logoutEverywhere",
  tags: ["Authentication"],
  summary: "End every session of the caller",
  description:
    "Signs the caller out on every device: all their refresh tokens are revoked and every access token is refused from its very next request, this one's included. " +
    "Any signed-in user; API keys have no sessions (403, revoke the key instead). Audited.",
  ...signedIn(),
  responses: { 204: { description: "All sessions ended" }, ...errorResponses(...SIGNED_IN_ERRORS) },
});

const unlockRoute = createRoute({
  method: "post",
  path: "/v1/auth/unlock",
  operationId: "unlockAccount",
  tags: ["Authentication"],
  summary: "End a login lockout",
  description:
    "Lifts the lock that repeated failed sign-ins put on one login identifier of the caller's tenant: an email (password logins) or an employee number (PIN logins). " +
    "System Admin only. Answers 204 whether or not the identifier was locked. Audited.",
  ...signedIn("account:unlock"),
  request: { body: jsonBody(UnlockBody, { email: "emma.employee@acme.example" }) },
  responses: { 204: { description: "Unlocked" }, ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
});

export const authRoutes = createRouter()
  .openapi(passwordLogin, async (c) => {
    const body = c.req.valid("json");
    return c.json(await login(c.get("config"), c.env, requestFacts(c), { kind: "password", ...body }), 200);
  })
  .openapi(pinLogin, async (c) => {
    const body = c.req.valid("json");
    const input = { kind: "pin" as const, tenant: body.tenant, employeeNumber: body.employee_number, pin: body.pin };
    return c.json(await login(c.get("config"), c.env, requestFacts(c), input), 200);
  })
  .openapi(refreshRoute, async (c) =>
    c.json(await refresh(c.get("config"), c.env, requestFacts(c), c.req.valid("json").refresh_token), 200),
  )
  .openapi(logoutRoute, async (c) => {
    await logout(c.get("config"), requestFacts(c), c.req.valid("json").refresh_token);
    return c.body(null, 204);
  })
  .openapi(unlockRoute, async (c) => {
    const body = c.req.valid("json");
    await unlock(c.get("config"), c.env, requestFacts(c), c.get("principal"), { email: body.email, employeeNumber: body.employee_number });
    return c.body(null, 204);
  })
  .openapi(logoutAllRoute, async (c) => {
    await logoutAll(c.get("config"), c.env, requestFacts(c), c.get("principal"));
    return c.body(null, 204);
  });
