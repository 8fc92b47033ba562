import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../kernel/context";
import { log } from "../kernel/logger";

/** Headers that claim an identity. Identity comes only from verified tokens: these are ignored, and noted. */
const IDENTITY_HEADERS = [
  "x-user-id",
  "x-tenant-id",
  "x-role",
  "x-roles",
  "x-employee-id",
  "x-forwarded-user",
  "x-auth-user",
  "x-remote-user",
];

export const flagIdentityHeaders = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const present = IDENTITY_HEADERS.filter((name) => c.req.raw.headers.has(name));
  if (present.length > 0) {
    log("warn", "security_event", {
      kind: "identity_header_ignored",
      headers: present,
      request_id: c.get("requestId"),
      path: new URL(c.req.url).pathname,
    });
  }
  await next();
};
