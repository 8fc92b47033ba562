/**
 * The security sweep: generated from the app's route table and its OpenAPI document, so a route added later is
 * swept without anyone remembering to. For every operation that needs a bearer token:
 *
 *   1. no token → 401 UNAUTHORIZED;
 *   2. an access token signed with the real key but expired → 401 UNAUTHORIZED ("token expired");
 *   3. every caller (each role alone, a user without roles, API keys of each role and a scoped one, a kiosk (PIN)
 *      session of an HR Admin) that the
 *      design does not let use the operation → 403 FORBIDDEN (or 404 RESOURCE_NOT_FOUND), and nothing changed;
 *   4. a caller that may use the operation, in tenant A, naming tenant B's resources in the path → 404
 *      RESOURCE_NOT_FOUND (docs/security.md: "another tenant's resource is 404, never 403"), and nothing changed;
 *      a last test sends the same requests with tenant A's own ids and shows they reach the resource, so those
 *      404s are about the tenant, not about a request the sweep built wrong.
 *
 * Requests are built from the document: path parameters from fixtures (PATH_PARAMETERS), required query
 * parameters from their examples, Idempotency-Key fresh each time, bodies from the operation's example. An
 * operation the generator cannot build a request for fails the sweep, naming what to teach it. The public
 * operations are an exact list, so making a route public by accident fails here too.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ACME, DEMO_PIN, GLOBEX } from "../../scripts/lib/seed-data";
import { createApp } from "../../src/app";
import { signAccessToken } from "../../src/auth/tokens";
import { openApiDocument } from "../../src/features/docs/document";
import { KIOSK_SCOPES, PERMISSIONS, type Permission, ROLES, type Role } from "../../src/kernel/access";
import { loadConfig } from "../../src/kernel/config";
import { ACCESS_TOKEN_TTL_SECONDS, JWT_CLOCK_SKEW_SECONDS } from "../../src/kernel/constants";
import { people } from "../support/worker/callers";
import { call, expectError, resetDatabase, resetEdgeState, superuserSql, testEnv } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";
import { databaseFingerprint, type RouteEntry, routeTable, userWithRoles } from "../support/worker/route-sweep";

type Json = Record<string, any>;

/** Operations anyone may call without a token. Adding one is a security decision: it is made here, on purpose. */
const PUBLIC_OPERATIONS = [
  "GET /health",
  "GET /health/live",
  "GET /health/ready",
  "GET /v1/tenants/{slug}",
  "POST /v1/auth/login",
  "POST /v1/auth/pin",
  "POST /v1/auth/refresh",
  "POST /v1/auth/logout",
  "GET /v1/openapi.json",
  "GET /docs",
];

/** Signed-in operations that may declare no permission: any authenticated caller (subject to USERS_ONLY). */
const ANY_SIGNED_IN = ["getMe", "getMyPermissions", "logoutEverywhere"];

/** Operations for people only: an API key is refused (403) whatever its role and scopes (docs/security.md). */
const USERS_ONLY = [
  "getMe",
  "changeMyPassword",
  "logoutEverywhere",
  "setUserPassword",
  "setUserPin",
  "exportMyData",
  "exportEmployeeData",
  "exportTenantData",
  "linkExternalIdentity",
  "unlinkExternalIdentity",
  "createDelegation",
  "revokeDelegation",
];

/** The ids a request names: tenant A's (the callers' own) or tenant B's. */
interface Ids {
  userId: string;
  employeeId: string;
  requestId: string;
  policyKey: string;
  apiKeyId: string;
  rolloverRunId: string;
  holiday: string;
  delegationId: string;
  subscriptionId: string;
  deliveryId: string;
  /** Another dead delivery: the skip route's (the redelivery route's revives the first). */
  skippedDeliveryId: string;
  /** A role the user `userId` holds. */
  role: Role;
}

/**
 * How to fill each path parameter. `owned`: it names a resource of one tenant (case 4 applies). A parameter
 * not here, or a path this table does not recognise, fails the sweep: teach it here.
 */
