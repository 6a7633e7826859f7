import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reversalAmount } from '../../src/topups/reversals.js';
import { decide } from '../../src/topups/states.js';

const order = (credited: bigint, received: bigint) => ({
  credited_amount: credited,
  received_amount: received,
  pay_amount: received,
});

describe('reversalAmount: the share of a credit that money going back stands for', () => {
  it('a full refund takes back exactly the credit; parts round up; never more than the cap', () => {
    // paid CNY 105.06 (fee included) for USD 13.88 credited
    expect(reversalAmount(order(1388n, 10506n), 10506n, 1388n)).toBe(1388n);
    expect(reversalAmount(order(1388n, 10506n), 5253n, 1388n)).toBe(694n);
    expect(reversalAmount(order(1388n, 10506n), 1n, 1388n)).toBe(1n);
    expect(reversalAmount(order(1388n, 10506n), 10506n, 500n)).toBe(500n);
    expect(reversalAmount(order(1000n, 1000n), 0n, 1000n)).toBe(0n);
  });

  it('is the exact proportion rounded up, for any amounts', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (credited, received, part) => {
          const pay = part > received ? received : part;
          const got = reversalAmount(order(credited, received), pay, credited);
          // got − 1 < pay × credited / received ≤ got
          expect(got * received >= pay * credited).toBe(true);
          expect((got - 1n) * received < pay * credited).toBe(true);
          expect(got <= credited).toBe(true);
        },
      ),
    );
  });
});

describe('decide: provider expiry and reversal news', () => {
  const facts = { payMinor: 1000n, payCurrency: 'USD', network: null };
  it('expired moves only a pending order', () => {
    expect(decide({ ...facts, status: 'pending' }, { kind: 'expired' }).to).toBe('expired');
    for (const status of ['processing', 'succeeded', 'failed', 'cancelled', 'expired'] as const) {
      expect(decide({ ...facts, status }, { kind: 'expired' }).to).toBeNull();
    }
  });
  it('refunds and disputes never change the status', () => {
    for (const news of [
      { kind: 'refunded' as const, totalRefundedMinor: 100n, currency: 'USD' },
      { kind: 'dispute_opened' as const, disputeId: 'du_1', amountMinor: 100n, currency: 'USD', reason: 'fraudulent' },
      { kind: 'dispute_closed' as const, disputeId: 'du_1', won: true },
    ]) {
      expect(decide({ ...facts, status: 'succeeded' }, news)).toMatchObject({ to: null, creditPaidMinor: null });
    }
  });
});
