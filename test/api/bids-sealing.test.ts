import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, expectProblem, op } from '../helpers.js';
import { auditCount, bid, item, maker, open, round, world, type Maker, type World } from './round-fixture.js';

/** DOMAIN.md "Integrity" and the bid window: nothing readable before opening, and bidClosesAt holds under load. */
describe('sealed bids', () => {
  let w: World;

  beforeAll(async () => { w = await world(); });
  afterAll(async () => { await w?.t.close(); });

  /** The number as a token of its own: not inside a longer number such as a timestamp's "24.206". */
  const holds = (text: string, price: string) => new RegExp(`(?<![0-9])${price.replace('.', '\\.')}(?![0-9])`).test(text);

  /** Every row of every table in the public schema as JSON text. */
  async function dump(): Promise<string> {
    const tables = await w.t.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    let out = '';
    for (const { table_name } of tables) {
      const rows = await w.t.db.query(`SELECT * FROM "${table_name}"`);
      out += `${table_name}:${JSON.stringify(rows)}\n`;
    }
    return out;
  }

  it('stores no price anywhere before opening, and the alliance sees no bid events until then', async () => {
    const r = await round(w);
    const m1 = await maker(w, [{ pack: 28 }]);
    const m2 = await maker(w, [{ mg: '10', pack: 14 }]);
    const b1 = await bid(w, m1, r, 'ATV20', '16.80');
    const b2 = await bid(w, m2, r, 'ATV20', '4.2');
    expect(b1.packagePrice).toBe('16.8000');
    expect(b2.packagePrice).toBe('4.2000');

    const bids = JSON.stringify(await w.t.db.query('SELECT * FROM bids'));
    const queued = (await w.t.db.query<{ t: string | null }>(`SELECT to_regclass('audit_pending')::text AS t`))[0].t;
    const events = JSON.stringify(await w.t.db.query('SELECT * FROM audit_events'))
      + (queued ? JSON.stringify(await w.t.db.query('SELECT * FROM audit_pending')) : '');
    const all = await dump();
    for (const price of ['16.8000', '16.80', '16.8', '4.2000', '4.20', '0.6000', '0.5100']) {
      expect(holds(bids, price), `bids holds ${price}`).toBe(false);
      expect(holds(events, price), `audit_events holds ${price}`).toBe(false);
      expect(holds(all, price), `the database holds ${price}`).toBe(false);
    }
    expect(all.includes(b1.receipt.salt), 'the salt is sealed with the price').toBe(false);
    expect(bids.includes(b1.receipt.digest)).toBe(true);
    expect(events.includes(b1.receipt.digest), 'the bid event carries the digest').toBe(true);
    // Neither the bidder nor anyone else reads a price back before opening.
    const own = await w.c.get(`/v1/rounds/${r.id}/bids`, m1.h);
    for (const price of ['16.8000', '16.80']) expect(holds(JSON.stringify(own.body), price)).toBe(false);
    expectProblem(await w.c.get(`/v1/rounds/${r.id}/results`, op), 409, 'invalid-state');

    // The alliance reads the chain only up to the first bid event, and that prefix verifies.
    const before = await w.c.get(`/v1/rounds/${r.id}/audit`, w.alliance.h);
    expect(before.status).toBe(200);
    const firstBid = (await w.t.db.query<{ seq: number }>(`SELECT min(seq) AS seq FROM audit_events WHERE chain = $1 AND type LIKE 'bid.%'`, [r.id]))[0].seq;
    expect(before.body.data.map((e: any) => e.seq)).toEqual(Array.from({ length: firstBid - 1 }, (_, i) => i + 1));
    expect(before.body.data.some((e: any) => e.type.startsWith('bid.'))).toBe(false);
    expect(before.body.data.at(-1).type).toBe('round.bidding');
    const v = await w.c.get(`/v1/audit/verify?roundId=${r.id}`, w.alliance.h);
    expect(v.body).toMatchObject({ ok: true, events: firstBid - 1, head: before.body.data.at(-1).hash });

    await open(w, r);
    const after = await w.c.get(`/v1/rounds/${r.id}/audit`, w.alliance.h);
    const bidEvents = after.body.data.filter((e: any) => e.type.startsWith('bid.'));
    expect(bidEvents.map((e: any) => [e.type, e.actor, e.data])).toEqual([
      ['bid.submitted', m1.id, { itemCode: 'ATV20', manufacturerId: m1.id, version: 1, digest: b1.receipt.digest }],
      ['bid.submitted', m2.id, { itemCode: 'ATV20', manufacturerId: m2.id, version: 1, digest: b2.receipt.digest }],
    ]);
    expect(holds(JSON.stringify(after.body), '16.8000')).toBe(false);
    expect(holds(JSON.stringify(after.body), '4.2000')).toBe(false);
    expect(after.body.data.at(-1).type).toBe('round.opened');
    // After opening the prices are revealed in the results (and the same search finds them in the database).
    expect(holds(await dump(), '16.8') || holds(await dump(), '16.8000')).toBe(true);
    const results = await w.c.get(`/v1/rounds/${r.id}/results`, w.alliance.h);
    expect(results.body.items[0].bids.map((b: any) => b.packagePrice).sort()).toEqual(['16.8000', '4.2000']);
  });

  it('holds bidClosesAt under 60 concurrent bids while the clock passes it', async () => {
    const codes = Array.from({ length: 10 }, (_, i) => `R${i}`);
    const r = await round(w, { items: codes.map((c) => item(c)) });
    const makers: Maker[] = [];
    for (let i = 0; i < 6; i++) makers.push(await maker(w));
    const closes = new Date(r.closesAt).getTime();
    w.t.clock.set(new Date(closes - 1));

    const requests = makers.flatMap((m, mi) => codes.map((code, ci) => ({ m, code, price: `${1 + mi}.${String(ci).padStart(2, '0')}` })));
    expect(requests.length).toBe(60);
    // The clock reaches bidClosesAt while the burst is in flight: the server's 30th reading of it is
    // the first at the deadline (requests are all concurrent, so which ones read it first is up to timing).
    const clock = w.t.clock;
    const read = clock.now.bind(clock);
    let readings = 0;
    clock.now = () => { if (++readings === 30) clock.set(r.closesAt); return read(); };
    const responses = await Promise.all(requests.map(async (q) => {
      const res = await w.c.put(`/v1/rounds/${r.id}/bids/${q.code}`, q.m.h, { productId: q.m.products[0], packagePrice: q.price });
      return { q, res };
    }));
    clock.now = read;
    const accepted = responses.filter((x) => x.res.status === 200);
    const rejected = responses.filter((x) => x.res.status !== 200);
    for (const a of accepted) {
      expect(new Date(a.res.body.submittedAt).getTime()).toBeLessThan(closes);
      expect(a.res.body.packagePrice).toBe(`${a.q.price}00`);
    }
    for (const x of rejected) expectProblem(x.res, 409, 'bidding-closed');
    expect(accepted.length + rejected.length).toBe(60);
    expect(accepted.length).toBeGreaterThanOrEqual(20);
    expect(rejected.length).toBeGreaterThan(0);
    const keys = new Set(accepted.map((a) => `${a.q.code}|${a.q.m.id}`));
    expect(await count(w.t.db, 'bids', 'round_id = $1', [r.id])).toBe(keys.size);
    expect(keys.size).toBe(accepted.length);
    expect(await auditCount(w, r.id, `type LIKE 'bid.%'`)).toBe(accepted.length);
    const stored = await w.t.db.query<{ late: number }>('SELECT count(*)::int AS late FROM bids WHERE round_id = $1 AND submitted_at >= $2', [r.id, r.closesAt]);
    expect(stored[0].late).toBe(0);

    // Opening evaluates exactly the accepted bids.
    const opened = await open(w, r);
    const evaluated = opened.items.reduce((n: number, i: any) => n + i.bids.length, 0);
    expect(evaluated).toBe(accepted.length);
    expect((await w.c.get(`/v1/audit/verify?roundId=${r.id}`, op)).body.ok).toBe(true);
  });
});
