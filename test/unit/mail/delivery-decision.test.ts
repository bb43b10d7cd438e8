import { describe, expect, it } from 'vitest';
import {
  decideDelivery,
  failedSend,
  retryDelayMs,
  type DeliveryDecision,
  type SendOutcome,
} from '../../../src/mail/delivery-decision.ts';

const POLICY = { maxAttempts: 3, retryBaseSeconds: 60 };
const REASON = '451 4.3.0 try later (transient)';
const RESPONSE = '451 4.3.0 try later';

/** One outcome of each kind. */
const OUTCOMES: Record<SendOutcome['kind'], SendOutcome> = {
  accepted: { kind: 'accepted', response: '250 2.0.0 queued as 1A2B' },
  rejected: { kind: 'rejected', reason: REASON, response: RESPONSE },
  deferred: { kind: 'deferred', reason: REASON, response: RESPONSE },
  'server-unavailable': { kind: 'server-unavailable', reason: REASON, response: RESPONSE },
  'session-failed': { kind: 'session-failed', reason: REASON, response: RESPONSE },
  'not-prepared': { kind: 'not-prepared', reason: 'E_ARCHIVE: the statement has no files yet' },
};

const GAVE_UP = `gave up after 3 attempts: ${REASON}`;

describe('decideDelivery', () => {
  // Every outcome after the first attempt, the one before the last, and the last (maxAttempts 3).
  const table: [SendOutcome['kind'], number, DeliveryDecision][] = [
    ['accepted', 1, { action: 'mark-sent', response: '250 2.0.0 queued as 1A2B', stopSending: null }],
    ['accepted', 2, { action: 'mark-sent', response: '250 2.0.0 queued as 1A2B', stopSending: null }],
    ['accepted', 3, { action: 'mark-sent', response: '250 2.0.0 queued as 1A2B', stopSending: null }],

    ['rejected', 1, { action: 'fail', reason: REASON, response: RESPONSE, stopSending: null }],
    ['rejected', 2, { action: 'fail', reason: REASON, response: RESPONSE, stopSending: null }],
    ['rejected', 3, { action: 'fail', reason: REASON, response: RESPONSE, stopSending: null }],

    [
      'deferred',
      1,
      {
        action: 'retry',
        reason: REASON,
        response: RESPONSE,
        retryInMs: 60_000,
        countsAsDeferred: true,
        stopSending: null,
      },
    ],
    [
      'deferred',
      2,
      {
        action: 'retry',
        reason: REASON,
        response: RESPONSE,
        retryInMs: 120_000,
        countsAsDeferred: true,
        stopSending: null,
      },
    ],
    ['deferred', 3, { action: 'fail', reason: GAVE_UP, response: RESPONSE, stopSending: null }],

    [
      'server-unavailable',
      1,
      {
        action: 'retry',
        reason: REASON,
        response: RESPONSE,
        retryInMs: 60_000,
        countsAsDeferred: true,
        stopSending: REASON,
      },
    ],
    [
      'server-unavailable',
      2,
      {
        action: 'retry',
        reason: REASON,
        response: RESPONSE,
        retryInMs: 120_000,
        countsAsDeferred: true,
        stopSending: REASON,
      },
    ],
    // The last attempt fails the delivery; the server is still down, so sending stops for the reason itself.
    ['server-unavailable', 3, { action: 'fail', reason: GAVE_UP, response: RESPONSE, stopSending: REASON }],

    ['session-failed', 1, { action: 'leave-untried', reason: REASON, response: RESPONSE, stopSending: REASON }],
    ['session-failed', 2, { action: 'leave-untried', reason: REASON, response: RESPONSE, stopSending: REASON }],
    // However many attempts came before, a failed session is not this delivery's attempt: it never fails it.
    ['session-failed', 3, { action: 'leave-untried', reason: REASON, response: RESPONSE, stopSending: REASON }],
    ['session-failed', 9, { action: 'leave-untried', reason: REASON, response: RESPONSE, stopSending: REASON }],

    [
      'not-prepared',
      1,
      {
        action: 'retry',
        reason: 'E_ARCHIVE: the statement has no files yet',
        response: null,
        retryInMs: 60_000,
        countsAsDeferred: false,
        stopSending: null,
      },
    ],
    [
      'not-prepared',
      2,
      {
        action: 'retry',
        reason: 'E_ARCHIVE: the statement has no files yet',
        response: null,
        retryInMs: 120_000,
        countsAsDeferred: false,
        stopSending: null,
      },
    ],
    [
      'not-prepared',
      3,
      {
        action: 'fail',
        reason: 'gave up after 3 attempts: E_ARCHIVE: the statement has no files yet',
        response: null,
        stopSending: null,
      },
    ],
  ];

  it.each(table)('%s at attempt %i', (kind, attempts, decision) => {
    expect(decideDelivery(OUTCOMES[kind], attempts, POLICY)).toEqual(decision);
  });

  it('covers every outcome below and at the last attempt', () => {
    for (const kind of Object.keys(OUTCOMES)) {
      expect(table.some(([k, a]) => k === kind && a < POLICY.maxAttempts)).toBe(true);
      expect(table.some(([k, a]) => k === kind && a === POLICY.maxAttempts)).toBe(true);
    }
  });

  it('fails on any attempt past the last (a lower limit set since)', () => {
    expect(decideDelivery(OUTCOMES.deferred, 5, POLICY)).toMatchObject({
      action: 'fail',
      reason: `gave up after 5 attempts: ${REASON}`,
    });
  });

  it('waits twice as long after each attempt, at most six hours', () => {
    const policy = { maxAttempts: 40, retryBaseSeconds: 300 };
    const waits = [1, 2, 3, 4, 5, 7, 8, 30].map(
      (attempts) => (decideDelivery(OUTCOMES.deferred, attempts, policy) as { retryInMs: number }).retryInMs,
    );
    expect(waits).toEqual([300_000, 600_000, 1_200_000, 2_400_000, 4_800_000, 19_200_000, 21_600_000, 21_600_000]);
    expect(retryDelayMs(300, 6)).toBe(9_600_000);
  });
});

describe('failedSend', () => {
  it.each([
    ['a refused message', { permanent: true, serverDown: false, session: false }, 'rejected'],
    ['a deferred message', { permanent: false, serverDown: false, session: false }, 'deferred'],
    [
      'a server gone with the message under way',
      { permanent: false, serverDown: true, session: false },
      'server-unavailable',
    ],
    ['a failed session', { permanent: false, serverDown: true, session: true }, 'session-failed'],
  ] as const)('reads %s', (_label, flags, kind) => {
    expect(failedSend({ ...flags, reason: REASON, response: RESPONSE })).toEqual({
      kind,
      reason: REASON,
      response: RESPONSE,
    });
  });
});
