import { fromBase64Url, toBase64Url } from "../kernel/bytes";
import { AppError } from "../kernel/errors";
import type { DataKey } from "./data-keys";

/**
 * A confidential field as stored: `v1.<iv>.<ciphertext>` (base64url; AES-256-GCM with a random 96-bit IV, the
 * 128-bit tag at the end of the ciphertext), encrypted with the data key the row names. The field's place —
 * tenant, table, column and the row's identity — and the data key's id are the associated data, so a
 * ciphertext copied to another row, column or tenant, or a row pointed at another key row (even one holding a
 * copy of the right wrapped key), does not decrypt.
 */
export interface FieldPlace {
  tenantId: string;
  table: string;
  column: string;
  /** What identifies the row for good: its UUID (which the Worker chose), or for ledger entries account and reference. */
  row: string;
}

const VERSION = "v1";
const IV_BYTES = 12;

const associatedData = (place: FieldPlace, dataKey: DataKey) =>
  new TextEncoder().encode(["leave-ledger", VERSION, place.tenantId, `${place.table}.${place.column}`, place.row, dataKey.id].join("\n"));

export async function sealField(dataKey: DataKey, place: FieldPlace, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: associatedData(place, dataKey) },
    dataKey.key,
    new TextEncoder().encode(plaintext),
  );
  return `${VERSION}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
}

/**
 * The plaintext of a sealed field. Anything that does not authenticate — another row's ciphertext, a changed
 * byte, the wrong key — is DATA_INTEGRITY (500, reported), never garbage.
 */
export async function openField(dataKey: DataKey, place: FieldPlace, sealed: string): Promise<string> {
  const [version, ivText, ciphertextText, extra] = sealed.split(".");
  const iv = ivText === undefined ? null : fromBase64Url(ivText);
  const ciphertext = ciphertextText === undefined ? null : fromBase64Url(ciphertextText);
  const broken = () =>
    new AppError("DATA_INTEGRITY", "Stored data failed its integrity check", {
      table: place.table,
      column: place.column,
      data_key_id: dataKey.id,
    });
  if (version !== VERSION || extra !== undefined || iv?.length !== IV_BYTES || !ciphertext) throw broken();
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: associatedData(place, dataKey) },
      dataKey.key,
      ciphertext,
    );
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(plaintext);
  } catch {
    throw broken();
  }
}
