import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectError, expectInvalid } from './assertions.js';
import { setupHarness } from './harness.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-proofs-'));
const h = await setupHarness({ COFFER_DATA_DIR: dataDir });

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 1)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');

async function bankOrder() {
  const customer = await h.newCustomer();
  const res = await h.post('/v1/topups', {
    customer,
    balance: 'wallet',
    amount: 5000,
    currency: 'USD',
    method: 'bank_transfer',
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; customer: string };
}

async function upload(id: string, body: Buffer, contentType = 'image/png') {
  const res = await h.app.inject({
    method: 'POST',
    url: `/v1/topups/${id}/proof`,
    headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': contentType },
    payload: body,
  });
  return { status: res.statusCode, body: res.json() };
}

const proofRows = async (orderId: string) =>
  h.handle.db.selectFrom('payment_proofs').selectAll().where('order_id', '=', orderId).execute();

describe('bank transfer proof of payment', () => {
  it('a PNG, JPEG or PDF marks the order paid for review; staff download it byte for byte, then confirm', async () => {
    for (const [file, type] of [
      [PNG, 'image/png'],
      [JPEG, 'image/jpeg'],
      [PDF, 'application/pdf'],
    ] as const) {
      const order = await bankOrder();
      // the declared type does not matter: the bytes decide
      const res = await upload(order.id, file, 'application/octet-stream');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.order.status).toBe('processing');
      expect(res.body.proof).toMatchObject({
        object: 'payment_proof',
        topup: order.id,
        content_type: type,
        size: file.length,
      });
      expect(res.body.order.timeline.at(-1).note).toContain(res.body.proof.id);
      const list = await h.call('GET', `/v1/topups/${order.id}/proofs`);
      expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([res.body.proof.id]);
      const dl = await h.app.inject({
        url: `/v1/topups/${order.id}/proofs/${res.body.proof.id}`,
        headers: { authorization: `Bearer ${h.apiKey}` },
      });
      expect(dl.statusCode).toBe(200);
      expect(dl.headers['content-type']).toBe(type);
      expect(dl.headers['content-disposition']).toMatch(/^attachment; filename="prf_/);
      expect(dl.headers['x-content-type-options']).toBe('nosniff');
      expect(dl.rawPayload.equals(file)).toBe(true);
      // stored under the data directory, outside anything served
      const [row] = await proofRows(order.id);
      expect(row.storage_path.startsWith(path.join(dataDir, 'uploads', 'proofs'))).toBe(true);
      expect(fs.readFileSync(row.storage_path).equals(file)).toBe(true);
      const confirmed = await h.post(`/v1/topups/${order.id}/confirm`, { amount_received: 5000 });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.status).toBe('succeeded');
    }
  });

  it('refuses what is not a PNG, JPEG or PDF, an empty body and more than 5 MB; nothing is stored and the order stays pending', async () => {
    const order = await bankOrder();
    const before = fs.existsSync(path.join(dataDir, 'uploads', 'proofs', order.id))
      ? fs.readdirSync(path.join(dataDir, 'uploads', 'proofs', order.id)).length
      : 0;
    expectInvalid(await upload(order.id, Buffer.from('<html><script>alert(1)</script></html>')), 'body');
    expectInvalid(await upload(order.id, Buffer.from('GIF89a....')), 'body');
    expectInvalid(await upload(order.id, Buffer.alloc(0)), 'body');
    const big = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)]);
    expect((await upload(order.id, big)).status).toBe(413);
    expect((await upload(order.id, PNG, 'text/plain')).status).toBe(400);
    expect(await proofRows(order.id)).toEqual([]);
    const after = fs.existsSync(path.join(dataDir, 'uploads', 'proofs', order.id))
      ? fs.readdirSync(path.join(dataDir, 'uploads', 'proofs', order.id)).length
      : 0;
    expect(after).toBe(before);
    expect((await h.call('GET', `/v1/topups/${order.id}`)).body.status).toBe('pending');
  });

  it('only bank transfers that are pending or processing; unknown orders are 404; the file of a refused upload is removed', async () => {
    const customer = await h.newCustomer();
    await h.post('/v1/fx-rates', { base: 'USD', quote: 'CNY', rate: '7.20' });
    const card = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 5000,
      currency: 'USD',
      method: 'card',
    });
    expectError(await upload(card.body.id, PNG), 409, 'invalid_state');
    expect(await proofRows(card.body.id)).toEqual([]);
    expect(
      fs.existsSync(path.join(dataDir, 'uploads', 'proofs', card.body.id))
        ? fs.readdirSync(path.join(dataDir, 'uploads', 'proofs', card.body.id))
        : [],
    ).toEqual([]);
    expectError(await upload('ord_00000000000000000000000000', PNG), 404, 'not_found');
    const cancelled = await bankOrder();
    await h.post(`/v1/topups/${cancelled.id}/cancel`, undefined);
    expectError(await upload(cancelled.id, PNG), 409, 'invalid_state');
  });

  it('mark_paid without proof also moves the order to processing; a second report only adds to the timeline', async () => {
    const order = await bankOrder();
    const first = await h.call('POST', `/v1/topups/${order.id}/mark_paid`);
    expect(first.status).toBe(200);
    expect(first.body.order.status).toBe('processing');
    const second = await upload(order.id, PDF);
    expect(second.status).toBe(201);
    expect(second.body.order.status).toBe('processing');
    expect(second.body.order.timeline.map((t: { status: string }) => t.status)).toEqual([
      'pending',
      'processing',
      'processing',
    ]);
  });
});
