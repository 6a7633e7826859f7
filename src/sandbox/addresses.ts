import crypto from 'node:crypto';
import { eip55Checksum, tronAddressOf } from '../providers/crypto-address.js';

/**
 * A deposit address for the sandbox, derived from the payment id so it is stable: a well-formed
 * TRON base58check address (`T…`) for TRC20, an EIP-55 checksummed EVM address (`0x…`) otherwise,
 * so it passes the same checks as a real provider's. Nobody holds their keys; the sandbox never
 * moves real funds.
 */
export function sandboxAddress(paymentId: string, network: string): string {
  const account = crypto.createHash('sha256').update(`${paymentId}:${network}`).digest().subarray(0, 20);
  return network === 'TRC20' ? tronAddressOf(account) : eip55Checksum(`0x${account.toString('hex')}`);
}
