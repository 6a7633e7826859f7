import { describe, expect, it } from 'vitest';
import { ID_PATTERN, newId } from '../../src/lib/ids.js';
import { canonicalJson, toJson } from '../../src/lib/json.js';
import { requestHash } from '../../src/idempotency/index.js';

describe('ids', () => {
  it('are prefixed, well-formed and strictly increasing within a process', () => {
    const ids = Array.from({ length: 5000 }, () => newId('chg'));
    for (const id of ids) expect(id).toMatch(ID_PATTERN('chg'));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('json', () => {
  it('serialises bigint minor units as JSON numbers', () => {
    expect(toJson({ amount: 1050n, nested: [1n, 'x'] })).toBe('{"amount":1050,"nested":[1,"x"]}');
  });

  it('canonical form ignores key order, so equal requests hash equally', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"x":2,"y":1}]},"b":1}',
    );
    expect(requestHash('POST', '/v1/charges', { a: 1, b: 2 })).toBe(requestHash('POST', '/v1/charges', { b: 2, a: 1 }));
    expect(requestHash('POST', '/v1/charges', { a: 1 })).not.toBe(requestHash('POST', '/v1/holds', { a: 1 }));
    expect(requestHash('POST', '/v1/charges', { a: 1 })).not.toBe(requestHash('POST', '/v1/charges', { a: 2 }));
  });
});