const PATH_PARAMETERS: Record<string, { owned: boolean; fill: (ids: Ids, path: string) => string | undefined }> = {
  user_id: { owned: true, fill: (ids) => ids.userId },
  employee_id: { owned: true, fill: (ids) => ids.employeeId },
  id: {
    owned: true,
    fill: (ids, path) =>
      path.startsWith("/v1/employees/")
        ? ids.employeeId
        : path.startsWith("/v1/requests/")
          ? ids.requestId
          : path.startsWith("/v1/delegations/")
            ? ids.delegationId
            : path.startsWith("/v1/webhooks/subscriptions/")
              ? ids.subscriptionId
              : path.startsWith("/v1/webhooks/deliveries/")
                ? path.endsWith("/skip")
                  ? ids.skippedDeliveryId
                  : ids.deliveryId
                : undefined,
  },
  key_id: { owned: true, fill: (ids, path) => (path.startsWith("/v1/api-keys/") ? ids.apiKeyId : undefined) },
  key: { owned: true, fill: (ids, path) => (path.startsWith("/v1/policies/") ? ids.policyKey : undefined) },
  run_id: { owned: true, fill: (ids, path) => (path.startsWith("/v1/rollovers/") ? ids.rolloverRunId : undefined) },
  day: { owned: true, fill: (ids, path) => (path.startsWith("/v1/holidays/") ? ids.holiday : undefined) },
  role: { owned: false, fill: (ids) => ids.role },
};

/** Stand-ins to ask PATH_PARAMETERS whether it can fill a path, before the fixtures exist. */
const PLACEHOLDER_IDS: Ids = {
  userId: "user",
  employeeId: "employee",
  requestId: "request",
  policyKey: "policy",
  apiKeyId: "key",
  rolloverRunId: "run",
  holiday: "day",
  delegationId: "delegation",
  subscriptionId: "subscription",
  deliveryId: "delivery",
  skippedDeliveryId: "skipped delivery",
  role: "employee",
};

/** Body fields whose example value names something the test database does not have; filled from tenant A. */
const BODY_FIELDS: Record<string, (ids: Ids) => unknown> = {
  policy_key: (ids) => ids.policyKey,
};

/** Required headers the generator knows how to send. */
const HEADERS: Record<string, () => string> = {
  "idempotency-key": () => crypto.randomUUID(),
};

/** Raised limits: the sweep sends hundreds of requests per caller within one minute of the test clock. */
const LIMITS = { RATE_LIMIT_USER_PER_MINUTE: "100000", RATE_LIMIT_USER_PER_HOUR: "100000" };

