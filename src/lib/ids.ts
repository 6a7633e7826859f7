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
 * the random part is incremented, so ids from one process are strictly increasing.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === lastMs) incrementRandom();
  else {
    fillRandom();
    lastMs = now;
  }
  let time = '';
  let ms = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  let random = '';
  for (let i = 0; i < RANDOM_CHARS; i++) random += ALPHABET[lastRandom[i]];
  return `${prefix}_${time}${random}`;
}

export const ID_PATTERN = (prefix: string): RegExp => new RegExp(`^${prefix}_[0-9a-z]{26}$`);
