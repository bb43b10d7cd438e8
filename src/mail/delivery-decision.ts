/**
 * What one attempt to send a delivery's message came to, and what follows for the delivery: mark
 * it sent, try it again later, fail it, or leave it untried; and whether sending stops. Pure: no
 * store, no clock.
 */
import type { SendFailure } from './classify.ts';

/** The longest wait between two attempts of one delivery. */
const MAX_RETRY_DELAY_MS = 6 * 60 * 60 * 1000;

/** What one attempt to send a delivery's message came to. */
export type SendOutcome =
  /** The server took the message (or the `.eml` file was written). */
  | { kind: 'accepted'; response: string }
  /** The server refused this message for good (a 5xx to RCPT or DATA), or its address cannot be used. */
  | { kind: 'rejected'; reason: string; response: string | null }
  /** The server deferred this message (a 4xx), or the message could not be composed this time; the others go on. */
  | { kind: 'deferred'; reason: string; response: string | null }
  /** The server went away with this message under way (a 421, a reset, a socket timeout): no other message now. */
  | { kind: 'server-unavailable'; reason: string; response: string | null }
  /**
   * The session or the settings failed before the message was handed over (no connection, the
   * greeting, TLS, the login, the sender): not an attempt of this delivery, and no other message now.
   */
  | { kind: 'session-failed'; reason: string; response: string | null }
  /** The message could not be prepared here (its archive or its statement could not be read): nothing was sent. */
  | { kind: 'not-prepared'; reason: string };

/** The mail settings a decision reads. */
export interface DeliveryPolicy {
  /** Attempts of one delivery before it fails. */
  maxAttempts: number;
  /** The wait after the first attempt; it doubles with each further attempt (see retryDelayMs). */
  retryBaseSeconds: number;
}

/** What follows for a delivery after one attempt. */
export type DeliveryDecision = (
  | { action: 'mark-sent'; response: string }
  /** Back to pending with its attempts unchanged (the attempt was not this delivery's). */
  | { action: 'leave-untried'; reason: string; response: string | null }
  | { action: 'fail'; reason: string; response: string | null }
  | {
      action: 'retry';
      reason: string;
      response: string | null;
      /** The wait before the next attempt, from the end of this one. */
      retryInMs: number;
      /** The server deferred the message (it reached the server): counted in the step's deferred messages. */
      countsAsDeferred: boolean;
    }
) & {
  /** Why sending stops after this delivery (the server as a whole is unusable), or null. */
  stopSending: string | null;
};

/** The delay before the next attempt after `attempts` attempts: base x 2^(attempts-1), at most six hours. */
export function retryDelayMs(baseSeconds: number, attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, baseSeconds * 1000 * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

/** A classified send failure (see classifySendError) as the outcome of its attempt. */
export function failedSend(failure: SendFailure): SendOutcome {
  const { reason, response } = failure;
  if (failure.session) return { kind: 'session-failed', reason, response };
  if (failure.permanent) return { kind: 'rejected', reason, response };
  if (failure.serverDown) return { kind: 'server-unavailable', reason, response };
  return { kind: 'deferred', reason, response };
}

/**
 * What follows for a delivery whose attempt number `attempts` (this one included) came to
 * `outcome`: a refused message fails now; a deferred one, or one not prepared, is tried again
 * with a growing wait until the last attempt, which fails it; a failed session leaves it untried.
 */
export function decideDelivery(outcome: SendOutcome, attempts: number, policy: DeliveryPolicy): DeliveryDecision {
  switch (outcome.kind) {
    case 'accepted':
      return { action: 'mark-sent', response: outcome.response, stopSending: null };
    case 'session-failed':
      return {
        action: 'leave-untried',
        reason: outcome.reason,
        response: outcome.response,
        stopSending: outcome.reason,
      };
    case 'rejected':
      return { action: 'fail', reason: outcome.reason, response: outcome.response, stopSending: null };
    case 'deferred':
    case 'server-unavailable':
    case 'not-prepared': {
      const response = outcome.kind === 'not-prepared' ? null : outcome.response;
      const stopSending = outcome.kind === 'server-unavailable' ? outcome.reason : null;
      if (attempts >= policy.maxAttempts)
        return {
          action: 'fail',
          reason: `gave up after ${attempts} attempts: ${outcome.reason}`,
          response,
          stopSending,
        };
      return {
        action: 'retry',
        reason: outcome.reason,
        response,
        retryInMs: retryDelayMs(policy.retryBaseSeconds, attempts),
        // A message that was not prepared never reached the server.
        countsAsDeferred: outcome.kind !== 'not-prepared',
        stopSending,
      };
    }
  }
}
