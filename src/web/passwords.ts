/**
 * Passwords and tokens: scrypt hashes (node:crypto, salted, the parameters kept with the hash so
 * that they can be raised later), random tokens and their SHA-256 (the store never holds a token).
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (
  password: crypto.BinaryLike,
  salt: crypto.BinaryLike,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

/** scrypt's cost: N = 2^15, r = 8, p = 1 (about 32 MB and 100 ms a hash). */
const N = 32768;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
const MAX_MEMORY = 64 * 1024 * 1024;

/** The shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 12;

/** `scrypt$N$r$p$salt$hash` (salt and hash base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N, r: R, p: P, maxmem: MAX_MEMORY });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` is the one hashed; a malformed hash matches nothing. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || expected.length === 0) return false;
  const key = await scrypt(password.normalize('NFC'), salt, expected.length, { N: n, r, p, maxmem: MAX_MEMORY });
  return crypto.timingSafeEqual(key, expected);
}

/** A random token for a cookie or a link: 32 bytes, base64url. */
export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** What the store keeps of a token. */
export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** A hash of a password nobody has, checked when an address is unknown, so that both take as long. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(newToken());
  return decoy;
}
