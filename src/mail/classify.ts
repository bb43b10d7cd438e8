/** What a failed send means for its delivery: fail it now, or retry later (and whether to stop sending). */
import { UsageChargesError } from '../domain/errors.ts';

/**
 * The verdict on one failed send. It is one of four (see failedSend): refused for good (permanent);
 * deferred; the server unusable after the message was under way (serverDown); the session or the
 * settings failing before it (session and serverDown).
 */
export interface SendFailure {
  /** Retrying the same message would fail the same way: the delivery fails now. */
  permanent: boolean;
  /** the connection or server as a whole is unusable (no point trying other messages now) */
  serverDown: boolean;
  /**
   * The failure came before the message was handed over and is the session's or the settings'
   * (no connection, the greeting, TLS, the login, the sender): it does not count as an attempt of
   * this delivery, however long it lasts.
   */
  session: boolean;
  /** One line for people and the store; never holds a password. */
  reason: string;
  /** The SMTP server's reply, when there was one. */
  response: string | null;
}

/** Codes of a connection that could not be made or did not last. */
const CONNECTION_CODES = new Set([
  'ECONNECTION',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPIPE',
]);
/** Codes of a connection that was never made (or whose TLS failed): nothing of a message was sent. */
const BEFORE_SESSION_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EDNS',
  'ETLS',
]);
/**
 * Node's certificate-check failures (the TLS handshake: nothing of a message was sent yet), besides
 * any `ERR_SSL_*` and `ERR_TLS_*` code.
 */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
]);

/** A TLS handshake or certificate failure. */
function tlsFailure(code: string | undefined): boolean {
  return (
    code !== undefined &&
    (code === 'ETLS' || CERTIFICATE_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
  );
}

/** SMTP commands of the session itself, before any message. */
const SESSION_COMMANDS = new Set(['CONN', 'EHLO', 'HELO', 'LHLO']);
/** Our own errors about one message's data: that message cannot go, the server is fine. */
const MESSAGE_CODES = new Set(['E_MAIL_DATA', 'E_MAIL_MESSAGE_ID', 'E_MAIL_ATTACHMENT']);

const MAX_REASON = 500;

interface ErrorFacts {
  code: string | undefined;
  originalCode: string | undefined;
  responseCode: number | undefined;
  response: string | undefined;
  message: string;
  address: string | undefined;
  port: number | undefined;
  timeoutType: string | undefined;
  command: string;
}

function facts(err: unknown): ErrorFacts {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    code: text(e.code),
    originalCode: text(e.originalCode),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    response: text(e.response),
    message: err instanceof Error ? err.message : (text(err) ?? String(err)),
    address: text(e.address),
    port: typeof e.port === 'number' ? e.port : undefined,
    timeoutType: text(e.timeoutType),
    command: text(e.command)?.toUpperCase() ?? '',
  };
}

/**
 * Text fit for a reason: one line, bounded, and with any `user:password@` taken out (a URL or
 * connection string in an error message must not carry the SMTP password into the store or logs).
 */
