/**
 * A request's comment thread: the employee, their manager and HR write, whoever may read the request reads;
 * bodies are sealed like reasons, reads of another person's thread are access-logged, erasure takes them away.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld, newKey } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

type Comment = { id: string; author_id: string; author_name: string; body: string | null };

async function thread() {
  const w = await ledgerWorld({ grant: 5 });
  const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
  const comment = (token: string, body: string, key = newKey("c")) => w.post(`/v1/requests/${request.id}/comments`, token, { body }, key);
  const read = (token: string) => w.api.send(`/v1/requests/${request.id}/comments`, { headers: bearer(token) });
  const bodies = async (token: string) => {
    const res = await read(token);
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { data: Comment[] }).data.map((c) => [c.author_name, c.body]);
  };
  return { w, request, comment, read, bodies };
}

describe("a request's comment thread", () => {
  it("the employee, their manager and HR write; they and the Auditor read it in order, with names", async () => {
    const { w, comment, bodies } = await thread();
    for (const [token, body] of [
      [w.tokens.mike, "Could you hand the checklist to Eli first?"],
      [w.tokens.emma, "Done, he has it."],
      [w.tokens.hana, "Noted for the team calendar."],
    ] as const) {
      const res = await comment(token, body);
      expect(res.status, await res.clone().text()).toBe(201);
      expect(await res.json()).toMatchObject({ body });
    }
    const expected = [
      ["Mike Manager", "Could you hand the checklist to Eli first?"],
      ["Emma Employee", "Done, he has it."],
      ["Hana HR", "Noted for the team calendar."],
    ];
    for (const token of [w.tokens.emma, w.tokens.mike, w.tokens.hana, w.tokens.ada]) expect(await bodies(token)).toEqual(expected);
    const stored = (await superuserSql()`select body from request_comments`) as { body: string }[];
    expect(stored.every((c) => c.body.startsWith("v1.") && !c.body.includes("checklist"))).toBe(true);
  });

  it("nobody else reads or writes it: a colleague and another tenant get 404, the Auditor may not write", async () => {
    const { w, comment, read } = await thread();
    await expectError(await comment(w.tokens.eli, "nosy"), 404, "RESOURCE_NOT_FOUND");
    await expectError(await read(w.tokens.eli), 404, "RESOURCE_NOT_FOUND");
    await expectError(await comment(w.tokens.ada, "audited"), 403, "FORBIDDEN");
    const gina = (await w.api.tokens(people.gina.email, "globex")).access_token;
    await expectError(await comment(gina, "hello"), 404, "RESOURCE_NOT_FOUND");
    await expectError(await read(gina), 404, "RESOURCE_NOT_FOUND");
    const [{ n }] = (await superuserSql()`select count(*)::int as n from request_comments`) as [{ n: number }];
    expect(n).toBe(0);
  });

  it("a replay answers the first comment; bad bodies are a 400; the thread is append-only even to the owner", async () => {
    const { w, comment } = await thread();
    const key = newKey("c");
    const first = (await (await comment(w.tokens.mike, "one", key)).json()) as Comment;
    const again = await comment(w.tokens.mike, "one", key);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await again.json()) as Comment).id).toBe(first.id);
    await expectError(await comment(w.tokens.mike, "two", key), 409, "DUPLICATE_REQUEST");
    for (const body of ["", "   ", "x".repeat(2001), "nul\u0000byte"])
      await expectError(await comment(w.tokens.mike, body), 400, "VALIDATION_FAILED");
    await expect(superuserSql()`update request_comments set body = 'v1.forged' where id = ${first.id}`).rejects.toThrow(/append-only/);
    await expect(superuserSql()`insert into request_comments (id, tenant_id, request_id, employee_id, author_id, body, data_key_id, created_at)
      select gen_random_uuid(), tenant_id, request_id, employee_id, author_id, 'plain text', data_key_id, now() from request_comments limit 1`).rejects.toThrow(
      /must be sealed/,
    );
  });

  it("HR's read of someone's thread is access-logged; the employee's own read is not; erasure leaves the thread unreadable", async () => {
    const { w, comment, bodies } = await thread();
    expect((await comment(w.tokens.mike, "see you in January")).status).toBe(201);
    await bodies(w.tokens.emma);
    await bodies(w.tokens.hana);
    const logged =
      (await superuserSql()`select actor_id, target_id, details ->> 'read' as read from audit_log where action = 'confidential.read'`) as {
        actor_id: string;
        target_id: string;
        read: string;
      }[];
    expect(logged).toEqual([{ actor_id: people.hana.userId, target_id: people.emma.employeeId, read: "request_comment" }]);
    expect((await w.api.postJson(`/v1/employees/${people.emma.employeeId}/erasure`, {}, bearer(w.tokens.sam))).status).toBe(200);
    expect(await bodies(w.tokens.hana)).toEqual([["Mike Manager", null]]);
  });

  it("is in each person's export: the comments on their requests, and those they wrote on others'", async () => {
    const { w, comment } = await thread();
    const eliRequest = await w.submitted(w.tokens.eli, { start_date: "2026-12-08", end_date: "2026-12-08" });
    expect((await comment(w.tokens.mike, "Enjoy, Emma")).status).toBe(201);
    expect((await comment(w.tokens.emma, "Thanks!")).status).toBe(201);
    expect((await w.post(`/v1/requests/${eliRequest.id}/comments`, w.tokens.mike, { body: "And you, Eli" })).status).toBe(201);
    const exported = async (token: string) => {
      const res = await w.api.send("/v1/me/export", { headers: bearer(token) });
      expect(res.status, await res.clone().text()).toBe(200);
      return ((await res.json()) as { comments: Comment[] }).comments.map((c) => [c.author_name, c.body]);
    };
    expect(await exported(w.tokens.emma)).toEqual([
      ["Mike Manager", "Enjoy, Emma"],
      ["Emma Employee", "Thanks!"],
    ]);
    expect(await exported(w.tokens.mike)).toEqual([
      ["Mike Manager", "Enjoy, Emma"],
      ["Mike Manager", "And you, Eli"],
    ]);
    expect(await exported(w.tokens.eli)).toEqual([["Mike Manager", "And you, Eli"]]);
  });
});
