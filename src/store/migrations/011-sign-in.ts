/**
 * Migration 11: signing in to the web console and the tenant portal.
 * - `users.password_hash`: the person's password (scrypt, salted; NULL until they set one: they sign
 *   in by a one-time link); `failed_sign_ins` and `locked_until`: the lockout after wrong passwords.
 * - `sessions`: one per sign-in, server-side. The browser holds a random token; the store keeps its
 *   SHA-256 only, with the session's CSRF token, when it was last used, when it expires and when it
 *   was ended (sign-out, or a disabled user).
 * - `sign_in_links`: one-time links mailed to a person (to sign in, or to set a password), their
 *   token kept as a SHA-256 only, each used at most once before it expires.
 */
export const sql = `
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;

CREATE TABLE sessions (
  session_hash TEXT PRIMARY KEY,
  user_pk INTEGER NOT NULL REFERENCES users (user_pk),
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  ended_at TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_pk);

CREATE TABLE sign_in_links (
  token_hash TEXT PRIMARY KEY,
  user_pk INTEGER NOT NULL REFERENCES users (user_pk),
  purpose TEXT NOT NULL CHECK (purpose IN ('sign-in', 'password')),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
) STRICT;
CREATE INDEX sign_in_links_user ON sign_in_links (user_pk);
`;
