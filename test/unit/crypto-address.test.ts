import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base58Decode,
  depositAddressProblem,
  eip55Checksum,
  evmAddressProblem,
  tronAddressProblem,
} from '../../src/providers/crypto-address.js';
import { sandboxAddress } from '../../src/sandbox/index.js';

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest();

/** base58check, written out here independently of the code under test. */
function base58check(version: number, body: Buffer, checksum?: Buffer): string {
  const payload = Buffer.concat([Buffer.from([version]), body]);
  const bytes = Buffer.concat([payload, checksum ?? sha256(sha256(payload)).subarray(0, 4)]);
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  return out;
}

/** Changes one character to another of the same alphabet. */
const mutate = (s: string, i: number) => s.slice(0, i) + (s[i] === 'z' ? 'y' : 'z') + s.slice(i + 1);

describe('TRON (TRC20) addresses', () => {
  it.each([
    'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', // the USDT TRC20 contract
    base58check(0x41, Buffer.alloc(20, 0)),
    base58check(0x41, Buffer.alloc(20, 0xff)),
    sandboxAddress('sbxpay_1', 'TRC20'),
  ])('accepts %s', (address) => {
    expect(address).toHaveLength(34);
    expect(tronAddressProblem(address)).toBeNull();
    expect(depositAddressProblem('TRC20', address)).toBeNull();
  });

  it('accepts any well-formed address (random bodies)', () => {
    for (let i = 0; i < 200; i++) expect(tronAddressProblem(base58check(0x41, crypto.randomBytes(20)))).toBeNull();
  });

  it('refuses a checksum error in any position', () => {
    const good = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
    for (let i = 1; i < good.length; i++) {
      const bad = mutate(good, i);
      expect(tronAddressProblem(bad), bad).not.toBeNull();
    }
    expect(tronAddressProblem(mutate(good, 20))).toBe('the TRON address checksum does not match');
  });

  it('refuses a wrong checksum on a well-formed body', () => {
    const body = crypto.randomBytes(20);
    const bad = base58check(0x41, body, Buffer.from([0, 0, 0, 0]));
    expect(tronAddressProblem(bad)).toBe('the TRON address checksum does not match');
  });

  it('refuses another version byte even with a right checksum', () => {
    let address = '';
    while (!(address.length === 34 && address.startsWith('T'))) address = base58check(0x42, crypto.randomBytes(20));
    expect(tronAddressProblem(address)).toBe('a TRON address has version byte 0x41');
  });

  it.each([
    ['too short', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6'],
    ['too long', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6tt'],
    ['not starting with T', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'],
    ['a 0 (not base58)', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj60'],
    ['an O (not base58)', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLjOt'],
    ['an l (not base58)', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLjlt'],
    ['empty', ''],
    ['an EVM address', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'],
  ])('refuses %s', (_what, address) => {
    expect(tronAddressProblem(address)).not.toBeNull();
    expect(depositAddressProblem('TRC20', address)).not.toBeNull();
  });

  it('base58 decoding keeps leading zero bytes and refuses foreign characters', () => {
    expect(base58Decode('11')?.toString('hex')).toBe('0000');
    expect(base58Decode('1z')?.toString('hex')).toBe('0039');
    expect(base58Decode('0')).toBeNull();
  });
});

describe('EVM (ERC20, BEP20) addresses and EIP-55', () => {
  // the test vectors of EIP-55 itself
  const ALL_CAPS = ['0x52908400098527886E0F7030069857D2E4169EE7', '0x8617E340B3D01FA5F11F306F4090FD50E238070D'];
  const ALL_LOWER = ['0xde709f2102306220921060314715629080e2fb77', '0x27b1fdb04752bbc536007a920d24acb045561c26'];
  const NORMAL = [
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ];

  it.each([...ALL_CAPS, ...ALL_LOWER, ...NORMAL])('computes the EIP-55 spelling of %s', (address) => {
    expect(eip55Checksum(address.toLowerCase())).toBe(address);
    expect(eip55Checksum(address.toUpperCase().replace('0X', '0x'))).toBe(address);
  });

  it.each([...ALL_CAPS, ...ALL_LOWER, ...NORMAL, sandboxAddress('sbxpay_1', 'ERC20')])(
    'accepts %s on ERC20 and BEP20',
    (address) => {
      expect(evmAddressProblem(address)).toBeNull();
      expect(depositAddressProblem('ERC20', address)).toBeNull();
      expect(depositAddressProblem('BEP20', address)).toBeNull();
    },
  );

  it('accepts the all-lower and all-upper spellings of a checksummed address (no checksum carried)', () => {
    for (const a of NORMAL) {
      expect(evmAddressProblem(a.toLowerCase())).toBeNull();
      expect(evmAddressProblem(`0x${a.slice(2).toUpperCase()}`)).toBeNull();
    }
  });

  it('refuses mixed case that does not match the checksum (each letter flipped in turn)', () => {
    for (const a of NORMAL) {
      for (let i = 2; i < a.length; i++) {
        if (!/[a-fA-F]/.test(a[i])) continue;
        const flipped =
          a.slice(0, i) + (a[i] === a[i].toLowerCase() ? a[i].toUpperCase() : a[i].toLowerCase()) + a.slice(i + 1);
        const hex = flipped.slice(2);
        if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) continue;
        expect(evmAddressProblem(flipped), flipped).toBe('the EIP-55 checksum (mixed case) does not match');
      }
    }
  });

  it.each([
    ['39 hex digits', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe'],
    ['41 hex digits', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed0'],
    ['no 0x', '5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00'],
    ['0X prefix', '0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'],
    ['a non-hex digit', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg'],
    ['a TRON address', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'],
    ['surrounding spaces', ' 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'],
  ])('refuses %s', (_what, address) => {
    expect(evmAddressProblem(address)).toBe('an EVM address is 0x followed by 40 hex digits');
    expect(depositAddressProblem('BEP20', address)).not.toBeNull();
  });
});

describe('deposit addresses by network', () => {
  it('refuses a network Coffer cannot check, and anything not a string', () => {
    expect(depositAddressProblem('SOL', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t')).toBe(
      'Coffer cannot check addresses on network SOL',
    );
    expect(depositAddressProblem('TRC20', null)).toBe('no address was given');
    expect(depositAddressProblem('ERC20', 42)).toBe('no address was given');
    expect(depositAddressProblem('ERC20', '')).toBe('no address was given');
  });
});

describe("sandbox deposit addresses pass the same checks as a real provider's", () => {
  it('TRC20 gives a TRON address, EVM networks an EIP-55 address; stable per payment and network', () => {
    for (let i = 0; i < 50; i++) {
      const id = `sbxpay_${i}`;
      expect(tronAddressProblem(sandboxAddress(id, 'TRC20'))).toBeNull();
      for (const net of ['ERC20', 'BEP20']) {
        const a = sandboxAddress(id, net);
        expect(evmAddressProblem(a)).toBeNull();
        expect(a).not.toBe(a.toLowerCase()); // checksummed, not all one case (for any realistic address)
      }
      expect(sandboxAddress(id, 'TRC20')).toBe(sandboxAddress(id, 'TRC20'));
    }
  });
});
