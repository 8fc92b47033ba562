import { sql } from "drizzle-orm";
import { userCaller } from "../auth/principal";
import { type DataKey, forgetDataKeys, newDataKey, openDataKey, rememberDataKey, type StoredDataKey } from "../crypto/data-keys";
import { type FieldPlace, openField, sealField } from "../crypto/sealed-fields";
import { runInDatabase } from "../db/door";
import { fromBase64, toBase64 } from "../kernel/bytes";
import type { Config } from "../kernel/config";
import { DATA_KEY_CACHE_ENTRIES } from "../kernel/constants";
import type { Principal } from "../kernel/context";
import { AppError } from "../kernel/errors";
import { ExpiringCache } from "../kernel/expiring-cache";

/**
 * Confidential fields between the API and the database: sealed before a write, opened after a read, with the
 * data key of the employee and year they are about (src/crypto). Reads bring the keys their rows name in the
 * same statement; a write that seals brings the key it used, which the database checks is the one stored.
 */

/** A data key as `app.data_key_json` answers it. */
export interface DataKeyJson {
  id: string;
  wrapped: string | null;
  kek_id: string | null;
}

export const storedKey = (json: DataKeyJson): StoredDataKey => ({
  id: json.id,
  wrapped: json.wrapped === null ? null : fromBase64(json.wrapped),
  kekId: json.kek_id,
});

/** Whose data a field is: the key is this employee's for this year. */
export interface Subject {
  employeeId: string;
  year: number;
}

/** The key a write seals with, and what the database is told about it (`app.use_data_key`). */
export interface SealingKey {
  dataKey: DataKey;
  param: { id: string; wrapped?: string; kek_id?: string };
}

/** Keys this isolate sealed with lately, by tenant, employee and year: a write with one costs no extra read. */
const sealingKeys = new ExpiringCache<DataKey>(DATA_KEY_CACHE_ENTRIES);
const subjectKey = (tenantId: string, subject: Subject) => `${tenantId}:${subject.employeeId}:${subject.year}`;

/**
 * The key to seal a subject's fields with: `stored` when the database just named it (read, or answered in a
 * race), else this isolate's recent one, else the stored one (a read), else a new one. A destroyed key means
 * the person's data was erased: nothing more is added to it.
 */
export async function sealingKeyFor(
  config: Config,
  principal: Principal,
  subject: Subject,
  nowMs: number,
  stored?: DataKeyJson | null,
): Promise<SealingKey> {
  const cacheKey = subjectKey(principal.tenantId, subject);
  if (stored === undefined) {
    const cached = sealingKeys.get(cacheKey, nowMs);
    if (cached) return { dataKey: cached, param: { id: cached.id } };
    const [result] = await runInDatabase(
      config,
      userCaller(principal),
      (db) => [
        db.execute<{ key: DataKeyJson }>(sql`select app.data_key_json(k) as key from data_keys k
          where k.tenant_id = ${principal.tenantId} and k.employee_id = ${subject.employeeId} and k.year = ${subject.year}`),
      ],
      { readOnly: true },
    );
    stored = result.rows[0]?.key ?? null;
  }
  if (stored === null) {
    const made = await newDataKey(config);
    return { dataKey: made.dataKey, param: { id: made.stored.id, wrapped: toBase64(made.stored.wrapped), kek_id: config.DATA_KEK.kid } };
  }
  const dataKey = await openDataKey(config, storedKey(stored), nowMs);
  if (!dataKey)
    throw new AppError(
      "FORBIDDEN",
      "This person's confidential data of that year was destroyed (erasure or retention); nothing can be added to it",
    );
  sealingKeys.set(cacheKey, dataKey, nowMs);
  return { dataKey, param: { id: dataKey.id } };
}

/** After a write that sealed with `key` committed: the next write for the subject needs no read. */
export function sealedWith(tenantId: string, subject: Subject, key: SealingKey, nowMs: number): void {
  sealingKeys.set(subjectKey(tenantId, subject), key.dataKey, nowMs);
  rememberDataKey(key.dataKey, nowMs);
}

/** After a write that was refused: the key it used may be stale (destroyed, or another one won a race). */
export function forgetSealingKey(tenantId: string, subject: Subject): void {
  sealingKeys.delete(subjectKey(tenantId, subject));
}

/** Forget every key this isolate holds (tests). */
export function forgetSealingKeys(): void {
  sealingKeys.clear();
  forgetDataKeys();
}

export const seal = (key: SealingKey, place: FieldPlace, plaintext: string) => sealField(key.dataKey, place, plaintext);

/**
 * The keys one answer's sealed fields need, by id, as read with them; a key missing (an idempotent replay
 * stores the answer, never keys) is read when first needed.
 */
export class KeyRing {
  private readonly keys: Map<string, DataKeyJson>;

  constructor(
    private readonly config: Config,
    private readonly principal: Principal,
    private readonly nowMs: number,
    keys: Record<string, DataKeyJson> = {},
  ) {
    this.keys = new Map(Object.entries(keys));
  }

  /** Reads, in one round trip, whichever of `ids` this ring lacks. */
  async require(ids: (string | null)[]): Promise<void> {
    const missing = [...new Set(ids.filter((id): id is string => id !== null && !this.keys.has(id)))];
    if (missing.length === 0) return;
    const [result] = await runInDatabase(
      this.config,
      userCaller(this.principal),
      (db) => [
        db.execute<{ key: DataKeyJson }>(
          sql`select app.data_key_json(k) as key from data_keys k where k.id in (select jsonb_array_elements_text(${JSON.stringify(missing)}::jsonb)::uuid)`,
        ),
      ],
      { readOnly: true },
    );
    for (const { key } of result.rows) this.keys.set(key.id, key);
  }

  /**
   * The plaintext of a field: null when there is none or its key was destroyed (the person's data was erased);
   * as stored when the row has no key (written before encryption, until the encryption job seals it).
   */
  async open(dataKeyId: string | null, place: Omit<FieldPlace, "tenantId">, value: string | null): Promise<string | null> {
    if (value === null) return null;
    if (dataKeyId === null) return value;
    const stored = this.keys.get(dataKeyId);
    if (!stored)
      throw new AppError("DATA_INTEGRITY", "Stored data failed its integrity check", { data_key_id: dataKeyId, problem: "key not found" });
    const dataKey = await openDataKey(this.config, storedKey(stored), this.nowMs);
    return dataKey ? openField(dataKey, { ...place, tenantId: this.principal.tenantId }, value) : null;
  }
}
