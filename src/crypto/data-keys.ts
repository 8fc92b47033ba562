import type { Config, DataKek } from "../kernel/config";
import { DATA_KEY_CACHE_ENTRIES } from "../kernel/constants";
import { AppError } from "../kernel/errors";
import { ExpiringCache } from "../kernel/expiring-cache";

/**
 * Envelope encryption. Confidential fields are encrypted with a data key (AES-256-GCM) per employee and year;
 * Postgres keeps each data key only wrapped (AES-KW, RFC 3394) by the key-encryption key DATA_KEK, a Worker
 * secret it never sees, under the KEK's kid. Destroying a data key's wrapping (erasure, retention) makes every
 * field encrypted with it unreadable for good. Rotation: a new DATA_KEK wraps new keys while DATA_KEK_PREVIOUS
 * still unwraps the old ones, until the re-wrap job has moved them forward.
 */

/** A data key as the database holds it: wrapped, under a KEK named by kid; or destroyed (wrapped is null). */
export interface StoredDataKey {
  id: string;
  wrapped: Uint8Array<ArrayBuffer> | null;
  kekId: string | null;
}

/** A data key ready to use, and the wrapping to store when it is new. */
export interface DataKey {
  id: string;
  key: CryptoKey;
}

const keks = new WeakMap<DataKek, Promise<CryptoKey>>();

function importKek(jwk: DataKek): Promise<CryptoKey> {
  let key = keks.get(jwk);
  if (!key) {
    key = crypto.subtle.importKey("jwk", { kty: "oct", k: jwk.k, alg: "A256KW", ext: false }, "AES-KW", false, ["wrapKey", "unwrapKey"]);
    keks.set(jwk, key);
  }
  return key;
}

/** The KEK of `kid`: DATA_KEK or DATA_KEK_PREVIOUS; any other is a key this deployment does not have (503). */
function kekFor(config: Pick<Config, "DATA_KEK" | "DATA_KEK_PREVIOUS">, kid: string): Promise<CryptoKey> {
  if (kid === config.DATA_KEK.kid) return importKek(config.DATA_KEK);
  if (config.DATA_KEK_PREVIOUS && kid === config.DATA_KEK_PREVIOUS.kid) return importKek(config.DATA_KEK_PREVIOUS);
  throw new AppError("ENCRYPTION_KEY_UNAVAILABLE", "A key needed for confidential data is not configured", { kek_id: kid });
}

/** A new data key for one employee and year, and its wrapping under the current KEK. */
export async function newDataKey(
  config: Pick<Config, "DATA_KEK" | "DATA_KEK_PREVIOUS">,
): Promise<{ dataKey: DataKey; stored: StoredDataKey & { wrapped: Uint8Array<ArrayBuffer> } }> {
  const key = (await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"])) as CryptoKey;
  const wrapped = new Uint8Array(await crypto.subtle.wrapKey("raw", key, await kekFor(config, config.DATA_KEK.kid), "AES-KW"));
  const id = crypto.randomUUID();
  return { dataKey: { id, key }, stored: { id, wrapped, kekId: config.DATA_KEK.kid } };
}

/**
 * Unwrapped data keys, by id, for at most a minute and the DATA_KEY_CACHE_ENTRIES most recently used. Only
 * ever used together with the key's row read in the same transaction, so a destroyed key is never used from here.
 */
const unwrapped = new ExpiringCache<CryptoKey>(DATA_KEY_CACHE_ENTRIES);

/** The usable key of a stored data key, or null if it was destroyed. A wrapping that does not unwrap is corrupt. */
export async function openDataKey(
  config: Pick<Config, "DATA_KEK" | "DATA_KEK_PREVIOUS">,
  stored: StoredDataKey,
  nowMs: number,
): Promise<DataKey | null> {
  if (stored.wrapped === null || stored.kekId === null) {
    unwrapped.delete(stored.id);
    return null;
  }
  const cached = unwrapped.get(stored.id, nowMs);
  if (cached) return { id: stored.id, key: cached };
  const kek = await kekFor(config, stored.kekId);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.unwrapKey("raw", stored.wrapped, kek, "AES-KW", "AES-GCM", false, ["encrypt", "decrypt"]);
  } catch {
    throw new AppError("DATA_INTEGRITY", "Stored data failed its integrity check", { data_key_id: stored.id });
  }
  unwrapped.set(stored.id, key, nowMs);
  return { id: stored.id, key };
}

/**
 * A live data key's wrapping under the current KEK (the re-wrap job): unwrapped with the KEK its kid names, as
 * extractable only here and only long enough to wrap it again.
 */
export async function rewrapDataKey(
  config: Pick<Config, "DATA_KEK" | "DATA_KEK_PREVIOUS">,
  stored: StoredDataKey & { wrapped: Uint8Array<ArrayBuffer>; kekId: string },
): Promise<Uint8Array<ArrayBuffer>> {
  const from = await kekFor(config, stored.kekId);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.unwrapKey("raw", stored.wrapped, from, "AES-KW", "AES-GCM", true, ["encrypt", "decrypt"]);
  } catch {
    throw new AppError("DATA_INTEGRITY", "Stored data failed its integrity check", { data_key_id: stored.id });
  }
  return new Uint8Array(await crypto.subtle.wrapKey("raw", key, await kekFor(config, config.DATA_KEK.kid), "AES-KW"));
}

/** Remember a key this isolate just made (its wrapping is stored in the same transaction that first uses it). */
export function rememberDataKey(dataKey: DataKey, nowMs: number): void {
  unwrapped.set(dataKey.id, dataKey.key, nowMs);
}

/** Forget every unwrapped key (tests). */
export function forgetDataKeys(): void {
  unwrapped.clear();
}
