import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { SEAL_CHUNK, sealAll, verifyChain } from '../../src/audit/service.js';
import { BidWriter, type BidWrite } from '../../src/bids/writer.js';
import { count } from '../helpers.js';
import { bid, chainOf, item, maker, round, world, type Maker, type World } from './round-fixture.js';

/** The bid writer's group commit, on the real database: one statement per round per turn, each bid judged alone. */
describe('bid writer', () => {
  let w: World;
  let makers: Maker[];

  beforeAll(async () => {
    w = await world();
    makers = [];
    for (let i = 0; i < 4; i++) makers.push(await maker(w));
  });
  afterAll(async () => { await w?.t.close(); });

  /** The real database, counting the statements sent through it. */
  function counted(db: Db) {
    const seen: string[] = [];
    const wrapped = Object.create(db) as Db;
    wrapped.query = (text: string, params?: unknown[]) => { seen.push(text); return db.query(text, params); };
    return { db: wrapped, seen };
  }

  const write = (r: { id: string }, m: Maker, itemCode: string, at: Date, extra: Partial<BidWrite> = {}): BidWrite => ({
    roundId: r.id, itemCode, manufacturerId: m.id, productId: m.products[0], sealed: `sealed-${m.id}-${itemCode}`,
    digest: `digest-${m.id}-${itemCode}`, version: 1, at, ...extra,
  });

  it('writes a burst in one statement per round, judging each bid on its window and version', async () => {
    const codes = ['W1', 'W2', 'W3'];
    const r1 = await round(w, { items: codes.map((c) => item(c)) });
    const r2 = await round(w, { items: [item('W1')] });
    const { db, seen } = counted(w.t.db);
    const writer = new BidWriter(db);
    const now = w.t.clock.now();
    const closes = new Date(r1.closesAt);

    const burst = [
      ...makers.flatMap((m) => codes.map((c) => write(r1, m, c, now))),
      write(r2, makers[0], 'W1', now),
      // At bidClosesAt: refused, while the others in its statement are written.
      write(r1, makers[0], 'W1', closes, { version: 1, productId: 'late' }),
      // Expects a stored version 1 that does not exist.
      write(r2, makers[1], 'W1', now, { version: 2 }),
    ];
    const outcomes = await Promise.all(burst.map((b) => writer.write(b)));
    await writer.settled();

    // makers[0]/W1 on r1 appears twice: the second waits for a statement of its own (and is refused there).
    expect(outcomes).toEqual([...Array(12).fill(true), true, false, false]);
    const statements = seen.filter((s) => s.includes('INSERT INTO bids'));
    expect(statements.length).toBe(3);
    expect(await count(w.t.db, 'bids', 'round_id = $1', [r1.id])).toBe(12);
    expect(await count(w.t.db, 'bids', 'round_id = $1', [r2.id])).toBe(1);
    expect(await count(w.t.db, 'bids', "product_id = 'late'")).toBe(0);

    // Submission order and audit order follow the order the bids were handed over.
    const stored = await w.t.db.query<{ item_code: string; manufacturer_id: string }>(
      'SELECT item_code, manufacturer_id FROM bids WHERE round_id = $1 ORDER BY submission_seq', [r1.id]);
    expect(stored.map((s) => `${s.manufacturer_id}/${s.item_code}`)).toEqual(burst.slice(0, 12).map((b) => `${b.manufacturerId}/${b.itemCode}`));
    const events = (await chainOf(w, r1.id)).filter((e) => e.type.startsWith('bid.'));
    expect(events.map((e) => [e.type, e.actor, e.data])).toEqual(burst.slice(0, 12).map((b) => [
      'bid.submitted', b.manufacturerId, { itemCode: b.itemCode, manufacturerId: b.manufacturerId, version: 1, digest: b.digest },
    ]));
  });

  it('retries a failing statement bid by bid, so one bad bid fails alone', async () => {
    const r = await round(w, { items: [item('F1'), item('F2')] });
    const { db, seen } = counted(w.t.db);
    const writer = new BidWriter(db);
    const now = w.t.clock.now();
    const good = [write(r, makers[0], 'F1', now), write(r, makers[1], 'F1', now), write(r, makers[2], 'F2', now)];
    // PostgreSQL text cannot hold NUL: this bid makes its statement fail.
    const bad = write(r, makers[3], 'F2', now, { sealed: 'bad\u0000bid' });
    const outcomes = await Promise.allSettled([...good, bad].map((b) => writer.write(b)));
    expect(outcomes.slice(0, 3).map((o) => o.status === 'fulfilled' && o.value)).toEqual([true, true, true]);
    expect(outcomes[3].status).toBe('rejected');
    expect(seen.filter((s) => s.includes('INSERT INTO bids')).length).toBe(5); // the batch, then each of the four
    expect(await count(w.t.db, 'bids', 'round_id = $1', [r.id])).toBe(3);
  });

  it('accepts two concurrent writes of the same bid as two versions', async () => {
    const r = await round(w);
    const m = makers[0];
    const [a, b] = await Promise.all(['2.10', '2.20'].map((price) =>
      w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, m.h, { productId: m.products[0], packagePrice: price })));
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.version, b.body.version].sort()).toEqual([1, 2]);
    const stored = await w.t.db.query<{ version: number; digest: string }>('SELECT version, digest FROM bids WHERE round_id = $1', [r.id]);
    const last = a.body.version === 2 ? a.body : b.body;
    expect(stored).toEqual([{ version: 2, digest: last.receipt.digest }]);
    const events = (await chainOf(w, r.id)).filter((e) => e.type.startsWith('bid.'));
    expect(events.map((e) => [e.type, e.data.version])).toEqual([['bid.submitted', 1], ['bid.replaced', 2]]);
  });

  it('links a long queue in chunks, in order, and the chain verifies', async () => {
    const r = await round(w, { items: Array.from({ length: 10 }, (_, i) => item(`C${i}`)) });
    const n = SEAL_CHUNK + 37;
    // Queue more events than one chunk (the bid writer's own events plus direct ones), their ids
    // crossing a power of ten: queue order is numeric, not the order of the ids' digits.
    await w.t.db.query(`SELECT setval('audit_pending_id_seq', (10 ^ (length(last_value::text) + 1))::bigint - 100) FROM audit_pending_id_seq`);
    await w.t.db.query(
      `INSERT INTO audit_pending (chain, type, at, actor, data)
       SELECT $1, 'test.event', '2026-01-01T00:00:00.000Z', 'tester', jsonb_build_object('i', g) FROM generate_series(1, $2::int) g`, [r.id, n]);
    await bid(w, makers[0], r, 'C0', '2.00');
    const linked = await sealAll(w.t.db);
    expect(linked).toBeGreaterThanOrEqual(n + 1);
    expect(await count(w.t.db, 'audit_pending', 'chain = $1', [r.id])).toBe(0);
    const events = await chainOf(w, r.id);
    const tests = events.filter((e) => e.type === 'test.event').map((e) => e.data.i);
    expect(tests).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(await verifyChain(w.t.db, r.id)).toMatchObject({ ok: true, events: events.length });
  });
});
