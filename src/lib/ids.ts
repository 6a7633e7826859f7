import crypto from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case
const RANDOM_CHARS = 16; // 80 bits
const POOL_SIZE = 4096;

let pool = crypto.randomBytes(POOL_SIZE);
let poolOffset = 0;
let lastMs = 0;
const lastRandom = new Uint8Array(RANDOM_CHARS); // base32 digits, most significant first

function fillRandom(): void {
  if (poolOffset + RANDOM_CHARS > POOL_SIZE) {
    pool = crypto.randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  for (let i = 0; i < RANDOM_CHARS; i++) lastRandom[i] = pool[poolOffset + i] & 31;
  poolOffset += RANDOM_CHARS;
}

function incrementRandom(): void {
  for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
    if (lastRandom[i] < 31) {
      lastRandom[i]++;
      return;
    }
    lastRandom[i] = 0;
  }
}

/**
 * A prefixed, time-ordered id (`chg_01j9…`): 48 bits of milliseconds then 80 random bits, like a
 * ULID, so ids sort by creation time (lists page by id). Within one millisecond in one process
 * the random part is incremented, so ids from one process are strictly increasing. `at` mints the
 * id at another moment (an order made and settled in one transaction takes the database's time).
 */
export function newId(prefix: string, at?: Date): string {
  const now = at?.getTime() ?? Date.now();
  if (now === lastMs) incrementRandom();
  else {
    fillRandom();
    lastMs = now;
  }
  const time = encodeTime(now);
  let random = '';
  for (let i = 0; i < RANDOM_CHARS; i++) random += ALPHABET[lastRandom[i]];
  return `${prefix}_${time}${random}`;
}

export const ID_PATTERN = (prefix: string): RegExp => new RegExp(`^${prefix}_[0-9a-z]{26}$`);

function encodeTime(ms: number): string {
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  return time;
}

/** The creation time encoded in an id made by newId(). */
export function idTime(id: string): Date {
  const time = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let ms = 0;
  for (const c of time) ms = ms * 32 + ALPHABET.indexOf(c);
  return new Date(ms);
}

/** The smallest id with this prefix that newId() can make at time `t` (for date filters on ids). */
export const idLowerBound = (prefix: string, t: Date): string =>
  `${prefix}_${encodeTime(Math.max(0, t.getTime()))}${'0'.repeat(RANDOM_CHARS)}`;
