import { expect } from 'vitest';

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
export const MISSING_CUSTOMER = 'cus_00000000000000000000000000';
export const MISSING_HOLD = 'hold_00000000000000000000000000';
export const MAX = Number.MAX_SAFE_INTEGER;

/** Amounts the API must refuse with 400 invalid_request: unsafe, zero, negative, fractional, wrong types. */
export const BAD_AMOUNTS: [string, unknown][] = [
  ['MAX_SAFE_INTEGER + 1', MAX + 1],
  ['0', 0],
  ['-1', -1],
  ['1.5', 1.5],
  ['"100"', '100'],
  ['null', null],
  ['true', true],
];

type Res = { status: number; body: any };

/** 400 invalid_request whose details.fields names `field`. */
export function expectInvalid(res: Res, field: string): void {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('invalid_request');
  expect(typeof res.body.error.message).toBe('string');
  expect(Array.isArray(res.body.error.details.fields)).toBe(true);
  for (const f of res.body.error.details.fields) {
    expect(typeof f.field).toBe('string');
    expect(typeof f.problem).toBe('string');
  }
  expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
}

/** The documented error envelope with this status and code and a human message. */
export function expectError(res: Res, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(0);
}