/** Ids of tenant A that example bodies may name (the demo data of the seed). */
const KNOWN_BODY_IDS = new Set([ACME.id, ...ACME.people.flatMap((p) => [p.userId, p.employeeId])]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface SweptOperation {
  id: string;
  method: string;
  path: string;
  label: string;
  permission: Permission | null;
  doc: Json;
}

// ---------------------------------------------------------------------------------------------------------
// The operations, from the route table (what the app serves) and the document (how to call it).

const app = createApp();
const table: RouteEntry[] = await routeTable(app);
const openapi: Json = openApiDocument(createApp());
const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;
const documented = (r: RouteEntry): Json | undefined => openapi.paths[r.path]?.[r.method.toLowerCase()];

const protectedOperations: SweptOperation[] = table
  .filter((r) => r.access.kind === "signed-in")
  .map((r) => {
    const doc = documented(r) ?? {};
    const permission = r.access.kind === "signed-in" ? r.access.permission : null;
    const id = String(doc.operationId ?? key(r));
    return { id, method: r.method.toUpperCase(), path: r.path, doc, permission, label: `${id} (${key(r)}) [${permission ?? "signed in"}]` };
  });

const pathParameters = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
const namesTenantResources = (op: SweptOperation) => pathParameters(op.path).some((name) => PATH_PARAMETERS[name]?.owned);

/** What the sweep cannot build a request for: an empty list, or the sweep fails naming each gap. */
function buildGaps(op: SweptOperation): string[] {
  const gaps: string[] = [];
  if (!op.doc.operationId) gaps.push("not in the OpenAPI document");
  for (const name of pathParameters(op.path)) {
    if (!PATH_PARAMETERS[name]?.fill(PLACEHOLDER_IDS, op.path)) gaps.push(`path parameter {${name}}: teach PATH_PARAMETERS`);
  }
  for (const parameter of (op.doc.parameters ?? []) as Json[]) {
    if (!parameter.required) continue;
    if (parameter.in === "query" && (parameter.example ?? parameter.schema?.example) === undefined)
      gaps.push(`required query parameter ${parameter.name} has no example`);
    if (parameter.in === "header" && !HEADERS[String(parameter.name).toLowerCase()])
      gaps.push(`required header ${parameter.name}: teach HEADERS`);
    if (parameter.in === "cookie") gaps.push(`required cookie ${parameter.name}`);
  }
  const content = op.doc.requestBody?.content as Json | undefined;
  if (content) {
    const types = Object.keys(content);
    if (types.length !== 1 || types[0] !== "application/json") gaps.push(`request body as ${types.join(", ")}`);
    else if (content["application/json"].example === undefined) gaps.push("request body without an example");
    else {
      const strays = unknownIds(content["application/json"].example);
      if (strays.length) gaps.push(`example body names ids the sweep does not know (${strays.join(", ")}): teach BODY_FIELDS`);
    }
  }
  return gaps;
}

/** UUIDs in `value` outside tenant A's seeded ids, after BODY_FIELDS replaced what it knows. */
function unknownIds(value: unknown, field?: string): string[] {
  if (field && BODY_FIELDS[field]) return [];
  if (typeof value === "string") return UUID.test(value) && !KNOWN_BODY_IDS.has(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => unknownIds(v, field));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => unknownIds(v, k));
  return [];
}

function fillBody(value: unknown, ids: Ids, field?: string): unknown {
  if (field && BODY_FIELDS[field]) return BODY_FIELDS[field](ids);
  if (Array.isArray(value)) return value.map((v) => fillBody(v, ids, field));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillBody(v, ids, k)]));
  return value;
}

interface BuiltRequest {
  path: string;
  init: RequestInit & { headers: Record<string, string> };
}

/** The request for `op`: path parameters from `pathIds`, the body in tenant A's terms (`bodyIds`). */
function buildRequest(op: SweptOperation, pathIds: Ids, bodyIds: Ids): BuiltRequest {
  const gaps = buildGaps(op);
  if (gaps.length) throw new Error(`the sweep cannot build a request for ${op.label}: ${gaps.join("; ")}`);
  let path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(PATH_PARAMETERS[name]!.fill(pathIds, op.path)!));
  const headers: Record<string, string> = {};
  const query = new URLSearchParams();
  for (const parameter of (op.doc.parameters ?? []) as Json[]) {
    if (!parameter.required) continue;
    if (parameter.in === "query") query.set(parameter.name, String(parameter.example ?? parameter.schema.example));
    if (parameter.in === "header") headers[parameter.name] = HEADERS[String(parameter.name).toLowerCase()]!();
  }
  if (query.size) path += `?${query}`;
  const example = op.doc.requestBody?.content?.["application/json"]?.example;
  if (example === undefined) return { path, init: { method: op.method, headers } };
  headers["Content-Type"] = "application/json";
  return { path, init: { method: op.method, headers, body: JSON.stringify(fillBody(example, bodyIds)) } };
}

// ---------------------------------------------------------------------------------------------------------
// Callers. Each says whether the design lets it use an operation.

interface SweepCaller {
  name: string;
  kind: "user" | "api_key";
  roles: Role[];
  token: string;
  /** Whether the design lets this caller use `op`: its permission, and whom the operation is for. */
  may(op: SweptOperation): boolean;
  /** Whether the caller holds `op`'s permission (a refusal for lack of it names the permission). */
  holds(op: SweptOperation): boolean;
}

