import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newBankReference, normaliseBankReference } from '../../src/providers/index.js';

describe('bank transfer references', () => {
  it('look like CF-XXXX-XXXX-C and are accepted back, however the customer types them', () => {
    for (let i = 0; i < 200; i++) {
      const ref = newBankReference();
      expect(ref).toMatch(/^CF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z*~$=U]$/);
      expect(normaliseBankReference(ref)).toBe(ref);
      expect(normaliseBankReference(ref.toLowerCase().replace(/-/g, ' '))).toBe(ref);
    }
  });

  it('catch every single mistyped character and every swap of two different neighbours', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 31 }), (pos, delta) => {
        const ref = newBankReference();
        const digits = ref.replace(/-/g, '').slice(2, 10);
        const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
        const wrong = alphabet[(alphabet.indexOf(digits[pos]) + delta) % 32];
        const typed = `CF${digits.slice(0, pos)}${wrong}${digits.slice(pos + 1)}${ref.at(-1)}`;
        expect(normaliseBankReference(typed)).toBeNull();
        if (pos < 7 && digits[pos] !== digits[pos + 1]) {
          const swapped = `CF${digits.slice(0, pos)}${digits[pos + 1]}${digits[pos]}${digits.slice(pos + 2)}${ref.at(-1)}`;
          expect(normaliseBankReference(swapped)).toBeNull();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what is not a reference', () => {
    for (const s of ['', 'CF', 'CF-0000-0000', 'XX-0000-0000-0', 'CF-0000-0000-00'])
      expect(normaliseBankReference(s)).toBeNull();
  });
});
