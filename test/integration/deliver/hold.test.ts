/**
 * A statement held for review (src/store/holds.ts): its deliveries are never claimed, even one a
 * send step read as due just before the hold; released, they are sent once. The hold and the
 * claim are serialized by the store: whichever commits first wins.
 */
import { describe, expect, it } from 'vitest';
import { claimDelivery, dueDeliveries } from '../../../src/store/outbox.ts';
import { holdStatement, openHolds, releaseHold } from '../../../src/store/holds.ts';
import { SEND_AT, closedWorld, countsByRecipient, deliveries, send } from './support.ts';

describe('a statement held for review', () => {
  it('is not sent by a send step; released, each of its mails goes once', async () => {
    const { server, w } = await closedWorld();
    const held = deliveries(w.db).find((d) => d.tenant_name === 'TNT00003')!;
    holdStatement(w.db, held.statement_pk, {
      kind: 'operator',
      at: SEND_AT.toISOString(),
      by: 'op@host',
      reason: 'check',
    });
    const first = await send(w);
    const heldTo = deliveries(w.db).filter((d) => d.statement_pk === held.statement_pk);
    expect(first.sent.map((s) => s.recipient).sort()).toEqual(
      deliveries(w.db)
        .filter((d) => d.statement_pk !== held.statement_pk)
        .map((d) => d.recipient)
        .sort(),
    );
    expect(heldTo.every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true);
    // Held mails are not "waiting for the server": they wait for an operator.
    expect(first.retrying).toEqual([]);

    expect(releaseHold(w.db, held.statement_pk, { at: SEND_AT.toISOString(), by: 'op@host', reason: 'ok' })).toBe(true);
    expect(releaseHold(w.db, held.statement_pk, { at: SEND_AT.toISOString(), by: 'op@host', reason: 'ok' })).toBe(
      false,
    );
    const second = await send(w);
    expect(second.sent.map((s) => s.recipient).sort()).toEqual(heldTo.map((d) => d.recipient).sort());
    expect(Object.values(countsByRecipient(server)).every((n) => n === 1)).toBe(true);
    expect(openHolds(w.db)).toEqual([]);
  });

  it('a delivery read as due before the hold is not claimed after it', async () => {
    const { w } = await closedWorld();
    const [due] = dueDeliveries(w.db, SEND_AT.toISOString(), null, 1);
    holdStatement(w.db, due!.statementPk, { kind: 'review', at: SEND_AT.toISOString(), by: 'REVIEW_HOLD', reason: '' });
    expect(claimDelivery(w.db, due!.deliveryPk, SEND_AT.toISOString())).toBe(false);
    expect(dueDeliveries(w.db, SEND_AT.toISOString(), null, 100).some((d) => d.statementPk === due!.statementPk)).toBe(
      false,
    );
    releaseHold(w.db, due!.statementPk, { at: SEND_AT.toISOString(), by: 'op@host', reason: '' });
    expect(claimDelivery(w.db, due!.deliveryPk, SEND_AT.toISOString())).toBe(true);
  });
});
