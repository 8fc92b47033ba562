import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * One object per limited key (`user:…`, `ip:…`, …), backed by SQLite so every count is atomic and durable.
 * The counting and lockout logic arrives with the identity work; the readiness probe proves the binding,
 * the object and its storage answer.
 */
export class RateLimiter extends DurableObject<Env> {
  /** Runs a real statement against the object's SQLite storage. */
  async ping(): Promise<{ ok: true; storage: "sqlite" }> {
    const row = this.ctx.storage.sql.exec<{ ok: number }>("select 1 as ok").one();
    if (row.ok !== 1) throw new Error("Durable Object storage returned an unexpected row");
    return { ok: true, storage: "sqlite" };
  }
}
