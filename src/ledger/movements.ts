import type { Db } from '../db/pool.js';
import { CofferError } from '../errors.js';
import { ledgerReference, runIdempotent, type IdempotencyContext, type Outcome } from '../idempotency/index.js';
import { newId } from '../lib/ids.js';
import { isoTime } from '../lib/json.js';
import { available, balanceView, lockBalance, lockBalances, systemAccount } from './accounts.js';
import { postTransfer } from './post.js';
import { presentBalanceAfter } from './presenters.js';
import { assertCanSpend, assertCurrency, insufficientFunds } from './rules.js';

export interface GrantInput {
  customer: string;
  balance: string;
  amountMinor: bigint;
  currency: string;
  reason: string;
}

/** Promotional or goodwill credit: not backed by a payment, never refundable. */
export function createGrant(db: Db, idem: IdempotencyContext, input: GrantInput): Promise<Outcome> {
  return runIdempotent(db, idem, async (tx) => {
    const acc = await lockBalance(tx, input.customer, input.balance);
    assertCurrency(acc, input.currency);
    const grantId = newId('grt');
    const transferId = await postTransfer(tx, {
      customerId: acc.customerId,
      kind: 'grant',
      debit: await systemAccount(tx, 'grants', acc.currency),
      credit: acc,
      amountMinor: input.amountMinor,
      currency: acc.currency,
      reference: ledgerReference(idem),
      displayReference: idem.key,
      objectId: grantId,
      description: input.reason,
    });
    return {
      status: 201,
      body: {
        id: grantId,
        object: 'grant',
        customer: acc.customerId,
        balance: acc.code,
        amount: input.amountMinor,
        currency: acc.currency,
        reason: input.reason,
        transfer_id: transferId,
        balance_after: presentBalanceAfter(balanceView(acc)),
        created_at: isoTime(new Date()),
      },
    };
  });
}

export interface WalletTransferInput {
  customer: string;
  from: string;
  to: string;
  amountMinor: bigint;
  currency: string;
}

/** Moves wallet balance into a product balance ("balance recharge"). */
export function createWalletTransfer(db: Db, idem: IdempotencyContext, input: WalletTransferInput): Promise<Outcome> {
  return runIdempotent(db, idem, async (tx) => {
    if (input.from !== 'wallet' || input.to === 'wallet') {
      throw new CofferError('invalid_request', 'Transfers move money from "wallet" into a product balance.', {
        fields: [{ field: input.from !== 'wallet' ? 'from' : 'to', problem: 'must be "wallet" → a product' }],
      });
    }
    const accounts = await lockBalances(tx, input.customer, [input.from, input.to]);
    const from = accounts.get(input.from)!;
    const to = accounts.get(input.to)!;
    assertCanSpend(from);
    assertCurrency(from, input.currency);
    if (available(from) < input.amountMinor) throw insufficientFunds(from);
    const transferId = await postTransfer(tx, {
      id: newId('trf'),
      customerId: from.customerId,
      kind: 'transfer',
      debit: from,
      credit: to,
      amountMinor: input.amountMinor,
      currency: from.currency,
      reference: ledgerReference(idem),
      displayReference: idem.key,
    });
    return {
      status: 201,
      body: {
        id: transferId,
        object: 'transfer',
        customer: from.customerId,
        from: from.code,
        to: to.code,
        amount: input.amountMinor,
        currency: from.currency,
        balances_after: {
          [from.code]: presentBalanceAfter(balanceView(from)),
          [to.code]: presentBalanceAfter(balanceView(to)),
        },
        created_at: isoTime(new Date()),
      },
    };
  });
}
