import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db, Tx } from '../db/pool.js';
import { CofferError, invalidRequest, notFound } from '../errors.js';
import { runIdempotent, type IdempotencyContext, type Outcome } from '../idempotency/index.js';
import { newId } from '../lib/ids.js';
import { isoTime } from '../lib/json.js';
import { presentById } from './orders.js';
import { expireIfDue, lockOrder, moveOrder } from './settle.js';

export const PROOF_MAX_BYTES = 5 * 1024 * 1024;

type ProofType = 'image/png' | 'image/jpeg' | 'application/pdf';

/** What the bytes are, by their first bytes, never by the name or the declared content type. */
export function sniffProofType(bytes: Buffer): ProofType | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return null;
}

const EXTENSION: Record<ProofType, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'application/pdf': 'pdf' };

const presentProof = (p: {
  id: string;
  order_id: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  created_at: Date;
}) => ({
  id: p.id,
  object: 'payment_proof',
  topup: p.order_id,
  content_type: p.content_type,
  size: p.size_bytes,
  sha256: p.sha256,
  created_at: isoTime(p.created_at),
});

type StoredProof = { path: string; type: ProofType; sha256: string; size: number };

/** Checks the proof's bytes and writes them under the data directory (before the transaction). */
function storeProof(dataDir: string, id: string, file: Buffer): StoredProof {
  if (file.length === 0) throw invalidRequest('body', 'is empty: send the proof file as the request body');
  if (file.length > PROOF_MAX_BYTES) throw invalidRequest('body', `is larger than ${PROOF_MAX_BYTES} bytes`);
  const type = sniffProofType(file);
  if (!type) throw invalidRequest('body', 'must be a PNG, JPEG or PDF file');
  const dir = path.join(dataDir, 'uploads', 'proofs', id.replace(/[^a-z0-9_]/g, ''));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const filePath = path.join(dir, `${crypto.randomUUID()}.${EXTENSION[type]}`);
  fs.writeFileSync(filePath, file, { mode: 0o600 });
  return { path: filePath, type, sha256: crypto.createHash('sha256').update(file).digest('hex'), size: file.length };
}

/** The order moves `pending → processing` (or, already processing, notes it) with the proof's row. */
async function markPaidIn(tx: Tx, id: string, stored: StoredProof | null, actor: string) {
  const locked = await lockOrder(tx, { id });
  if (!locked) throw notFound('top-up', id);
  if (locked.method !== 'bank_transfer') {
    throw new CofferError(
      'invalid_state',
      `Only bank-transfer top-ups are marked as paid by the customer; this one is paid by ${locked.method}.`,
      { method: locked.method },
    );
  }
  const order = await expireIfDue(tx, locked, 'system');
  if (order.status !== 'pending' && order.status !== 'processing') {
    throw new CofferError('invalid_state', `This top-up is ${order.status}; it cannot be marked as paid.`, {
      status: order.status,
    });
  }
  let proof = null;
  if (stored) {
    proof = await tx
      .insertInto('payment_proofs')
      .values({
        id: newId('prf'),
        order_id: order.id,
        customer_id: order.customer_id,
        content_type: stored.type,
        size_bytes: stored.size,
        sha256: stored.sha256,
        storage_path: stored.path,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  const note = proof
    ? `The customer reports the transfer as paid, with proof ${proof.id} (${proof.content_type}, ${proof.size_bytes} bytes)`
    : 'The customer reports the transfer as paid';
  if (order.status === 'pending') await moveOrder(tx, order, 'processing', {}, note, actor);
  else
    await tx
      .insertInto('order_timeline')
      .values({ order_id: order.id, customer_id: order.customer_id, status: order.status, note, actor })
      .execute();
  return { order: await presentById(tx, order.id), proof: proof && presentProof(proof) };
}

/**
 * The customer says a bank transfer is paid, optionally with proof (PNG, JPEG or PDF ≤ 5 MB,
 * checked by content). The file is written under the data directory first, then the order moves
 * `pending → processing` for staff review in one transaction with the proof's row; a file whose
 * transaction failed is removed. Staff then confirm what arrived (`confirm`).
 */
export async function markBankTransferPaid(db: Db, dataDir: string, id: string, file: Buffer | null, actor: string) {
  const stored = file ? storeProof(dataDir, id, file) : null;
  try {
    return await db.transaction().execute((tx) => markPaidIn(tx, id, stored, actor));
  } catch (err) {
    if (stored) fs.rmSync(stored.path, { force: true });
    throw err;
  }
}

/**
 * The same under the platform's Idempotency-Key (the API's `proof` and `mark_paid`): the answer is
 * stored with the change and a repeat gets it back (the repeat's copy of the file is not kept); a
 * refusal is recorded like any other. Without a key it is safe as before: one transaction.
 */
export async function markBankTransferPaidOnce(
  db: Db,
  dataDir: string,
  idem: IdempotencyContext | null,
  id: string,
  file: Buffer | null,
  actor: string,
): Promise<Outcome> {
  const stored = file ? storeProof(dataDir, id, file) : null;
  let outcome: Outcome;
  try {
    outcome = await runIdempotent(db, idem, async (tx) => ({
      status: file ? 201 : 200,
      body: await markPaidIn(tx, id, stored, actor),
    }));
  } catch (err) {
    if (stored) fs.rmSync(stored.path, { force: true });
    throw err;
  }
  // Only a fresh success committed the proof's row; otherwise the file has no row and goes.
  if (stored && (outcome.replayed || outcome.status >= 300)) fs.rmSync(stored.path, { force: true });
  return outcome;
}

/** The body an Idempotency-Key's request hash covers for a proof: its digest, not its megabytes. */
export const proofFingerprint = (file: Buffer): { sha256: string; size: number } => ({
  sha256: crypto.createHash('sha256').update(file).digest('hex'),
  size: file.length,
});

export async function listProofs(db: Db, orderId: string) {
  const order = await db.selectFrom('orders').select('id').where('id', '=', orderId).executeTakeFirst();
  if (!order) throw notFound('top-up', orderId);
  const rows = await db
    .selectFrom('payment_proofs')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
  return { data: rows.map(presentProof), has_more: false };
}

/** The proof's bytes for staff, with its sniffed type. */
export async function readProof(
  db: Db,
  orderId: string,
  proofId: string,
): Promise<{ contentType: string; filename: string; bytes: Buffer }> {
  const p = await db
    .selectFrom('payment_proofs')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('id', '=', proofId)
    .executeTakeFirst();
  if (!p) throw notFound('payment proof', proofId);
  return {
    contentType: p.content_type,
    filename: `${p.id}.${EXTENSION[p.content_type]}`,
    bytes: fs.readFileSync(p.storage_path),
  };
}
