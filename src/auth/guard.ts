import type { MiddlewareHandler } from "hono";
import type { Permission } from "../kernel/access";
import type { AppEnv } from "../kernel/context";
import { authenticate } from "./authenticate";
import { requireApprover, requirePermission } from "./permissions";

/**
 * What a protected route declares: the bearer scheme in the OpenAPI document, and the middleware that
 * authenticates the caller and, given a permission, authorises them.
 */
export function signedIn(permission?: Permission): { security: { bearer: string[] }[]; middleware: MiddlewareHandler<AppEnv>[] } {
  return {
    security: [{ bearer: [] }],
    middleware: permission ? [authenticate(), requirePermission(permission)] : [authenticate()],
  };
}

/** A route for those who decide requests: approvers, and colleagues holding a delegation running now. */
export function signedInApprover(): ReturnType<typeof signedIn> {
  return { security: [{ bearer: [] }], middleware: [authenticate(), requireApprover()] };
}
