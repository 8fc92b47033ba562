import { sql } from "drizzle-orm";
import { type DataKey, newDataKey, openDataKey, rewrapDataKey } from "../crypto/data-keys";
import { sealField } from "../crypto/sealed-fields";
import { notePlace } from "../domain/ledger-entries";
import { type DataKeyJson, storedKey } from "../domain/sealing";
import { openWebhookSecret, sealWebhookSecret } from "../domain/webhooks";
import { fromBase64, toBase64 } from "../kernel/bytes";
import type { Config } from "../kernel/config";
import { callAsScheduler } from "./call";

/**
 * The daily job's work on confidential fields, one tenant and one chunk per call, each repeatable: sealing the
 * fields written before sealed fields existed, and moving data keys wrapped by a previous KEK to the current one.
 * Both run as the scheduler through definer functions (migrations/functions/63_key_jobs.sql), which audit what
 * they changed.
 */

interface UnsealedField {
  table: "leave_requests" | "approvals" | "ledger_entries";
  id: string | number;
  employee_id: string;
  year: number;
  value: string;
  policy_key?: string;
  reference?: string;
}

const COLUMNS = { leave_requests: "reason", approvals: "comment", ledger_entries: "note" } as const;
const FACTS = { ip: null, user_agent: null, request_id: null };

/** Where a field is bound: the row's UUID, or a ledger entry's account and reference (as when it is written). */
const rowOf = (field: UnsealedField) =>
  field.table === "ledger_entries"
    ? notePlace({ employee_id: field.employee_id, policy_key: field.policy_key!, reference: field.reference! }).row
    : String(field.id);

/**
 * Seals up to `limit` of a tenant's plaintext fields with their employee-year keys (made when missing). A field
 * whose year's key was destroyed (retention) is set to null instead: its text is due to be gone. Answers how
 * many fields it sealed or erased (0: none left).
 */
export async function sealOldFields(config: Config, tenantId: string, nowMs: number, limit: number): Promise<number> {
  const found = await callAsScheduler<{ fields: UnsealedField[]; keys: Record<string, DataKeyJson> }>(
    config,
    tenantId,
    sql`select app.unsealed_fields(${limit}) as out`,
  );
  if (found.fields.length === 0) return 0;
  const keys = new Map<string, { dataKey: DataKey | null; param: Record<string, unknown> }>();
  for (const field of found.fields) {
    const subject = `${field.employee_id}:${field.year}`;
    if (keys.has(subject)) continue;
    const stored = found.keys[subject];
    if (stored) {
      keys.set(subject, { dataKey: await openDataKey(config, storedKey(stored), nowMs), param: { id: stored.id } });
    } else {
      const made = await newDataKey(config);
      keys.set(subject, {
        dataKey: made.dataKey,
        param: { id: made.stored.id, wrapped: toBase64(made.stored.wrapped), kek_id: config.DATA_KEK.kid },
      });
    }
  }
  const fields = await Promise.all(
    found.fields.map(async (field) => {
      const { dataKey } = keys.get(`${field.employee_id}:${field.year}`)!;
      const place = { tenantId, table: field.table, column: COLUMNS[field.table], row: rowOf(field) };
      return { table: field.table, id: field.id, value: dataKey ? await sealField(dataKey, place, field.value) : null };
    }),
  );
  const used = [...keys].filter(([, key]) => key.dataKey !== null);
  return callAsScheduler<number>(
    config,
    tenantId,
    sql`select app.seal_fields(${JSON.stringify({
      keys: used.map(([subject, key]) => {
        const [employee_id, year] = subject.split(":");
        return { employee_id, year: Number(year), key: key.param };
      }),
      fields,
      facts: FACTS,
    })}::jsonb) as out`,
  );
}

/**
 * Moves up to `limit` of a tenant's live data keys from DATA_KEK_PREVIOUS to DATA_KEK. Answers how many moved
 * (0: none left, or no previous KEK configured).
 */
export async function rewrapOldKeys(config: Config, tenantId: string, nowMs: number, limit: number): Promise<number> {
  const previous = config.DATA_KEK_PREVIOUS;
  if (!previous) return 0;
  const old = await callAsScheduler<DataKeyJson[]>(
    config,
    tenantId,
    sql`select app.keys_to_rewrap(${previous.kid}, ${limit}) as out`,
    true,
  );
  if (old.length === 0) return 0;
  const keys = await Promise.all(
    old.map(async (key) => ({
      id: key.id,
      from: previous.kid,
      wrapped: toBase64(await rewrapDataKey(config, { id: key.id, wrapped: fromBase64(key.wrapped!), kekId: previous.kid })),
    })),
  );
  return callAsScheduler<number>(
    config,
    tenantId,
    sql`select app.rewrap_keys(${JSON.stringify({ kek_id: config.DATA_KEK.kid, keys, now: new Date(nowMs).toISOString(), facts: FACTS })}::jsonb) as out`,
  );
}

interface SealedSubscription {
  id: string;
  secret: string;
  secret_kek_id: string;
  previous_secret: string | null;
  previous_secret_kek_id: string | null;
}

/**
 * Moves up to `limit` of a tenant's webhook secrets sealed under DATA_KEK_PREVIOUS to DATA_KEK (the secret and,
 * during a rotation's overlap, the previous one): the receiver keeps its secret, only its sealing changes. Answers
 * how many subscriptions moved (0: none left, or no previous KEK configured).
 */
export async function resealWebhookSecrets(config: Config, tenantId: string, nowMs: number, limit: number): Promise<number> {
  const previous = config.DATA_KEK_PREVIOUS;
  if (!previous) return 0;
  const old = await callAsScheduler<SealedSubscription[]>(
    config,
    tenantId,
    sql`select app.webhook_secrets_to_reseal(${previous.kid}, ${limit}) as out`,
    true,
  );
  if (old.length === 0) return 0;
  const reseal = async (id: string, column: "secret" | "previous_secret", sealed: string | null, kekId: string | null) =>
    sealed === null || kekId === null
      ? null
      : (await sealWebhookSecret(config, tenantId, id, column, await openWebhookSecret(config, tenantId, id, column, { sealed, kekId })))
          .sealed;
  const subscriptions = await Promise.all(
    old.map(async (s) => ({
      id: s.id,
      secret: await reseal(s.id, "secret", s.secret, s.secret_kek_id),
      was: s.secret,
      previous_secret: await reseal(s.id, "previous_secret", s.previous_secret, s.previous_secret_kek_id),
      previous_was: s.previous_secret,
    })),
  );
  return callAsScheduler<number>(
    config,
    tenantId,
    sql`select app.reseal_webhook_secrets(${JSON.stringify({ kek_id: config.DATA_KEK.kid, subscriptions, now: new Date(nowMs).toISOString(), facts: FACTS })}::jsonb) as out`,
  );
}
