import { fromBase64Url, toHex } from "../kernel/bytes";
import type { Config, DataKek } from "../kernel/config";

/**
 * What pins an Idempotency-Key to its request: HMAC-SHA256 of the operation and its input under a key derived
 * (HKDF) from DATA_KEK, so a stored hash says nothing about the input — a reason could be guessed back from a
 * plain hash. While a rotation is under way the hash under DATA_KEK_PREVIOUS is sent as well, and the database
 * accepts either, so a replay across the rotation is still recognised.
 */
const HASH_INFO = new TextEncoder().encode("leave-ledger idempotency request hash v1");
const hashKeys = new WeakMap<DataKek, Promise<CryptoKey>>();

function hashKey(kek: DataKek): Promise<CryptoKey> {
  let key = hashKeys.get(kek);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", fromBase64Url(kek.k)!, "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: HASH_INFO },
          material,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign"],
        ),
      );
    hashKeys.set(kek, key);
  }
  return key;
}

async function hashUnder(kek: DataKek, text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", await hashKey(kek), new TextEncoder().encode(text))));
}

export async function requestHashes(
  config: Pick<Config, "DATA_KEK" | "DATA_KEK_PREVIOUS">,
  operation: string,
  input: unknown,
): Promise<{ request_hash: string; request_hash_previous?: string }> {
  const text = JSON.stringify([operation, input]);
  const current = await hashUnder(config.DATA_KEK, text);
  return config.DATA_KEK_PREVIOUS
    ? { request_hash: current, request_hash_previous: await hashUnder(config.DATA_KEK_PREVIOUS, text) }
    : { request_hash: current };
}
