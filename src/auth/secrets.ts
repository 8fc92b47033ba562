/**
 * Password and PIN hashes: PBKDF2-HMAC-SHA256 from WebCrypto, salted, stored as
 * `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url). PINs are first keyed with a secret pepper (HMAC),
 * because a 4–8 digit PIN falls to offline guessing whatever the hash cost: without the pepper a stolen
 * table is worthless.
 *
 * Cloudflare's runtime refuses PBKDF2 above 100 000 iterations (local workerd does not), so that is both our
 * cost and a hard ceiling: a hash that asks for more is treated as invalid rather than failing in production.
 */
import { constantTimeEqual, fromBase64Url, toBase64Url, toHex } from "../kernel/bytes";

export const PBKDF2_ITERATIONS = 100_000;
export const PBKDF2_MAX_ITERATIONS_ON_CLOUDFLARE = 100_000;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const SCHEME = "pbkdf2-sha256";
const encoder = new TextEncoder();
const encode = (text: string): Uint8Array<ArrayBuffer> => encoder.encode(text) as Uint8Array<ArrayBuffer>;

async function derive(
  secret: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BYTES * 8);
  return new Uint8Array(bits);
}

async function peppered(pin: string, pepper: string): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(pin)));
}

async function hash(secret: Uint8Array<ArrayBuffer>, salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))): Promise<string> {
  return `${SCHEME}$${PBKDF2_ITERATIONS}$${toBase64Url(salt)}$${toBase64Url(await derive(secret, salt, PBKDF2_ITERATIONS))}`;
}

async function verify(secret: Uint8Array<ArrayBuffer>, encoded: string | null): Promise<boolean> {
  // Unknown users and missing hashes are checked against a dummy, so every path costs one full derivation.
  const [scheme, iterationsText, saltText, hashText] = (encoded ?? DUMMY_HASH).split("$");
  const iterations = Number(iterationsText);
  const salt = fromBase64Url(saltText ?? "");
  const expected = fromBase64Url(hashText ?? "");
  const wellFormed =
    scheme === SCHEME &&
    Number.isInteger(iterations) &&
    iterations > 0 &&
    iterations <= PBKDF2_MAX_ITERATIONS_ON_CLOUDFLARE &&
    salt &&
    expected;
  const actual = await derive(secret, salt && wellFormed ? salt : DUMMY_SALT, wellFormed ? iterations : PBKDF2_ITERATIONS);
  return Boolean(wellFormed && encoded !== null && constantTimeEqual(actual, expected!));
}

const DUMMY_SALT: Uint8Array<ArrayBuffer> = new Uint8Array(SALT_BYTES);
const DUMMY_HASH = `${SCHEME}$${PBKDF2_ITERATIONS}$${toBase64Url(DUMMY_SALT)}$${toBase64Url(new Uint8Array(HASH_BYTES))}`;

export const hashPassword = (password: string) => hash(encode(password));
export const verifyPassword = (password: string, encoded: string | null) => verify(encode(password), encoded);
export const hashPin = async (pin: string, pepper: string) => hash(await peppered(pin, pepper));
export const verifyPin = async (pin: string, pepper: string, encoded: string | null) => verify(await peppered(pin, pepper), encoded);

/** SHA-256 of a bearer secret (refresh token, API key): high-entropy secrets need no slow hash. */
export async function sha256Hex(value: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value))));
}

/** A random bearer secret with a readable prefix, e.g. `llr_…` for refresh tokens. */
export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}${toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}
