/**
 * Signing in (migration 11): the password and lockout of a person, their server-side sessions and
 * the one-time links mailed to them. Tokens are stored as SHA-256 hashes only; times are given.
 */
import { cachedStatement, type Db } from './db.ts';
import type { Role } from './users.ts';

/** A person as the sign-in checks them. */
export interface SignInUser {
  userPk: number;
  email: string;
  name: string;
  role: Role;
  tenantPk: number | null;
  tenantName: string | null;
  /** The tenant's locale, for its people's pages; null for the billing team. */
  tenantLocale: string | null;
  passwordHash: string | null;
  failedSignIns: number;
  lockedUntil: string | null;
  disabledAt: string | null;
}

const SIGN_IN_SELECT = `SELECT u.user_pk AS userPk, u.email, u.name, u.role, u.tenant_pk AS tenantPk,
    t.tenant_name AS tenantName, t.locale AS tenantLocale, u.password_hash AS passwordHash,
    u.failed_sign_ins AS failedSignIns, u.locked_until AS lockedUntil, u.disabled_at AS disabledAt
  FROM users u LEFT JOIN tenants t USING (tenant_pk)`;

/** The person with this address (whatever its letter case), if any. */
export function signInUser(db: Db, email: string): SignInUser | undefined {
  return cachedStatement(db, `${SIGN_IN_SELECT} WHERE lower(u.email) = lower(?)`).get(email) as SignInUser | undefined;
}

/** Counts a wrong password; `lockedUntil` locks the person out until then (null: not yet). */
export function recordFailedSignIn(db: Db, userPk: number, lockedUntil: string | null, now: string): void {
  cachedStatement(
    db,
    `UPDATE users SET failed_sign_ins = failed_sign_ins + 1, locked_until = COALESCE(?, locked_until), updated_at = ?
    WHERE user_pk = ?`,
  ).run(lockedUntil, now, userPk);
}

/** A successful sign-in: the count of wrong passwords starts again. */
export function clearFailedSignIns(db: Db, userPk: number, now: string): void {
  cachedStatement(
    db,
    'UPDATE users SET failed_sign_ins = 0, locked_until = NULL, updated_at = ? WHERE user_pk = ? AND failed_sign_ins > 0',
  ).run(now, userPk);
}

/** Sets a person's password (its scrypt hash). */
export function setPasswordHash(db: Db, userPk: number, hash: string, now: string): void {
  cachedStatement(
    db,
    'UPDATE users SET password_hash = ?, failed_sign_ins = 0, locked_until = NULL, updated_at = ? WHERE user_pk = ?',
  ).run(hash, now, userPk);
}

/** A new session. */
export function insertSession(
  db: Db,
  s: { sessionHash: string; userPk: number; csrfToken: string; now: string; expiresAt: string },
): void {
  cachedStatement(
    db,
    `INSERT INTO sessions (session_hash, user_pk, csrf_token, created_at, last_seen_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(s.sessionHash, s.userPk, s.csrfToken, s.now, s.now, s.expiresAt);
}

/** A live session with its person: not ended, not expired, its person not disabled. */
export interface LiveSession {
  sessionHash: string;
  csrfToken: string;
  /** When it was last touched (ISO text). */
  lastSeenAt: string;
  user: SignInUser;
}

export function liveSession(db: Db, sessionHash: string, now: string): LiveSession | undefined {
  // One read for the session and its person (every page asks it).
  const r = cachedStatement(
    db,
    `SELECT s.session_hash AS sessionHash, s.csrf_token AS csrfToken, s.last_seen_at AS lastSeenAt, u.user_pk AS userPk,
      u.email, u.name, u.role, u.tenant_pk AS tenantPk, t.tenant_name AS tenantName, t.locale AS tenantLocale,
      u.password_hash AS passwordHash, u.failed_sign_ins AS failedSignIns, u.locked_until AS lockedUntil,
      u.disabled_at AS disabledAt
    FROM sessions s JOIN users u ON u.user_pk = s.user_pk LEFT JOIN tenants t ON t.tenant_pk = u.tenant_pk
    WHERE s.session_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? AND u.disabled_at IS NULL`,
  ).get(sessionHash, now) as (SignInUser & { sessionHash: string; csrfToken: string; lastSeenAt: string }) | undefined;
  if (r === undefined) return undefined;
  const { sessionHash: hash, csrfToken, lastSeenAt, ...user } = r;
  return { sessionHash: hash, csrfToken, lastSeenAt, user };
}

/** A session used now lasts until `expiresAt`. */
export function touchSession(db: Db, sessionHash: string, now: string, expiresAt: string): void {
  cachedStatement(db, 'UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE session_hash = ?').run(
    now,
    expiresAt,
    sessionHash,
  );
}

/** Ends a session (sign-out). */
export function endSession(db: Db, sessionHash: string, now: string): void {
  cachedStatement(db, 'UPDATE sessions SET ended_at = ? WHERE session_hash = ? AND ended_at IS NULL').run(
    now,
    sessionHash,
  );
}

/** Ends every session of a person but `keep` (a new password, a disabled person). */
export function endUserSessions(db: Db, userPk: number, now: string, keep: string | null = null): number {
  return cachedStatement(
    db,
    'UPDATE sessions SET ended_at = ? WHERE user_pk = ? AND ended_at IS NULL AND session_hash IS NOT ?',
  ).run(now, userPk, keep).changes;
}

/** A new one-time link. */
export function insertSignInLink(
  db: Db,
  link: { tokenHash: string; userPk: number; purpose: 'sign-in' | 'password'; now: string; expiresAt: string },
): void {
  cachedStatement(
    db,
    `INSERT INTO sign_in_links (token_hash, user_pk, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
  ).run(link.tokenHash, link.userPk, link.purpose, link.now, link.expiresAt);
}

/**
 * Uses a one-time link (in the caller's transaction): its person and purpose when it is unused,
 * not expired and its person not disabled; it cannot be used again.
 */
export function useSignInLink(
  db: Db,
  tokenHash: string,
  now: string,
): { user: SignInUser; purpose: 'sign-in' | 'password' } | undefined {
  const link = cachedStatement(
    db,
    `SELECT l.user_pk AS userPk, l.purpose FROM sign_in_links l JOIN users u USING (user_pk)
    WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ? AND u.disabled_at IS NULL`,
  ).get(tokenHash, now) as { userPk: number; purpose: 'sign-in' | 'password' } | undefined;
  if (link === undefined) return undefined;
  cachedStatement(db, 'UPDATE sign_in_links SET used_at = ? WHERE token_hash = ?').run(now, tokenHash);
  const user = cachedStatement(db, `${SIGN_IN_SELECT} WHERE u.user_pk = ?`).get(link.userPk) as SignInUser;
  return { user, purpose: link.purpose };
}

/** Whether a one-time link may still be used (the confirmation page shows it before it is used). */
export function signInLinkUsable(db: Db, tokenHash: string, now: string): boolean {
  return (
    cachedStatement(
      db,
      `SELECT 1 FROM sign_in_links l JOIN users u USING (user_pk)
      WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ? AND u.disabled_at IS NULL`,
    ).get(tokenHash, now) !== undefined
  );
}
