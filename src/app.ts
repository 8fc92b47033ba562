import type { OpenAPIHono } from "@hono/zod-openapi";
import { contextStorage } from "hono/context-storage";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { ANONYMOUS_ROUTES, limitByIp } from "./auth/ip-limit";
import { accessLog } from "./edge/access-log";
import { limitBodySize, requireJsonBody } from "./edge/body-guard";
import { requireClientAddress } from "./edge/client-address";
import { requireConfig } from "./edge/config-guard";
import { contentSecurityPolicy, corsFromConfig } from "./edge/cross-origin";
import { renderError, renderNotFound } from "./edge/error-renderer";
import { flagIdentityHeaders } from "./edge/identity-headers";
import { refuseWritesInMaintenance } from "./edge/maintenance";
import { traceContext } from "./edge/trace-context";
import { absenceRoutes } from "./features/absences/routes";
import { apiKeyRoutes } from "./features/api-keys/routes";
import { approvalRoutes } from "./features/approvals/routes";
import { auditRoutes } from "./features/audit/routes";
import { authRoutes } from "./features/auth/routes";
import { balanceRoutes } from "./features/balances/routes";
import { delegationRoutes } from "./features/delegations/routes";
import { registerDocs } from "./features/docs/routes";
import { employeeRoutes } from "./features/employees/routes";
import { healthRoutes } from "./features/health/routes";
import { holidayRoutes } from "./features/holidays/routes";
import { ledgerRunRoutes } from "./features/ledger-runs/routes";
import { meRoutes } from "./features/me/routes";
import { policyRoutes } from "./features/policies/routes";
import { privacyRoutes } from "./features/privacy/routes";
import { requestRoutes } from "./features/requests/routes";
import { tenantRoutes } from "./features/tenants/routes";
import { userRoutes } from "./features/users/routes";
import { dispatchAfterWrites } from "./features/webhooks/dispatch";
import { webhookRoutes } from "./features/webhooks/routes";
import { MAX_REQUEST_ID_LENGTH, REQUEST_ID_HEADER } from "./kernel/constants";
import type { AppEnv } from "./kernel/context";
import { AppError, errorResponse } from "./kernel/errors";
import { createRouter } from "./kernel/openapi";

export interface AppOptions {
  /** The time source for every request (ms since the epoch). Tests pass a controllable clock. */
  clock?: () => number;
}

/**
 * The request's path through the Worker: edge concerns in order (the request's time and id, tracing, the
 * access log, ignored identity headers, method and CORS checks, headers, body rules, the client's address (staging
 * and production), configuration, the maintenance switch, the per-IP
 * limit of anonymous routes, the webhook dispatch after a write), then one router per feature, whose routes authenticate and authorise
 * themselves (src/auth). Every error on the way ends in `renderError`.
 */
export function createApp(options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const app = createRouter();
  const clock = options.clock ?? Date.now;

  // Makes the request's context reachable from the database door, which counts its round trips there.
  app.use(contextStorage());
  app.use(async (c, next) => {
    c.set("now", clock());
    await next();
  });
  app.use(requestId({ headerName: REQUEST_ID_HEADER, limitLength: MAX_REQUEST_ID_LENGTH }));
  app.use(traceContext());
  app.use(accessLog());
  app.use(flagIdentityHeaders());
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) => {
        c.set("failure", { code: "METHOD_NOT_ALLOWED" });
        return errorResponse(
          c,
          new AppError(
            "METHOD_NOT_ALLOWED",
            `${c.req.method} is not allowed here`,
            { allowed },
            { headers: { Allow: allowed.join(", ") } },
          ),
        );
      },
    }),
  );
  app.use(corsFromConfig());
  app.use(
    // The headers that matter for a JSON API; the browser-page legacy ones (X-XSS-Protection, X-Download-Options,
    // …) are left out: every header is work on every response.
    secureHeaders({
      strictTransportSecurity: "max-age=63072000; includeSubDomains",
      crossOriginResourcePolicy: "same-site",
      // Agrees with the CSP's frame-ancestors 'none': no page of this API may be framed.
      xFrameOptions: "DENY",
      crossOriginOpenerPolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }),
  );
  app.use(contentSecurityPolicy());
  app.use(requireJsonBody());
  app.use(limitBodySize());
  app.use(requireClientAddress());
  app.use(requireConfig());
  app.use(refuseWritesInMaintenance());
  for (const path of ANONYMOUS_ROUTES) app.use(path, limitByIp());
  app.use(dispatchAfterWrites());

  const features = [
    healthRoutes,
    tenantRoutes,
    authRoutes,
    meRoutes,
    userRoutes,
    employeeRoutes,
    privacyRoutes,
    auditRoutes,
    apiKeyRoutes,
    policyRoutes,
    requestRoutes,
    approvalRoutes,
    delegationRoutes,
    absenceRoutes,
    balanceRoutes,
    ledgerRunRoutes,
    holidayRoutes,
    webhookRoutes,
  ];
  for (const routes of features) app.route("/", routes);
  registerDocs(app);

  app.notFound(renderNotFound);
  app.onError(renderError);
  return app;
}