const grants = (roles: Role[], scopes: Permission[], permission: Permission) =>
  roles.some((role) => (PERMISSIONS[permission] as readonly Role[]).includes(role)) && (scopes.length === 0 || scopes.includes(permission));

/** A person's session: their roles, narrowed to `scopes` if given (as a kiosk (PIN) session is). */
function userCaller(name: string, roles: Role[], token: string, scopes: Permission[] = []): SweepCaller {
  const holds = (op: SweptOperation) => op.permission === null || grants(roles, scopes, op.permission);
  return { name, kind: "user", roles, token, holds, may: holds };
}

function apiKeyCaller(role: Role, scopes: Permission[], token: string): SweepCaller {
  const holds = (op: SweptOperation) => op.permission === null || grants([role], scopes, op.permission);
  const name = `API key (${role}${scopes.length ? ` scoped to ${scopes.join(", ")}` : ""})`;
  return { name, kind: "api_key", roles: [role], token, holds, may: (op) => holds(op) && !USERS_ONLY.includes(op.id) };
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures: two tenants with every kind of resource a path can name, all made through the API.

let api: Awaited<ReturnType<typeof ledgerWorld>>["api"];
let callers: SweepCaller[];
let tenantA: Ids;
let tenantB: Ids;
let expiredToken: string;
let freshTokenOfSameIdentity: string;
let emmaToken: string;

const send = (request: BuiltRequest, token?: string) =>
  api.send(request.path, { ...request.init, headers: { ...request.init.headers, ...(token ? bearer(token) : {}) } }, LIMITS);

/**
 * A dead delivery of the tenant's `nth` event to a subscription (disabled: the sweep must never send anything to its
 * URL), for the delivery routes: one to redeliver, one to skip.
 */
async function deadDelivery(subscriptionId: string, nth: number): Promise<string> {
  const [row] =
    (await superuserSql()`insert into webhook_deliveries (tenant_id, subscription_id, event_id, subject, sequence, status, due_at, created_at)
    select e.tenant_id, s.id, e.id, e.subject, e.sequence, 'dead', now(), now() from webhook_subscriptions s
    join outbox_events e on e.tenant_id = s.tenant_id where s.id = ${subscriptionId}
    order by e.occurred_at, e.id offset ${nth} limit 1 returning id`) as [{ id: string }];
  return row.id;
}

async function created<T = Json>(response: Promise<Response>, what: string): Promise<T> {
  const res = await response;
  expect(res.status, `${what}: ${await res.clone().text()}`).toBeGreaterThanOrEqual(200);
  expect(res.status, `${what}: ${await res.clone().text()}`).toBeLessThan(300);
  return (await res.json()) as T;
}

beforeAll(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
  // Tenant A (Acme): a policy assigned to Emma, Eli, Mike and Hana with 10 days each, through the API.
  const world = await ledgerWorld({ grant: 10 });
  api = world.api;
  const { hana, sam } = world.tokens;
  emmaToken = world.tokens.emma;
  const post = (path: string, token: string, body: unknown) => world.post(path, token, body);

  const tokenOf = async (email: string, tenant = "acme") => (await api.tokens(email, tenant)).access_token;
  const only = async (roles: Role[], label: string) => tokenOf((await userWithRoles(ACME, roles, { label })).email);
  const systemAdmin = await userWithRoles(ACME, ["system_admin"], { employee: false });
  const kioskTokenOf = async (person: { employeeNumber: string }) =>
    (
      await created<{ access_token: string }>(
        api.postJson("/v1/auth/pin", { tenant: "acme", employee_number: person.employeeNumber, pin: DEMO_PIN }),
        "kiosk login",
      )
    ).access_token;
  const keyOf = async (role: Role, scopes: Permission[] = []) =>
    (await created<{ key: string }>(api.postJson("/v1/api-keys", { name: `sweep ${role}`, role, scopes }, bearer(sam)), `key ${role}`)).key;

  callers = [
    userCaller("System Admin", ["system_admin"], await tokenOf(systemAdmin.email)),
    userCaller("HR Admin", ["hr_admin"], await only(["hr_admin"], "hr")),
    userCaller("Manager", ["manager"], await only(["manager"], "manager")),
    userCaller("Employee", ["employee"], world.tokens.emma),
    userCaller("Auditor", ["auditor"], world.tokens.ada),
    userCaller("user without roles", [], await only([], "no-roles")),
    apiKeyCaller("employee", [], await keyOf("employee")),
    apiKeyCaller("manager", [], await keyOf("manager")),
    apiKeyCaller("hr_admin", [], await keyOf("hr_admin")),
    apiKeyCaller("auditor", [], await keyOf("auditor")),
    apiKeyCaller("hr_admin", ["self:read"], await keyOf("hr_admin", ["self:read"])),
    userCaller("kiosk (PIN) session of an HR Admin", [...people.hana.roles], await kioskTokenOf(people.hana), [...KIOSK_SCOPES]),
  ];
  expect(people.emma.roles).toEqual(["employee"]);
  expect(people.ada.roles).toEqual(["auditor"]);

  const request = await world.submitted(world.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
  await created(api.postJson("/v1/holidays", { day: "2027-03-26", name: "Good Friday" }, bearer(hana)), "holiday of A");
  const targetKey = await created<{ id: string }>(
    api.postJson("/v1/api-keys", { name: "sweep target", role: "auditor" }, bearer(sam)),
    "key",
  );
  const rollover = await created<{ run_id: string }>(post("/v1/rollovers", sam, { year: 2026, dry_run: false }), "rollover of A");
  const delegation = await created<{ id: string }>(
    api.postJson(
      "/v1/delegations",
      { delegator_id: people.mike.employeeId, delegate_id: people.eli.employeeId, ends_at: "2027-01-31T00:00:00Z" },
      bearer(hana),
    ),
    "delegation of A",
  );
  const subscription = await created<{ id: string }>(
    api.postJson("/v1/webhooks/subscriptions", { url: "https://hooks.example.com/a", enabled: false }, bearer(sam)),
    "webhook subscription of A",
  );
  tenantA = {
    userId: people.eli.userId,
    employeeId: people.eli.employeeId,
    requestId: request.id,
    policyKey: world.policyKey,
    apiKeyId: targetKey.id,
    rolloverRunId: rollover.run_id,
    holiday: "2027-03-26",
    delegationId: delegation.id,
    subscriptionId: subscription.id,
    deliveryId: await deadDelivery(subscription.id, 0),
    skippedDeliveryId: await deadDelivery(subscription.id, 1),
    role: "employee",
  };

  // Tenant B (Globex): the same kinds of resources, none of which tenant A has (another policy key, another holiday).
  const gina = await tokenOf(people.gina.email, "globex");
  const gus = await tokenOf(people.gus.email, "globex");
  const globexAdmin = await tokenOf((await userWithRoles(GLOBEX, ["system_admin"], { employee: false })).email, "globex");
  const policyKey = "globex-pto";
  await created(
    api.postJson(
      "/v1/policies",
      { key: policyKey, name: "Globex PTO", unit: "day", approvals_required: 1, approval_ttl_hours: 72, effective_from: "2020-01-01" },
      bearer(gina),
    ),
    "policy of B",
  );
  await created(
    api.postJson(`/v1/policies/${policyKey}/assignments`, { employee_ids: [people.gus.employeeId], starts_on: "2020-01-01" }, bearer(gina)),
    "assignment in B",
  );
  await created(
    post(`/v1/employees/${people.gus.employeeId}/ledger-entries`, gina, {
      policy_key: policyKey,
      kind: "grant",
      amount: 10,
      effective_date: "2026-01-01",
      note: "sweep",
    }),
    "grant in B",
  );
  const requestB = await created<{ id: string }>(
    post("/v1/requests", gus, { policy_key: policyKey, start_date: "2026-12-07", end_date: "2026-12-07" }),
    "request in B",
  );
  await created(api.postJson("/v1/holidays", { day: "2027-05-03", name: "Globex day" }, bearer(gina)), "holiday of B");
  const keyB = await created<{ id: string }>(
    api.postJson("/v1/api-keys", { name: "globex integration", role: "auditor" }, bearer(globexAdmin)),
    "key of B",
  );
  const rolloverB = await created<{ run_id: string }>(post("/v1/rollovers", globexAdmin, { year: 2026, dry_run: false }), "rollover of B");
  const delegationB = await created<{ id: string }>(
    api.postJson("/v1/delegations", { delegate_id: people.gus.employeeId, ends_at: "2027-01-31T00:00:00Z" }, bearer(gina)),
    "delegation of B",
  );
  const subscriptionB = await created<{ id: string }>(
    api.postJson("/v1/webhooks/subscriptions", { url: "https://hooks.example.com/b", enabled: false }, bearer(globexAdmin)),
    "webhook subscription of B",
  );
  tenantB = {
    userId: people.gus.userId,
    employeeId: people.gus.employeeId,
    requestId: requestB.id,
    policyKey,
    apiKeyId: keyB.id,
    rolloverRunId: rolloverB.run_id,
    holiday: "2027-05-03",
    delegationId: delegationB.id,
    subscriptionId: subscriptionB.id,
    deliveryId: await deadDelivery(subscriptionB.id, 0),
    skippedDeliveryId: await deadDelivery(subscriptionB.id, 1),
    role: "employee",
  };

  // An access token of the System Admin, signed with the Worker's own key, issued 20 minutes ago: expired.
  const loaded = loadConfig(testEnv);
  if (!loaded.ok) throw new Error("test configuration invalid");
  const [row] = (await superuserSql()`select session_version::int as sv from users where id = ${systemAdmin.userId}`) as [{ sv: number }];
  const identity = { userId: systemAdmin.userId, tenantId: ACME.id, sessionVersion: row.sv };
  const issuedAt = api.clock.now() - (ACCESS_TOKEN_TTL_SECONDS + JWT_CLOCK_SKEW_SECONDS + 240) * 1000;
  expiredToken = await signAccessToken(loaded.config, identity, issuedAt);
  freshTokenOfSameIdentity = await signAccessToken(loaded.config, identity, api.clock.now());
}, 120_000);

/** The database as the superuser sees it, but for columns a read changes by design. */
const fingerprint = () => databaseFingerprint({ api_keys: ["last_used_at"] });

async function changedTables(before: Record<string, string>): Promise<string[]> {
  const after = await fingerprint();
  return Object.keys({ ...before, ...after }).filter((table) => before[table] !== after[table]);
}

/** Runs `check` on each item, concurrently, and collects what failed instead of stopping at the first. */
async function collect<T>(items: T[], check: (item: T) => Promise<void>, describeItem: (item: T) => string): Promise<string[]> {
  const failures = await Promise.all(
    items.map(async (item) => {
      try {
        await check(item);
        return null;
      } catch (error) {
        return `${describeItem(item)}: ${(error as Error).message.split("\n")[0]}`;
      }
    }),
  );
  return failures.filter((f): f is string => f !== null);
}

/** The status and error code of a response, for reports. */
async function outcome(res: Response): Promise<string> {
  const text = await res.clone().text();
  let code = "";
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? "";
  } catch {
    code = text.slice(0, 80);
  }
  return `${res.status} ${code}`.trim();
}

