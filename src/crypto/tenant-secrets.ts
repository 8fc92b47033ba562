import { fromBase64Url } from "../kernel/bytes";
import type { Config, DataKek } from "../kernel/config";
import { AppError } from "../kernel/errors";
import type { DataKey } from "./data-keys";
import { type FieldPlace, openField, sealField } from "./sealed-fields";

/**
 * Secrets a tenant's integrations hold (webhook signing secrets), sealed like confidential fields but under a
 * tenant-level key: AES-256-GCM derived (HKDF-SHA-256) from DATA_KEK for that tenant, so one tenant's key opens
 * nothing of another's and Postgres never holds the key. A secret names the KEK it was sealed under; one sealed
 * under DATA_KEK_PREVIOUS still opens during a rotation (rotating the secret seals it under the current KEK).
 */
const INFO_PREFIX = "leave-ledger tenant secrets v1 ";
const tenantKeys = new WeakMap<DataKek, Map<string, Promise<CryptoKey>>>();

function tenantKey(kek: DataKek, tenantId: string): Promise<CryptoKey> {
  let byTenant = tenantKeys.get(kek);
  if (!byTenant) {
    byTenant = new Map();
    tenantKeys.set(kek, byTenant);
  }
  let key = byTenant.get(tenantId);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", fromBase64Url(kek.k)!, "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: new TextEncoder().encode(INFO_PREFIX + tenantId) },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    byTenant.set(tenantId, key);
  }
  return key;
}

const keyOf = async (kek: DataKek, tenantId: string): Promise<DataKey> => ({
  id: `tenant:${kek.kid}`,
  key: await tenantKey(kek, tenantId),
});

export async function sealTenantSecret(
  config: Pick<Config, "DATA_KEK">,
  place: FieldPlace,
  secret: string,
): Promise<{ sealed: string; kekId: string }> {
  return { sealed: await sealField(await keyOf(config.DATA_KEK, place.tenantId), place, secret), kekId: config.DATA_KEK.kid };
}

export async function openTenantSecret(
  config: Pick<Config, "DATA_KEK" | "DATA_KEK_PREVIOUS">,
  place: FieldPlace,
  sealed: string,
  kekId: string,
): Promise<string> {
  const kek = kekId === config.DATA_KEK.kid ? config.DATA_KEK : kekId === config.DATA_KEK_PREVIOUS?.kid ? config.DATA_KEK_PREVIOUS : null;
  if (!kek) throw new AppError("ENCRYPTION_KEY_UNAVAILABLE", "A key needed for confidential data is not configured", { kek_id: kekId });
  return openField(await keyOf(kek, place.tenantId), place, sealed);
}
