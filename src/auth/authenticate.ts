import type { Context, MiddlewareHandler } from "hono";
import { decodeJwt } from "jose";
import { MAX_TOKEN_LENGTH } from "../kernel/constants";
import type { AppEnv } from "../kernel/context";
import { AppError } from "../kernel/errors";
import { authenticateApiKey, isApiKey } from "./api-keys";
import { countRequest, userLimits } from "./limiter";
import { verifyExternalToken } from "./oidc";
import { atRequestTime, kioskPrincipal, loadPrincipal } from "./principal";
import { noteSingleSignOnPlace } from "./security-signals";
import { type AccessIdentity, alreadyVerified, verifyAccessToken } from "./tokens";

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i;

export function bearerToken(c: Context<AppEnv>): string {
  const match = BEARER.exec(c.req.header("Authorization") ?? "");
  if (!match) {
    throw new AppError(
      "UNAUTHORIZED",
      "A bearer token is required",
      {},
      { headers: { "WWW-Authenticate": 'Bearer realm="leave-ledger"' } },
    );
  }
  return match[1]!;
}

/**
 * Our tokens (one this isolate already verified is known without decoding), or those of a tenant's external OIDC
 * issuer: the (unverified) `iss` only picks the verifier.
 */
export async function verifyBearer(c: Context<AppEnv>, token: string, now: number): Promise<AccessIdentity> {
  const config = c.get("config");
  if (token.length > MAX_TOKEN_LENGTH) throw new AppError("UNAUTHORIZED", "Invalid or expired token", { reason: "token too long" });
  const known = alreadyVerified(config, token, now);
  if (known) return known;
  let issuer: unknown;
  try {
    issuer = decodeJwt(token).iss;
  } catch {
    issuer = undefined; // verifyAccessToken reports the malformed token
  }
  const external = config.OIDC_ISSUERS.find((i) => i.issuer === issuer);
  return external ? verifyExternalToken(config, c.env.PERMISSIONS_KV, external, token, now) : verifyAccessToken(config, token, now);
}

/**
 * Identity from a verified access token or a hashed service API key only; then, in one Durable Object call,
 * the caller's rate limit and versions; then the principal (roles) from the permission cache.
 *
 * If the Durable Object cannot be reached, the request is not rate-limited, and session validity and
 * permissions come from Postgres instead of the cache (logged as a warning).
 */
export const authenticate = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const config = c.get("config");
  const now = c.get("now");
  const token = bearerToken(c);
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);

  if (isApiKey(token)) {
    c.set("principal", await authenticateApiKey(c, token, now));
    return next();
  }

  const identity = await verifyBearer(c, token, now);
  const hit = await countRequest(c, `user:${identity.userId}`, userLimits(c.get("config")), now);
  if (hit && identity.sessionVersion < hit.sessionVersion)
    throw new AppError("UNAUTHORIZED", "Invalid or expired token", { reason: "session ended" });
  // An external subject mapped before the user's sessions last ended (a link or unlink, say) may name someone else now.
  const mapping = identity.externalSubject;
  if (mapping && (!hit || hit.sessionVersion > mapping.resolvedAt) && (await mapping.lookUpAgain()) !== identity.userId)
    throw new AppError("UNAUTHORIZED", "Invalid or expired token", { reason: "unknown subject" });
  const { principal, cache } = await loadPrincipal(config, c.env.PERMISSIONS_KV, identity, hit?.permissionVersion ?? null, waitUntil, now);
  c.set("principal", identity.kiosk ? kioskPrincipal(principal) : atRequestTime(principal, now));
  c.set("permissionCache", cache);
  if (mapping) noteSingleSignOnPlace(c, identity.userId, identity.tenantId);
  await next();
};
