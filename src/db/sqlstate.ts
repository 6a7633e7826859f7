/**
 * An error PostgreSQL raised for what one statement asked (a refused value, a violated
 * constraint, a routine's own exception), as opposed to one about the connection or the server
 * (classes 08, 53, 57, 58, XX): the first belongs to the request that sent the statement, the
 * second to every request that shares the connection or the round trip.
 */
export function statementError(err: unknown): { code: string; message: string } | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return null;
  if (/^(08|53|57|58|XX)/.test(e.code)) return null;
  return { code: e.code, message: typeof e.message === 'string' ? e.message : '' };
}