export function safeText(text: string): string {
  const line = text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@<>]*@/gi, '$1')
    .replace(/(^|[\s(["'])[^\s:@/<>()[\]"']+:[^\s@/<>]*@(?=[^\s@])/g, '$1')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}

function where(f: ErrorFacts): string {
  if (f.address !== undefined) return f.port !== undefined ? `${f.address}:${f.port}` : f.address;
  const m = /\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\s+(\S+)/.exec(f.message);
  return m ? m[1]! : 'the server';
}

function connectionReason(f: ErrorFacts): string {
  const code = f.originalCode ?? f.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where(f)}`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `connection reset by ${where(f)}`;
    case 'ETIMEDOUT':
      return `timed out${f.timeoutType ? ` (${f.timeoutType.toLowerCase().replace(/_/g, ' ')})` : ''}: ${f.message}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EDNS':
      return `server name not resolved: ${f.message}`;
    default:
      if (tlsFailure(code) || tlsFailure(f.code))
        return `TLS failed: ${f.message} (check SMTP_CA_FILE and SMTP_STARTTLS)`;
      return `connection failed (${code ?? 'no code'}): ${f.message}`;
  }
}

/**
 * A connection failure before any message could be handed over: no connection (refused, no route,
 * no name), a connect, greeting or TLS-upgrade timeout, TLS failing. A reset or a socket timeout
 * may come in the middle of a message, so it counts as an attempt of that message.
 */
function beforeSession(f: ErrorFacts): boolean {
  const code = f.originalCode ?? f.code;
  if (code !== undefined && BEFORE_SESSION_CODES.has(code)) return true;
  // A TLS handshake happens before any message: a certificate the client refuses is a setting.
  if (tlsFailure(code) || tlsFailure(f.code)) return true;
  // The pool gave up on a server that closes every connection before its greeting.
  if (/maximum number of retries after connection was closed/i.test(f.message)) return true;
  if (f.code !== undefined && BEFORE_SESSION_CODES.has(f.code)) return true;
  return (
    f.timeoutType === 'CONNECT_TIMEOUT' || f.timeoutType === 'GREETING_TIMEOUT' || f.timeoutType === 'UPGRADE_TIMEOUT'
  );
}

/** A TLS-required refusal: the settings do not fit the server, every message would get it. */
function needsTls(f: ErrorFacts): boolean {
  return (
    f.responseCode === 530 || /\bSTARTTLS\b|\bTLS\b.*\brequired\b|\brequire[sd]?\b.*\bTLS\b/i.test(f.response ?? '')
  );
}

/**
 * Reads a send error (nodemailer's `code`, `command`, `responseCode` and `response`, or a file
 * error in `.eml` mode) as permanent or transient, and whether the server as a whole is unusable.
 * A 5xx reply to a message (RCPT, DATA) is permanent; 4xx is transient (421 also stops sending);
 * no reply (connection, DNS, TLS, file errors) is transient and stops sending. Refusals of the
 * operator's settings (greeting, login, TLS, the sender) are transient and stop sending too, so
 * that no statement is marked failed because of them. An E_MAIL_ADDRESS from composeMessage is
 * permanent for its delivery only.
 */
export function classifySendError(err: unknown): SendFailure {
  const f = facts(err);
  const response = f.response === undefined ? null : safeText(f.response);
  const verdict = (
    kind: 'rejected' | 'deferred' | 'server-unavailable' | 'session-failed',
    reason: string,
  ): SendFailure => ({
    permanent: kind === 'rejected',
    serverDown: kind === 'server-unavailable' || kind === 'session-failed',
    session: kind === 'session-failed',
    reason: safeText(reason),
    response,
  });

  if (err instanceof UsageChargesError) {
    if (err.code === 'E_MAIL_ADDRESS') return verdict('rejected', err.message);
    if (MESSAGE_CODES.has(err.code)) return verdict('deferred', err.message);
    return verdict('session-failed', err.message);
  }
  const reply = response ?? f.message;
  const rc = f.responseCode;
  if (rc !== undefined && rc >= 400 && rc < 600) {
    // Replies before MAIL FROM concern the session (greeting, EHLO, TLS, login): every message would get them.
    if (f.code === 'EAUTH' || f.command.startsWith('AUTH'))
      return verdict('session-failed', `login refused: ${reply} (check the user and password of SMTP_URL)`);
    if (f.code === 'ETLS' || f.command === 'STARTTLS' || (rc >= 500 && needsTls(f))) {
      return verdict(
        'session-failed',
        `${reply} (the server wants TLS or a login, or offers no STARTTLS: check SMTP_URL and SMTP_STARTTLS)`,
      );
    }
    if (SESSION_COMMANDS.has(f.command)) return verdict('session-failed', `${reply} (the server refuses the session)`);
    if (rc === 421) return verdict('server-unavailable', `${reply} (server unavailable)`);
    if (rc < 500) return verdict('deferred', `${reply} (transient)`);
    // 503 is a command out of sequence: the session, not the message, was refused.
    if (rc === 503) return verdict('deferred', `${reply} (transient)`);
    // A refused sender is MAIL_FROM's problem, the same for every message; 552 there is the message's size.
    if (f.command === 'MAIL FROM' && rc !== 552)
      return verdict('session-failed', `${reply} (the server refuses the sender: check MAIL_FROM)`);
    return verdict('rejected', `${reply} (permanent)`);
  }
  if (f.code === 'EAUTH' || f.code === 'ENOAUTH')
    return verdict('session-failed', `login failed: ${f.message} (check the user and password of SMTP_URL)`);
  if (
    (f.code !== undefined && CONNECTION_CODES.has(f.code)) ||
    (f.originalCode !== undefined && CONNECTION_CODES.has(f.originalCode))
  ) {
    return verdict(beforeSession(f) ? 'session-failed' : 'server-unavailable', connectionReason(f));
  }
  // Not an SMTP error (in .eml mode, a file that cannot be written): the environment, not the message.
  return verdict(
    'session-failed',
    f.code !== undefined && !f.message.startsWith(f.code) ? `${f.code}: ${f.message}` : f.message,
  );
}
