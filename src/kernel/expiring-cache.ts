import { LRUCache } from "lru-cache";
import { AUTH_CACHE_MAX_AGE_MS } from "./constants";

/**
 * An isolate-local cache of authorization state: at most `max` entries (least recently used go first), each
 * for at most AUTH_CACHE_MAX_AGE_MS and never past the expiry its caller names (a token's `exp`, say). Time
 * is the caller's (`nowMs`), so tests control it.
 */
export class ExpiringCache<V extends {}> {
  private readonly entries: LRUCache<string, { value: V; expiresAt: number }>;

  constructor(max: number) {
    this.entries = new LRUCache({ max });
  }

  get(key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, nowMs: number, expiresAt = Number.POSITIVE_INFINITY): void {
    this.entries.set(key, { value, expiresAt: Math.min(expiresAt, nowMs + AUTH_CACHE_MAX_AGE_MS) });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
