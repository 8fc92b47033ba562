import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { COMMON_ERRORS, createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { PasswordLoginBody, PinLoginBody, RefreshBody, TokenPairSchema, UnlockBody } from "./schemas";
import { login, logout, logoutAll, refresh, unlock } from "./service";

const tokens = { 200: jsonResponse("A new access token and refresh token", TokenPairSchema) };
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
  tags: ["Authentication"],
  summary: "Log in with email and password",
  description:
    "Unknown users, wrong passwords and deactivated accounts all answer 401 the same way. Five consecutive failures lock the submitted identifier for 15 minutes (429 ACCOUNT_LOCKED, whether or not it exists); five failures per IP in 15 minutes answer 429 RATE_LIMIT_EXCEEDED.",
  request: { body: jsonBody(PasswordLoginBody) },
  responses: { ...tokens, ...LOGIN_ERRORS },
});

const pinLogin = createRoute({
  method: "post",
  path: "/v1/auth/pin",
  tags: ["Authentication"],
  summary: "Kiosk login with employee number and PIN",
  request: { body: jsonBody(PinLoginBody) },
  responses: { ...tokens, ...LOGIN_ERRORS },
});

const refreshRoute = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  tags: ["Authentication"],
  summary: "Exchange a refresh token for new tokens",
  description: "Refresh tokens rotate on every use; presenting one a second time revokes its whole family.",
  request: { body: jsonBody(RefreshBody) },
  responses: { ...tokens, ...errorResponses("VALIDATION_FAILED", "INVALID_INPUT", "UNAUTHORIZED", ...COMMON_ERRORS) },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  tags: ["Authentication"],
  summary: "End the session a refresh token belongs to",
  request: { body: jsonBody(RefreshBody) },
  responses: {
    204: { description: "Ended (or never existed)" },
    ...errorResponses("VALIDATION_FAILED", "INVALID_INPUT", ...COMMON_ERRORS),
  },
});

const logoutAllRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout-all",
  tags: ["Authentication"],
  summary: "End every session of the caller",
  description: "Refresh tokens are revoked and every access token is refused from its very next request.",
  ...signedIn(),
  responses: { 204: { description: "All sessions ended" }, ...errorResponses(...SIGNED_IN_ERRORS) },
});

const unlockRoute = createRoute({
  method: "post",
  path: "/v1/auth/unlock",
  tags: ["Authentication"],
  summary: "End a login lockout (System Admin). Audited.",
  ...signedIn("account:unlock"),
  request: { body: jsonBody(UnlockBody) },
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
