import crypto from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3';

/**
 * Deposit-address checks, run on every address a provider hands us before a customer sees it
 * (docs/design.md §1.8): a mistyped or corrupted address loses the customer's funds, so an address that
 * fails its network's own checksum is refused, never shown.
 *
 * - TRON (TRC20): base58check, 25 bytes = version 0x41 + 20-byte account + 4-byte checksum, the
 *   checksum being the first four bytes of SHA-256(SHA-256(version + account)). Always `T…`, 34 chars.
 * - EVM (ERC20, BEP20): `0x` + 40 hex digits. All-lower or all-upper case carries no checksum and
 *   is accepted; mixed case is an EIP-55 checksum and must match keccak-256 of the lower-case hex.
 */

export type AddressFormat = 'tron' | 'evm';

/** Which address format each network Coffer offers uses; a network not listed has no checker. */
export const NETWORK_ADDRESS_FORMAT: Readonly<Record<string, AddressFormat>> = {
  TRC20: 'tron',
  ERC20: 'evm',
  BEP20: 'evm',
};

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const TRON_VERSION = 0x41;
const TRON_LENGTH = 34;

const sha256 = (b: Uint8Array): Buffer => crypto.createHash('sha256').update(b).digest();

/** base58 (Bitcoin alphabet) to bytes; null on a character outside the alphabet. */
export function base58Decode(text: string): Buffer | null {
  let n = 0n;
  for (const ch of text) {
    const v = BASE58.indexOf(ch);
    if (v < 0) return null;
    n = n * 58n + BigInt(v);
  }
  let hex = n === 0n ? '' : n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  return Buffer.concat([Buffer.alloc(zeros), Buffer.from(hex, 'hex')]);
}

/** bytes to base58 (Bitcoin alphabet), leading zero bytes as '1'. */
export function base58Encode(bytes: Uint8Array): string {
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** The TRON address (base58check, version 0x41) of a 20-byte account. */
export function tronAddressOf(account: Uint8Array): string {
  const payload = Buffer.concat([Buffer.from([TRON_VERSION]), account]);
  return base58Encode(Buffer.concat([payload, sha256(sha256(payload)).subarray(0, 4)]));
}

/** Why `address` is not a TRON address, or null when it is one. */
export function tronAddressProblem(address: string): string | null {
  if (address.length !== TRON_LENGTH || !address.startsWith('T'))
    return `a TRON address is 34 characters starting with T`;
  const bytes = base58Decode(address);
  if (!bytes) return 'a TRON address uses base58 characters only';
  if (bytes.length !== 25) return 'a TRON address decodes to 25 bytes';
  if (bytes[0] !== TRON_VERSION) return 'a TRON address has version byte 0x41';
  const check = sha256(sha256(bytes.subarray(0, 21))).subarray(0, 4);
  if (!check.equals(bytes.subarray(21))) return 'the TRON address checksum does not match';
  return null;
}

/** The EIP-55 mixed-case spelling of an EVM address (given in any case). */
export function eip55Checksum(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = Buffer.from(keccak_256(new TextEncoder().encode(lower))).toString('hex');
  let out = '0x';
  for (let i = 0; i < lower.length; i++) out += parseInt(hash[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

/** Why `address` is not an EVM address, or null when it is one. */
export function evmAddressProblem(address: string): string | null {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return 'an EVM address is 0x followed by 40 hex digits';
  const hex = address.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return null;
  return address === eip55Checksum(address) ? null : 'the EIP-55 checksum (mixed case) does not match';
}

/** Why `address` cannot be shown as a deposit address on `network`, or null when it can. */
export function depositAddressProblem(network: string, address: unknown): string | null {
  if (typeof address !== 'string' || address.length === 0) return 'no address was given';
  const format = NETWORK_ADDRESS_FORMAT[network];
  if (!format) return `Coffer cannot check addresses on network ${network}`;
  return format === 'tron' ? tronAddressProblem(address) : evmAddressProblem(address);
}
