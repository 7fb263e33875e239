import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, expectProblem, op } from '../helpers.js';
import { auditCount, bid, chainOf, item, maker, open, outcomeOf, round, world, type Maker, type World } from './round-fixture.js';

/** API.md "Bids": PUT / DELETE / GET /v1/rounds/{id}/bids (one describe each), DOMAIN.md bid window and product matching. */
describe('bids API', () => {
  let w: World;
  let m: Maker;

  const digestOf = (f: Record<string, unknown>) => createHash('sha256').update(canonicalize(f) as string, 'utf8').digest('hex');
  const bidRows = (roundId: string) => count(w.t.db, 'bids', 'round_id = $1', [roundId]);
  const bidEvents = (roundId: string) => auditCount(w, roundId, `type LIKE 'bid.%'`);

  beforeAll(async () => {
    w = await world();
    // 0: 40 mg × 7, 1: 20 mg × 10, 2: another generic name, 3: capsule, 4: IU, 5: ml
    m = await maker(w, [
      { mg: '40', pack: 7 }, {}, { genericName: 'rosuvastatin calcium' }, { dosageForm: 'capsule' },
      { mg: '20', unit: 'IU' }, { mg: '20', unit: 'ml' },
    ]);
  });
  afterAll(async () => { await w?.t.close(); });

  describe('PUT /v1/rounds/{id}/bids/{itemCode}', () => {
    it('accepts a bid in the window with a verifiable receipt, and a replacement bumps the version', async () => {
      const r = await round(w);
      const now = w.t.clock.now().toISOString();
      const res = await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, m.h, { productId: m.products[0], packagePrice: '6.3' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({
        itemCode: 'ATV20', productId: m.products[0], packagePrice: '6.3000', version: 1, submittedAt: now,
        receipt: { digest: expect.stringMatching(/^[0-9a-f]{64}$/), salt: expect.any(String) },
      });
      expect(res.body.receipt.digest).toBe(digestOf({
        roundId: r.id, itemCode: 'ATV20', manufacturerId: m.id, productId: m.products[0], packagePrice: '6.3000', version: 1, salt: res.body.receipt.salt,
      }));
      // The digest binds the price: another price with the same salt gives another digest.
      expect(res.body.receipt.digest).not.toBe(digestOf({
        roundId: r.id, itemCode: 'ATV20', manufacturerId: m.id, productId: m.products[0], packagePrice: '6.3001', version: 1, salt: res.body.receipt.salt,
      }));

      w.t.clock.advance(60_000);
      const again = await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, m.h, { productId: m.products[1], packagePrice: '9' });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ productId: m.products[1], packagePrice: '9.0000', version: 2, submittedAt: w.t.clock.now().toISOString() });
      expect(again.body.receipt.salt).not.toBe(res.body.receipt.salt);
      expect(again.body.receipt.digest).toBe(digestOf({
        roundId: r.id, itemCode: 'ATV20', manufacturerId: m.id, productId: m.products[1], packagePrice: '9.0000', version: 2, salt: again.body.receipt.salt,
      }));
      expect(await bidRows(r.id)).toBe(1);
      const events = (await chainOf(w, r.id)).filter((e) => e.type.startsWith('bid.'));
      expect(events.map((e) => [e.type, e.data.version, e.data.digest])).toEqual([
        ['bid.submitted', 1, res.body.receipt.digest], ['bid.replaced', 2, again.body.receipt.digest],
      ]);
    });

    it('refuses bids outside the bid window with 409 and writes nothing', async () => {
      const demand = await round(w, { state: 'demand' });
      expectProblem(await w.c.put(`/v1/rounds/${demand.id}/bids/ATV20`, m.h, { productId: m.products[1], packagePrice: '5' }), 409, 'bidding-not-open');

      // State bidding, but the clock is still before bidOpensAt.
      const early = await round(w, { state: 'demand' });
      expect((await w.c.post(`/v1/rounds/${early.id}/start-bidding`, w.alliance.h)).status).toBe(200);
      w.t.clock.set(new Date(new Date(early.opensAt).getTime() - 1));
      expectProblem(await w.c.put(`/v1/rounds/${early.id}/bids/ATV20`, m.h, { productId: m.products[1], packagePrice: '5' }), 409, 'bidding-not-open');
      w.t.clock.set(early.opensAt);
      expect((await w.c.put(`/v1/rounds/${early.id}/bids/ATV20`, m.h, { productId: m.products[1], packagePrice: '5' })).status).toBe(200);

      w.t.clock.set(early.closesAt);
      expectProblem(await w.c.put(`/v1/rounds/${early.id}/bids/ATV20`, m.h, { productId: m.products[1], packagePrice: '4' }), 409, 'bidding-closed');
      expectProblem(await w.c.del(`/v1/rounds/${early.id}/bids/ATV20`, m.h), 409, 'bidding-closed');
      await open(w, early);
      expectProblem(await w.c.put(`/v1/rounds/${early.id}/bids/ATV20`, m.h, { productId: m.products[1], packagePrice: '4' }), 409, 'bidding-closed');

      expect(await bidRows(demand.id)).toBe(0);
      expect(await bidEvents(demand.id)).toBe(0);
      const [row] = await w.t.db.query<any>('SELECT version, withdrawn FROM bids WHERE round_id = $1', [early.id]);
      expect(row).toEqual({ version: 1, withdrawn: false });
      expect(await bidEvents(early.id)).toBe(1);
    });

    it('refuses a product that does not match the item (422 product-mismatch)', async () => {
      const r = await round(w);
      const other = await maker(w);
      const cases: [string, string][] = [
        [m.products[2], 'another generic name'], [m.products[3], 'another dosage form'],
        [m.products[4], 'IU against mg'], [other.products[0], "another manufacturer's product"], ['prd_missing', 'no such product'],
      ];
      for (const [productId, why] of cases) {
        const res = await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, m.h, { productId, packagePrice: '5' });
        expect(res.status, why).toBe(422);
        expectProblem(res, 422, 'product-mismatch');
      }
      // An item measured in ml takes no mg product.
      const ml = await round(w, { items: [item('INJ5', { dosageForm: 'tablet', referenceStrength: { value: '5', unit: 'ml' } })] });
      expectProblem(await w.c.put(`/v1/rounds/${ml.id}/bids/INJ5`, m.h, { productId: m.products[1], packagePrice: '5' }), 422, 'product-mismatch');
      expect((await w.c.put(`/v1/rounds/${ml.id}/bids/INJ5`, m.h, { productId: m.products[5], packagePrice: '5' })).status).toBe(200);
      expect(await bidRows(r.id)).toBe(0);
      expect(await bidEvents(r.id)).toBe(0);
    });

    it('refuses a comparable unit price above maxUnitPrice and accepts one exactly at it', async () => {
      const r = await round(w);
      // 40 mg × 7 on a 20 mg item, r 1.7: comparable = packagePrice / 7 / 1.7; 35.70 → 5.10 / 1.7 = 3.0000 = maxUnitPrice.
      const above = await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, m.h, { productId: m.products[0], packagePrice: '35.7001' });
      expectProblem(above, 422, 'price-above-ceiling');
      expect(await bidRows(r.id)).toBe(0);
      expect(await bidEvents(r.id)).toBe(0);
      const at = await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, m.h, { productId: m.products[0], packagePrice: '35.70' });
      expect(at.status, JSON.stringify(at.body)).toBe(200);
      expect(at.body.packagePrice).toBe('35.7000');
      // 20 mg × 10: 30.0001 is above 3.0000 a tablet, 30 is at it.
      expectProblem(await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, m.h, { productId: m.products[1], packagePrice: '30.0001' }), 422, 'price-above-ceiling');
      const [row] = await w.t.db.query<any>('SELECT product_id, version FROM bids WHERE round_id = $1', [r.id]);
      expect(row).toEqual({ product_id: m.products[0], version: 1 });
    });

    it('rejects malformed bodies with 400 and writes nothing', async () => {
      const r = await round(w);
      const bodies: unknown[] = [
        { productId: m.products[1], packagePrice: 5.5 }, { productId: m.products[1], packagePrice: '-5' },
        { productId: m.products[1], packagePrice: '5.12345' }, { productId: m.products[1], packagePrice: '1e3' },
        { productId: m.products[1], packagePrice: '' }, { packagePrice: '5' }, { productId: m.products[1] },
        { productId: m.products[1], packagePrice: '5', manufacturerId: 'x' },
      ];
      for (const b of bodies) {
        const res = await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, m.h, b);
        expect(res.status, JSON.stringify(b)).toBe(400);
        expectProblem(res, 400, 'validation');
      }
      expectProblem(await w.c.raw('PUT', `/v1/rounds/${r.id}/bids/ATV20`, m.h, '{"productId":', 'application/json'), 400);
      expect(await bidRows(r.id)).toBe(0);
      expect(await bidEvents(r.id)).toBe(0);
    });

    it('authorises: 401 without a token, 403 for other roles, 404 for a draft round, an unknown item or round', async () => {
      const r = await round(w);
      const body = { productId: m.products[1], packagePrice: '5' };
      expectProblem(await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, {}, body), 401, 'unauthorized');
      expectProblem(await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, { authorization: 'Bearer nope' }, body), 401, 'unauthorized');
      expectProblem(await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, w.hospitals.gz1.h, body), 403, 'forbidden');
      expectProblem(await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, w.alliance.h, body), 403, 'forbidden');
      expectProblem(await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, op, body), 403, 'forbidden');
      expectProblem(await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, w.otherAlliance.h, body), 404, 'not-found');
      expectProblem(await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, w.hospitals.sc.h, body), 404, 'not-found');
      expectProblem(await w.c.put(`/v1/rounds/${r.id}/bids/NOPE`, m.h, body), 404, 'not-found');
      const draft = await round(w, { state: 'draft' });
      expectProblem(await w.c.put(`/v1/rounds/${draft.id}/bids/ATV20`, m.h, body), 404, 'not-found');
      expectProblem(await w.c.put(`/v1/rounds/${draft.id}/bids/ATV20`, w.hospitals.gz1.h, body), 404, 'not-found');
      expectProblem(await w.c.put(`/v1/rounds/rnd_missing/bids/ATV20`, m.h, body), 404, 'not-found');
      expect(await bidRows(r.id) + await bidRows(draft.id)).toBe(0);
      expect(await bidEvents(r.id) + await bidEvents(draft.id)).toBe(0);
    });
  });

  describe('DELETE /v1/rounds/{id}/bids/{itemCode}', () => {
    it('authorises: 401 without a token, 403 for other roles, 404 for a draft round; 400 for a malformed item code', async () => {
      const r = await round(w);
      await bid(w, m, r, 'ATV20', '5');
      const draft = await round(w, { state: 'draft' });
      expectProblem(await w.api.del(`/v1/rounds/${r.id}/bids/ATV20`, {}), 401, 'unauthorized');
      for (const who of [w.hospitals.gz1.h, w.alliance.h, op]) expectProblem(await w.api.del(`/v1/rounds/${r.id}/bids/ATV20`, who), 403, 'forbidden');
      expectProblem(await w.api.del(`/v1/rounds/${r.id}/bids/ATV20`, w.otherAlliance.h), 404, 'not-found');
      expectProblem(await w.api.del(`/v1/rounds/${draft.id}/bids/ATV20`, m.h), 404, 'not-found');
      expectProblem(await w.api.del(`/v1/rounds/${r.id}/bids/${encodeURIComponent('no such code!')}`, m.h), 400, 'validation');
      // The bid stands, unwithdrawn.
      expect((await w.api.get(`/v1/rounds/${r.id}/bids`, m.h)).body.data).toHaveLength(1);
      expect(await auditCount(w, r.id, `type = 'bid.withdrawn'`)).toBe(0);
    });

    it('withdraws a bid: 204, then 404; a withdrawn bid is not evaluated at opening', async () => {
      const r = await round(w);
      const a = await maker(w), b = await maker(w);
      await bid(w, a, r, 'ATV20', '5.00');
      await bid(w, b, r, 'ATV20', '6.00');
      const del = await w.c.del(`/v1/rounds/${r.id}/bids/ATV20`, a.h);
      expect(del.status).toBe(204);
      expect(del.body).toBeUndefined();
      expectProblem(await w.c.del(`/v1/rounds/${r.id}/bids/ATV20`, a.h), 404, 'not-found');
      expectProblem(await w.c.del(`/v1/rounds/${r.id}/bids/ATV20`, m.h), 404, 'not-found');
      expect((await w.c.get(`/v1/rounds/${r.id}/bids`, a.h)).body.data).toEqual([]);
      expect(await auditCount(w, r.id, `type = 'bid.withdrawn'`)).toBe(1);
      const results = await open(w, r);
      expect(results.items[0]).toMatchObject({ eligibleBidders: 1, lowest: '0.6000' });
      expect(results.items[0].bids.map((x: any) => x.manufacturerId)).toEqual([b.id]);
      expect(outcomeOf(results, 'ATV20', a.id)).toBeUndefined();
      expect((await w.c.get(`/v1/rounds/${r.id}/bids`, w.alliance.h)).body.data.map((x: any) => x.manufacturerId)).toEqual([b.id]);
    });

    it('a withdrawn bid can be submitted again with a later version', async () => {
      const r = await round(w);
      const a = await maker(w);
      await bid(w, a, r, 'ATV20', '5.00');
      expect((await w.c.del(`/v1/rounds/${r.id}/bids/ATV20`, a.h)).status).toBe(204);
      const again = await bid(w, a, r, 'ATV20', '4.00');
      expect(again.version).toBeGreaterThan(1); // a later version than the withdrawn one (the receipt binds it)
      expect((await w.c.get(`/v1/rounds/${r.id}/bids`, a.h)).body.data).toHaveLength(1);
    });
  });

  describe('GET /v1/rounds/{id}/bids', () => {
    it('lists bids: own and unpriced before opening, 409 for alliance/operator; priced after opening', async () => {
      const r = await round(w);
      const a = await maker(w), b = await maker(w, [{ mg: '10', pack: 14 }]);
      const ra = await bid(w, a, r, 'ATV20', '6.00');
      const rb = await bid(w, b, r, 'ATV20', '4.2');
      const own = await w.c.get(`/v1/rounds/${r.id}/bids`, a.h);
      expect(own.status).toBe(200);
      expect(own.body.nextCursor).toBeNull();
      expect(own.body.data).toHaveLength(1);
      expect(own.body.data[0]).toMatchObject({ itemCode: 'ATV20', productId: a.products[0], version: 1, submittedAt: ra.submittedAt, receipt: { digest: ra.receipt.digest } });
      expect('packagePrice' in own.body.data[0]).toBe(false);
      expect(own.body.data[0].receipt.salt).toBeUndefined();
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/bids`, w.alliance.h), 409, 'invalid-state');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/bids`, op), 409, 'invalid-state');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/bids`, w.hospitals.gz1.h), 403, 'forbidden');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/bids`, w.otherAlliance.h), 404, 'not-found');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/bids`, {}), 401, 'unauthorized');
      expectProblem(await w.c.get(`/v1/rounds/${(await round(w, { state: 'draft' })).id}/bids`, m.h), 404, 'not-found');

      await open(w, r);
      for (const h of [w.alliance.h, op]) {
        const all = await w.c.get(`/v1/rounds/${r.id}/bids`, h);
        expect(all.status).toBe(200);
        const by = Object.fromEntries(all.body.data.map((x: any) => [x.manufacturerId, x]));
        expect(Object.keys(by).sort()).toEqual([a.id, b.id].sort());
        expect(by[a.id]).toMatchObject({ packagePrice: '6.0000', receipt: ra.receipt });
        expect(by[b.id]).toMatchObject({ packagePrice: '4.2000', receipt: rb.receipt });
      }
      const mine = await w.c.get(`/v1/rounds/${r.id}/bids`, b.h);
      expect(mine.body.data).toEqual([{ itemCode: 'ATV20', manufacturerId: b.id, productId: b.products[0], version: 1, submittedAt: rb.submittedAt, packagePrice: '4.2000', receipt: rb.receipt }]);
      // A manufacturer that did not bid sees an empty list.
      expect((await w.c.get(`/v1/rounds/${r.id}/bids`, m.h)).body.data).toEqual([]);
    });

    it('pages the alliance bid list with limit and cursor', async () => {
      const r = await round(w, { items: [item('A1'), item('A2'), item('A3')] });
      const a = await maker(w);
      for (const code of ['A1', 'A2', 'A3']) await bid(w, a, r, code, '5');
      await open(w, r);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await w.c.get(`/v1/rounds/${r.id}/bids?limit=2${cursor ? `&cursor=${cursor}` : ''}`, w.alliance.h);
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((x: any) => x.itemCode));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(['A1', 'A2', 'A3']);
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/bids?limit=0`, w.alliance.h), 400, 'validation');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/bids?cursor=bogus`, w.alliance.h), 400, 'validation');
    });
  });
});
