import crypto from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

let lastMs = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

/**
 * A prefixed, time-ordered id (`chg_01j9…`): 48 bits of milliseconds then 80 random bits, like a
 * ULID, so ids sort by creation time (lists page by id). Within one millisecond in one process
 * the random part increases, so ids from one process are strictly increasing.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  let random: Uint8Array;
  if (now === lastMs) {
    random = increment(lastRandom);
  } else {
    random = crypto.randomBytes(10);
    lastMs = now;
  }
  lastRandom = random;
  let out = '';
  let ms = now;
  const timeChars: string[] = [];
  for (let i = 0; i < 10; i++) {
    timeChars.push(ALPHABET[ms % 32]);
    ms = Math.floor(ms / 32);
  }
  out = timeChars.reverse().join('');
  let bits = 0n;
  for (const b of random) bits = (bits << 8n) | BigInt(b);
  const randChars: string[] = [];
  for (let i = 0; i < 16; i++) {
    randChars.push(ALPHABET[Number(bits & 31n)]);
    bits >>= 5n;
  }
  return `${prefix}_${out}${randChars.reverse().join('')}`;
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] < 255) {
      next[i]++;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

export const ID_PATTERN = (prefix: string): RegExp => new RegExp(`^${prefix}_[0-9a-z]{26}$`);