// ---------------------------------------------------------------------------------------------------------

describe("the route table the sweep is generated from", () => {
  it("is what the Worker serves: the same document at /v1/openapi.json, and every route in it", async () => {
    const served = await call("/v1/openapi.json");
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(JSON.parse(JSON.stringify(openapi)));
    const undocumented = table.filter((r) => !documented(r)).map(key);
    expect(undocumented, "routes missing from the document cannot be swept").toEqual([]);
    const operations = Object.entries(openapi.paths as Json).flatMap(([path, item]) =>
      Object.keys(item as Json).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(table.map(key).sort()).toEqual(operations.sort());
  });

  it("declares protection the same way in the middleware and the document", () => {
    const disagreements = table
      .filter((r) => (r.access.kind === "signed-in") !== ((documented(r)?.security ?? []) as unknown[]).length > 0)
      .map((r) => `${key(r)}: middleware says ${r.access.kind}, document says security ${JSON.stringify(documented(r)?.security)}`);
    expect(disagreements).toEqual([]);
    expect(protectedOperations.length).toBeGreaterThan(40);
  });

  it("has exactly the expected public operations: making a route public is a decision made in this file", () => {
    expect(
      table
        .filter((r) => r.access.kind === "public")
        .map(key)
        .sort(),
    ).toEqual([...PUBLIC_OPERATIONS].sort());
  });

  it("declares a permission on every signed-in operation but the few any caller may use", () => {
    const open = protectedOperations.filter((op) => op.permission === null).map((op) => op.id);
    expect(
      open.filter((id) => !ANY_SIGNED_IN.includes(id)),
      "signed in without a permission: declare one, or add it to ANY_SIGNED_IN",
    ).toEqual([]);
    const ids = protectedOperations.map((op) => op.id);
    expect(
      ANY_SIGNED_IN.filter((id) => !ids.includes(id)),
      "ANY_SIGNED_IN names operations that no longer exist",
    ).toEqual([]);
    expect(
      USERS_ONLY.filter((id) => !ids.includes(id)),
      "USERS_ONLY names operations that no longer exist",
    ).toEqual([]);
  });

  it("can build a request for every protected operation (a new route the generator does not understand fails here)", () => {
    const gaps = protectedOperations.flatMap((op) => buildGaps(op).map((gap) => `${op.label}: ${gap}`));
    expect(gaps).toEqual([]);
  });

  it("calls as a user of each role alone, and with an API key of each role an API key may have", () => {
    const users = callers.filter((c) => c.kind === "user" && c.roles.length === 1).map((c) => c.roles[0]);
    expect(users.sort()).toEqual([...ROLES].sort());
    const keys = new Set(callers.filter((c) => c.kind === "api_key").flatMap((c) => c.roles));
    expect([...keys].sort()).toEqual(ROLES.filter((r) => r !== "system_admin").sort());
  });
});

describe("1. without a token", () => {
  it.each(protectedOperations.map((op) => [op.label, op] as const))("%s → 401 UNAUTHORIZED, nothing changed", async (_, op) => {
    const before = await fingerprint();
    const res = await send(buildRequest(op, tenantA, tenantA));
    await expectError(res, 401, "UNAUTHORIZED");
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
    expect(await changedTables(before)).toEqual([]);
  });
});

describe("2. with an expired access token", () => {
  it("the same identity with a token issued now is accepted (so the refusals below are about expiry)", async () => {
    expect((await api.me(freshTokenOfSameIdentity, {}, LIMITS)).status).toBe(200);
  });

  it.each(protectedOperations.map((op) => [op.label, op] as const))("%s → 401 UNAUTHORIZED, nothing changed", async (_, op) => {
    const before = await fingerprint();
    const error = await expectError(await send(buildRequest(op, tenantA, tenantA), expiredToken), 401, "UNAUTHORIZED");
    expect(error.details).toEqual({ reason: "token expired" });
    expect(await changedTables(before)).toEqual([]);
  });
});

describe("3. callers the design does not let use the operation", () => {
  const swept = protectedOperations.filter((op) => op.permission !== null || USERS_ONLY.includes(op.id));
  it.each(swept.map((op) => [op.label, op] as const))("%s → 403 (or 404) for each, nothing changed", async (_, op) => {
    const refused = callers.filter((c) => !c.may(op));
    expect(refused.length, "some caller is refused").toBeGreaterThan(0);
    const before = await fingerprint();
    const failures = await collect(
      refused,
      async (caller) => {
        const res = await send(buildRequest(op, tenantA, tenantA), caller.token);
        const status = await outcome(res);
        expect(["403 FORBIDDEN", "404 RESOURCE_NOT_FOUND"], `answered ${status}`).toContain(status);
        const error = await expectError(res, res.status, res.status === 403 ? "FORBIDDEN" : "RESOURCE_NOT_FOUND");
        if (res.status === 403 && !caller.holds(op))
          expect(error.details, "the refusal names the permission").toEqual({ permission: op.permission });
      },
      (caller) => caller.name,
    );
    expect(failures).toEqual([]);
    expect(await changedTables(before), "a refused request changed these tables").toEqual([]);
  });
});

describe("4. another tenant's resources, named by a caller who may use the operation", () => {
  const swept = protectedOperations.filter(namesTenantResources);
  it("covers every operation whose path names a tenant's resource", () => {
    expect(swept.length).toBeGreaterThan(15);
  });

  it.each(swept.map((op) => [op.label, op] as const))("%s → 404 RESOURCE_NOT_FOUND for each, nothing changed", async (_, op) => {
    const allowed = callers.filter((c) => c.may(op));
    expect(allowed.length, "some caller may use it").toBeGreaterThan(0);
    const before = await fingerprint();
    const failures = await collect(
      allowed,
      async (caller) => {
        const res = await send(buildRequest(op, tenantB, tenantA), caller.token);
        expect(await outcome(res)).toBe("404 RESOURCE_NOT_FOUND");
        await expectError(res, 404, "RESOURCE_NOT_FOUND");
      },
      (caller) => caller.name,
    );
    expect(failures).toEqual([]);
    expect(await changedTables(before), "a request naming another tenant's resource changed these tables").toEqual([]);
  });
});

describe("control: the same requests with tenant A's own ids reach the resource", () => {
  // Runs last: these requests change tenant A (a user gets a new password, a key is revoked, …). Reads first,
  // deletions last, so that no request removes what a later one names; a fresh user and a fresh pending
  // request for each operation that names one, so that no operation finds it already changed by another.
  const order = ["GET", "PATCH", "POST", "PUT", "DELETE"];
  const swept = protectedOperations.filter(namesTenantResources).sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method));
  let freshDay = 0;
  const freshIds = async (op: SweptOperation): Promise<Ids> => {
    const names = pathParameters(op.path);
    const ids = { ...tenantA };
    if (names.includes("user_id")) ids.userId = (await userWithRoles(ACME, [tenantA.role], { label: "control" })).userId;
    // An erasure ends the person for good: a fresh one, so that later operations still find theirs.
    if (op.path.endsWith("/erasure")) ids.employeeId = (await userWithRoles(ACME, ["employee"], { label: "erased" })).employeeId!;
    if (names.includes("id") && op.path.startsWith("/v1/requests/")) {
      // Monday 14 December onwards, one working day each (Monday to Friday).
      const n = freshDay++;
      const day = new Date(Date.UTC(2026, 11, 14 + n + 2 * Math.floor(n / 5))).toISOString().slice(0, 10);
      ids.requestId = (
        await created<{ id: string }>(
          api.postJson(
            "/v1/requests",
            { policy_key: tenantA.policyKey, start_date: day, end_date: day },
            { ...bearer(emmaToken), "Idempotency-Key": crypto.randomUUID() },
          ),
          `a fresh request on ${day}`,
        )
      ).id;
    }
    return ids;
  };
  it.each(swept.map((op) => [op.label, op] as const))("%s: a caller who may use it gets 2xx", async (_, op) => {
    const ids = await freshIds(op);
    const answers: string[] = [];
    for (const caller of callers.filter((c) => c.may(op))) {
      const res = await send(buildRequest(op, ids, tenantA), caller.token);
      const status = await outcome(res);
      answers.push(`${caller.name}: ${status}`);
      expect(res.status, `${caller.name}: ${status}`).toBeLessThan(500);
      if (res.status >= 200 && res.status < 300) return;
    }
    expect.fail(`no caller reached tenant A's resource: ${answers.join("; ")}`);
  });
});
