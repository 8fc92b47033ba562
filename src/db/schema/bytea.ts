import { customType } from "drizzle-orm/pg-core";

/** A `bytea` column (drizzle's pg-core has none): key material and salts. */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });
