import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGREEMENTS, ALLOCATIONS, count, expectProblem, invalid, op } from '../helpers.js';
import { award, bid, item, maker, open, outcomeOf, round, world, type Maker, type Round, type RoundSpec, type World } from './round-fixture.js';

/**
 * API.md "Results and award" over HTTP, for the cases the worked example
 * (test/e2e) does not reach: DOMAIN.md "Eligibility", "Winner selection",
 * "Supply regions and agreed volumes".
 */
describe('results and award API', () => {
  let w: World;
  const DAY = 86_400_000;

  beforeAll(async () => { w = await world(); });
  afterAll(async () => { await w?.t.close(); });

  /** A round with demand and the given bids (manufacturer, package price), opened. */
  async function opened(spec: RoundSpec, bids: [Maker, string][]): Promise<Round> {
    const r = await round(w, spec);
    for (const [m, price] of bids) await bid(w, m, r, 'ATV20', price);
    await open(w, r);
    return r;
  }

  describe('POST /v1/rounds/{id}/open', () => {
    it('is for the round\'s alliance, once, from bidding: 401, 403, 404, then the results', async () => {
      const r = await round(w, { demand: [['gz1', 'ATV20', 10]] });
      const m = await maker(w);
      await bid(w, m, r, 'ATV20', '5');
      w.t.clock.set(r.closesAt);
      const openRoute = `/v1/rounds/${r.id}/open`;
      expectProblem(await w.api.post(openRoute, {}), 401, 'unauthorized');
      expectProblem(await w.api.post(openRoute, w.hospitals.gz1.h), 403, 'forbidden');
      expectProblem(await w.api.post(openRoute, m.h), 403, 'forbidden');
      expectProblem(await w.api.post(openRoute, op), 403, 'forbidden');
      expectProblem(await w.api.post(openRoute, w.otherAlliance.h), 404, 'not-found');
      expectProblem(await w.api.post(openRoute, w.hospitals.sc.h), 404, 'not-found');
      expect(await count(w.t.db, 'item_results', 'round_id = $1', [r.id])).toBe(0);
      expect((await w.api.get(`/v1/rounds/${r.id}`, w.alliance.h)).body.state).toBe('bidding');

      const res = await w.api.post(openRoute, w.alliance.h);
      expect(res.status).toBe(200);
      expect(res.body.items[0].bids[0]).toMatchObject({ manufacturerId: m.id, packagePrice: '5.0000', winner: true });
      expectProblem(await w.api.post(openRoute, w.alliance.h), 409, 'invalid-state');
      expect(await count(w.t.db, 'bid_results', 'round_id = $1', [r.id])).toBe(1);
    });
  });

  describe('GET /v1/rounds/{id}/results', () => {
    it('is for participants once opened: 409 before, every manufacturer and the alliance\'s hospitals after, 404 outside', async () => {
      const r = await round(w, { demand: [['gz1', 'ATV20', 10]] });
      const m = await maker(w);
      await bid(w, m, r, 'ATV20', '5');
      w.t.clock.set(new Date(new Date(r.closesAt).getTime() - DAY));
      for (const who of [w.alliance.h, w.hospitals.gz1.h, op]) expectProblem(await w.api.get(`/v1/rounds/${r.id}/results`, who), 409, 'invalid-state');
      const results = await open(w, r);
      // Results are for participants: every manufacturer once published, hospitals of the alliance.
      const bystander = await maker(w);
      for (const who of [bystander.h, w.hospitals.gz1.h, w.alliance.h, op]) {
        const res = await w.api.get(`/v1/rounds/${r.id}/results`, who);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(results);
      }
      expectProblem(await w.api.get(`/v1/rounds/${r.id}/results`, w.hospitals.sc.h), 404, 'not-found');
      expectProblem(await w.api.get(`/v1/rounds/${r.id}/results`, w.otherAlliance.h), 404, 'not-found');
      expectProblem(await w.api.get(`/v1/rounds/${r.id}/results`, {}), 401, 'unauthorized');
    });
  });

  describe('PUT /v1/rounds/{id}/region-preferences/{itemCode}', () => {
    it('is for winners while opened: 409 before and after, 403, 404, 401 by caller, 400 for bad bodies, writing nothing', async () => {
      const [a, b, c] = [await maker(w), await maker(w), await maker(w)];
      const r = await round(w, { rules: { preset: 'nvbp', regionLevel: 'city' }, demand: [['gz1', 'ATV20', 1000], ['nj', 'ATV20', 300]] });
      for (const [m, price] of [[a, '5.00'], [b, '5.50'], [c, '6.00']] as const) await bid(w, m, r, 'ATV20', price);
      const prefRoute = `/v1/rounds/${r.id}/region-preferences/ATV20`;
      expectProblem(await w.api.put(prefRoute, b.h, { regionCodes: ['320100'] }), 409, 'invalid-state');
      const res = await open(w, r);
      expect(outcomeOf(res, 'ATV20', c.id)).toMatchObject({ winner: false });
      // Region preferences: winners only, opened only, six-digit codes.
      expectProblem(await w.api.put(prefRoute, c.h, { regionCodes: ['320100'] }), 403, 'forbidden');
      expectProblem(await w.api.put(prefRoute, w.hospitals.gz1.h, { regionCodes: ['320100'] }), 403, 'forbidden');
      expectProblem(await w.api.put(prefRoute, w.alliance.h, { regionCodes: ['320100'] }), 403, 'forbidden');
      expectProblem(await w.api.put(prefRoute, w.otherAlliance.h, { regionCodes: ['320100'] }), 404, 'not-found');
      expectProblem(await w.api.put(prefRoute, {}, { regionCodes: ['320100'] }), 401, 'unauthorized');
      for (const body of [{ regionCodes: ['3201'] }, { regionCodes: '320100' }, {}, { regionCodes: [], extra: 1 }]) {
        expectProblem(await w.api.put(prefRoute, b.h, invalid(body)), 400, 'validation');
      }
      expect(await count(w.t.db, 'region_preferences', 'round_id = $1', [r.id])).toBe(0);
      const pref = await w.api.put(prefRoute, b.h, { regionCodes: ['320100'] });
      expect(pref.status, JSON.stringify(pref.body)).toBe(200);
      expect(pref.body).toEqual({ itemCode: 'ATV20', manufacturerId: b.id, regionCodes: ['320100'] });
      await award(w, r);
      expectProblem(await w.api.put(prefRoute, b.h, { regionCodes: ['110100'] }), 409, 'invalid-state');
      expect(await w.t.db.query('SELECT region_codes FROM region_preferences WHERE round_id = $1', [r.id])).toEqual([{ region_codes: ['320100'] }]);
    });
  });

  describe('POST /v1/rounds/{id}/award', () => {
    it('is for the round\'s alliance, once, from opened: 409, 403, 404, then the round with its contract start', async () => {
      const r = await round(w, { demand: [['gz1', 'ATV20', 10]] });
      const m = await maker(w);
      await bid(w, m, r, 'ATV20', '5');
      w.t.clock.set(r.closesAt);
      const awardRoute = `/v1/rounds/${r.id}/award`;
      expectProblem(await w.api.post(awardRoute, w.alliance.h), 409, 'invalid-state'); // still bidding
      await open(w, r);
      expectProblem(await w.api.post(awardRoute, {}), 401, 'unauthorized');
      expectProblem(await w.api.post(awardRoute, w.hospitals.gz1.h), 403, 'forbidden');
      expectProblem(await w.api.post(awardRoute, m.h), 403, 'forbidden');
      expectProblem(await w.api.post(awardRoute, op), 403, 'forbidden');
      expectProblem(await w.api.post(awardRoute, w.otherAlliance.h), 404, 'not-found');
      expect(await count(w.t.db, AGREEMENTS, 'round_id = $1', [r.id])).toBe(0);
      expect(await count(w.t.db, 'award_totals', 'round_id = $1', [r.id])).toBe(0);
      const a = await award(w, r);
      expect(a).toMatchObject({ id: r.id, state: 'awarded', contractStart: r.closesAt.slice(0, 7) });
      expectProblem(await w.api.post(awardRoute, w.alliance.h), 409, 'invalid-state');
      expect(await count(w.t.db, AGREEMENTS, 'round_id = $1', [r.id])).toBe(1);
      expect(await count(w.t.db, ALLOCATIONS, 'round_id = $1', [r.id])).toBe(1);
    });
  });

  describe('GET /v1/rounds/{id}/allocations', () => {
    it('is for participants once awarded: 409 before, 404 outside, 401 without a token, 400 for bad paging', async () => {
      const m = await maker(w);
      const r = await opened({ demand: [['gz1', 'ATV20', 10], ['nj', 'ATV20', 20]] }, [[m, '5']]);
      for (const who of [w.alliance.h, w.hospitals.gz1.h, m.h]) expectProblem(await w.api.get(`/v1/rounds/${r.id}/allocations`, who), 409, 'invalid-state');
      await award(w, r);
      const all = await w.api.get(`/v1/rounds/${r.id}/allocations`, w.alliance.h);
      expect(all.body).toEqual({ data: [
        { itemCode: 'ATV20', regionCode: '320000', manufacturerId: m.id, productId: m.products[0] },
        { itemCode: 'ATV20', regionCode: '440000', manufacturerId: m.id, productId: m.products[0] },
      ], nextCursor: null });
      for (const who of [op, w.hospitals.nj.h, m.h, (await maker(w)).h]) expect((await w.api.get(`/v1/rounds/${r.id}/allocations`, who)).body).toEqual(all.body);
      const page = await w.api.get(`/v1/rounds/${r.id}/allocations?limit=1`, w.alliance.h);
      expect(page.body.data).toEqual(all.body.data.slice(0, 1));
      expect((await w.api.get(`/v1/rounds/${r.id}/allocations?limit=1&cursor=${page.body.nextCursor}`, w.alliance.h)).body.data).toEqual(all.body.data.slice(1));
      for (const who of [w.otherAlliance.h, w.hospitals.sc.h]) expectProblem(await w.api.get(`/v1/rounds/${r.id}/allocations`, who), 404, 'not-found');
      expectProblem(await w.api.get(`/v1/rounds/${r.id}/allocations`, {}), 401, 'unauthorized');
      for (const q of ['limit=0', 'cursor=garbage']) expectProblem(await w.api.get(`/v1/rounds/${r.id}/allocations?${q}`, w.alliance.h), 400, 'validation');
    });
  });

  describe('GET /v1/rounds/{id}/agreements', () => {
    it('is for participants once awarded, scoped by role: 409 before, 404 outside, 401 without a token, 400 for bad paging', async () => {
      const [m, loser] = [await maker(w), await maker(w)];
      const r = await opened({ demand: [['gz1', 'ATV20', 10], ['nj', 'ATV20', 20]] }, [[m, '5'], [loser, '6']]);
      for (const who of [w.alliance.h, w.hospitals.gz1.h, m.h]) expectProblem(await w.api.get(`/v1/rounds/${r.id}/agreements`, who), 409, 'invalid-state');
      await award(w, r);
      const all = (await w.api.get(`/v1/rounds/${r.id}/agreements`, w.alliance.h)).body;
      expect(all.data.map((g) => [g.hospitalId, g.manufacturerId, g.demand, g.agreedQuantity])).toEqual([
        [w.hospitals.gz1.id, m.id, 10, 5], [w.hospitals.nj.id, m.id, 20, 10],
      ]); // in hospital key order: gz1 was created before nj
      expect((await w.api.get(`/v1/rounds/${r.id}/agreements`, op)).body).toEqual(all);
      expect((await w.api.get(`/v1/rounds/${r.id}/agreements`, m.h)).body).toEqual(all);
      expect((await w.api.get(`/v1/rounds/${r.id}/agreements`, loser.h)).body.data).toEqual([]);
      expect((await w.api.get(`/v1/rounds/${r.id}/agreements`, w.hospitals.gz1.h)).body.data.map((g) => g.hospitalId)).toEqual([w.hospitals.gz1.id]);
      const page = await w.api.get(`/v1/rounds/${r.id}/agreements?limit=1`, w.alliance.h);
      expect(page.body.data).toEqual(all.data.slice(0, 1));
      expect((await w.api.get(`/v1/rounds/${r.id}/agreements?limit=1&cursor=${page.body.nextCursor}`, w.alliance.h)).body.data).toEqual(all.data.slice(1));
      for (const who of [w.otherAlliance.h, w.hospitals.sc.h]) expectProblem(await w.api.get(`/v1/rounds/${r.id}/agreements`, who), 404, 'not-found');
      expectProblem(await w.api.get(`/v1/rounds/${r.id}/agreements`, {}), 401, 'unauthorized');
      for (const q of ['limit=0', 'cursor=garbage']) expectProblem(await w.api.get(`/v1/rounds/${r.id}/agreements?${q}`, w.alliance.h), 400, 'validation');
    });
  });

  describe('award scenarios (DOMAIN.md "Eligibility", "Winner selection", "Supply regions and agreed volumes")', () => {
    it('reports no_eligible_bids and insufficient_bidders with null figures (minBidders 2)', async () => {
      const r = await round(w, {
        rules: { preset: 'nvbp', minBidders: 2 }, items: [item('X1'), item('X2'), item('X3')],
        demand: [['gz1', 'X1', 100], ['gz1', 'X2', 200], ['gz1', 'X3', 300], ['nj', 'X3', 101]],
      });
      const a = await maker(w), b = await maker(w);
      await bid(w, a, r, 'X2', '5.00');
      await bid(w, a, r, 'X3', '5.00');
      await bid(w, b, r, 'X3', '6.00');
      const res = await open(w, r);
      const nulls = { lowest: null, anchor: null, maxWinners: null, agreedVolumeRatio: null, priceDrop: null };
      expect(res.items.map((i: any) => i.itemCode)).toEqual(['X1', 'X2', 'X3']);
      expect(res.items[0]).toEqual({ itemCode: 'X1', outcome: 'no_eligible_bids', eligibleBidders: 0, totalDemand: 100, ...nulls, bids: [] });
      expect(res.items[1]).toMatchObject({ itemCode: 'X2', outcome: 'insufficient_bidders', eligibleBidders: 1, totalDemand: 200, ...nulls });
      expect(res.items[1].bids).toEqual([{
        manufacturerId: a.id, productId: a.products[0], packagePrice: '5.0000', unitPrice: '0.5000', comparableUnitPrice: '0.5000',
        eligible: true, reason: null, candidateBy: null, rank: null, winner: false,
      }]);
      // Two eligible bids: the higher one is excluded (excludeHighest), one winner, ratio 0.5.
      expect(res.items[2]).toMatchObject({
        itemCode: 'X3', outcome: 'awarded', eligibleBidders: 2, lowest: '0.5000', anchor: '0.5000', maxWinners: 2,
        agreedVolumeRatio: '0.5000', totalDemand: 401, priceDrop: '0.8000',
      });
      expect(outcomeOf(res, 'X3', a.id)).toMatchObject({ candidateBy: 'lowest', rank: 1, winner: true });
      expect(outcomeOf(res, 'X3', b.id)).toMatchObject({ eligible: true, candidateBy: null, rank: null, winner: false });
      expect(res.round).toEqual({ items: 3, awardedItems: 1, averageDrop: '0.8000', weightedDrop: null });
      expect((await w.c.get(`/v1/rounds/${r.id}/results`, w.hospitals.gz1.h)).body).toEqual(res);

      await award(w, r);
      const alloc = await w.c.get(`/v1/rounds/${r.id}/allocations`, w.alliance.h);
      expect(alloc.body.data.map((x: any) => [x.itemCode, x.regionCode, x.manufacturerId])).toEqual([['X3', '320000', a.id], ['X3', '440000', a.id]]);
      const ag = await w.c.get(`/v1/rounds/${r.id}/agreements`, w.alliance.h);
      expect(ag.body.data.map((x: any) => [x.itemCode, x.hospitalId, x.agreedQuantity])).toEqual(
        [['X3', w.hospitals.gz1.id, 150], ['X3', w.hospitals.nj.id, 51]]);
      // 1 − Σ(0.5 × agreed) / Σ(2.5 × agreed)
      expect((await w.c.get(`/v1/rounds/${r.id}/results`, op)).body.round.weightedDrop).toBe('0.8000');
    });

    it('marks ineligible bids with the first reason: unverified, quality tier, suspension covering bidClosesAt', async () => {
      const r = await round(w, { demand: [['gz1', 'ATV20', 1000]] });
      const closes = new Date(r.closesAt).getTime();
      const iso = (t: number) => new Date(t).toISOString();
      const suspended = await maker(w);
      const endsAtClose = await maker(w);
      const endsBefore = await maker(w);
      const startsAtClose = await maker(w);
      const unverified = await maker(w, [{ verify: false }]);
      const notEvaluated = await maker(w, [{ tier: 'not_evaluated' }]);
      const plain = await maker(w);
      const suspend = async (m: Maker, from: number, until: number | null) => {
        const s = await w.c.post(`/v1/organizations/${m.id}/suspensions`, op, { from: iso(from), until: until === null ? null : iso(until), reason: 'test' });
        expect(s.status, JSON.stringify(s.body)).toBe(201);
      };
      await suspend(suspended, closes - 5 * DAY, null);
      await suspend(endsAtClose, closes - 5 * DAY, closes); // covers from <= t < until: not bidClosesAt itself
      await suspend(endsBefore, closes - 5 * DAY, closes - DAY);
      await suspend(startsAtClose, closes, closes + 30 * DAY);
      await suspend(unverified, closes - 5 * DAY, null);
      await suspend(notEvaluated, closes - 5 * DAY, null);
      for (const [m, price] of [[suspended, '4.00'], [endsAtClose, '5.00'], [endsBefore, '5.20'], [startsAtClose, '4.50'],
        [unverified, '3.00'], [notEvaluated, '3.50'], [plain, '5.50']] as const) await bid(w, m, r, 'ATV20', price);
      const res = await open(w, r);
      const o = (m: Maker) => outcomeOf(res, 'ATV20', m.id);
      expect(o(suspended)).toMatchObject({ eligible: false, reason: 'manufacturer_suspended', candidateBy: null, rank: null, winner: false });
      expect(o(startsAtClose)).toMatchObject({ eligible: false, reason: 'manufacturer_suspended' });
      expect(o(unverified)).toMatchObject({ eligible: false, reason: 'unverified_product', comparableUnitPrice: '0.3000', winner: false });
      expect(o(notEvaluated)).toMatchObject({ eligible: false, reason: 'quality_tier', winner: false });
      expect(o(endsAtClose)).toMatchObject({ eligible: true, reason: null, candidateBy: 'lowest', rank: 1, winner: true });
      expect(o(endsBefore)).toMatchObject({ eligible: true, reason: null, candidateBy: 'spread', rank: 2, winner: true });
      expect(o(plain)).toMatchObject({ eligible: true, reason: null, candidateBy: null, rank: null, winner: false });
      // n = 3 eligible; the cheaper ineligible bids do not set lowest.
      expect(res.items[0]).toMatchObject({ outcome: 'awarded', eligibleBidders: 3, lowest: '0.5000', maxWinners: 2, agreedVolumeRatio: '0.6000' });
    });

    it('pilot-4+7: only the lowest wins, ratio 0.6000 unless the item fixes one', async () => {
      const r = await round(w, {
        rules: { preset: 'pilot-4+7' }, items: [item('P1'), item('P2', { agreedVolumeRatio: '0.7' })],
        demand: [['gz1', 'P1', 1000], ['gz1', 'P2', 1000]],
      });
      const ms = [await maker(w), await maker(w), await maker(w)];
      for (const [i, m] of ms.entries()) {
        await bid(w, m, r, 'P1', ['5.00', '5.10', '6.00'][i]);
        await bid(w, m, r, 'P2', ['6.00', '5.50', '5.60'][i]);
      }
      const res = await open(w, r);
      expect(res.items[0]).toMatchObject({ itemCode: 'P1', outcome: 'awarded', eligibleBidders: 3, maxWinners: 1, agreedVolumeRatio: '0.6000', lowest: '0.5000', priceDrop: '0.8000' });
      expect(res.items[0].bids.filter((b: any) => b.winner).map((b: any) => b.manufacturerId)).toEqual([ms[0].id]);
      expect(outcomeOf(res, 'P1', ms[1].id)).toMatchObject({ candidateBy: null, rank: null, winner: false });
      expect(outcomeOf(res, 'P1', ms[2].id)).toMatchObject({ candidateBy: null, rank: null, winner: false });
      expect(res.items[1]).toMatchObject({ itemCode: 'P2', maxWinners: 1, agreedVolumeRatio: '0.7000', lowest: '0.5500' });
      expect(res.items[1].bids.filter((b: any) => b.winner).map((b: any) => b.manufacturerId)).toEqual([ms[1].id]);
      await award(w, r);
      const ag = await w.c.get(`/v1/rounds/${r.id}/agreements`, w.hospitals.gz1.h);
      expect(ag.body.data.map((x: any) => [x.itemCode, x.manufacturerId, x.agreedQuantity])).toEqual([['P1', ms[0].id, 600], ['P2', ms[1].id, 700]]);
    });

    it('awards at city level with preferences and preferred manufacturers, scoping agreements by role', async () => {
      const [a, b, c] = [await maker(w), await maker(w), await maker(w)];
      // bj names A, which wins; nj names C, which loses, so nj keeps its unit's winner.
      const r = await round(w, {
        rules: { preset: 'nvbp', regionLevel: 'city' },
        demand: [['gz1', 'ATV20', 1000], ['gz2', 'ATV20', 600], ['nj', 'ATV20', 300, c.id], ['bj', 'ATV20', 100, a.id]],
      });
      await bid(w, a, r, 'ATV20', '5.00');
      await bid(w, b, r, 'ATV20', '5.50');
      await bid(w, c, r, 'ATV20', '6.00');
      const res = await open(w, r);
      expect(res.items[0]).toMatchObject({ eligibleBidders: 3, maxWinners: 2, agreedVolumeRatio: '0.6000', priceDrop: '0.7900' });
      expect(res.round).toEqual({ items: 1, awardedItems: 1, averageDrop: '0.7900', weightedDrop: null });

      // '440000' is no unit at city level and is ignored.
      const pref = await w.api.put(`/v1/rounds/${r.id}/region-preferences/ATV20`, b.h, { regionCodes: ['440000', '320100'] });
      expect(pref.status).toBe(200);
      expect(pref.body).toEqual({ itemCode: 'ATV20', manufacturerId: b.id, regionCodes: ['440000', '320100'] });

      await award(w, r);
      // Units by demand: 440100 (1000), 440300 (600), 320100 (300), 110100 (100). Round one: A 440100, B 320100 (preferred);
      // round two: A 440300 (largest free), B 110100.
      const alloc = await w.c.get(`/v1/rounds/${r.id}/allocations`, w.hospitals.nj.h);
      expect(alloc.status).toBe(200);
      expect(Object.fromEntries(alloc.body.data.map((x: any) => [x.regionCode, x.manufacturerId]))).toEqual({
        '440100': a.id, '440300': a.id, '320100': b.id, '110100': b.id,
      });
      const all = await w.c.get(`/v1/rounds/${r.id}/agreements`, w.alliance.h);
      const byHospital = Object.fromEntries(all.body.data.map((x: any) => [x.hospitalId, [x.manufacturerId, x.demand, x.agreedQuantity, x.comparableUnitPrice]]));
      expect(byHospital).toEqual({
        [w.hospitals.gz1.id]: [a.id, 1000, 600, '0.5000'], [w.hospitals.gz2.id]: [a.id, 600, 360, '0.5000'],
        [w.hospitals.nj.id]: [b.id, 300, 180, '0.5500'], [w.hospitals.bj.id]: [a.id, 100, 60, '0.5000'],
      });
      expect((await w.c.get(`/v1/rounds/${r.id}/agreements`, op)).body.data).toEqual(all.body.data);
      // A hospital sees its own, whatever it filters by; a manufacturer those it supplies; a loser none.
      const own = await w.c.get(`/v1/rounds/${r.id}/agreements?hospitalId=${w.hospitals.gz1.id}`, w.hospitals.nj.h);
      expect(own.body.data).toEqual([]);
      expect((await w.c.get(`/v1/rounds/${r.id}/agreements`, w.hospitals.nj.h)).body.data.map((x: any) => x.hospitalId)).toEqual([w.hospitals.nj.id]);
      expect((await w.c.get(`/v1/rounds/${r.id}/agreements`, a.h)).body.data.map((x: any) => x.hospitalId).sort())
        .toEqual([w.hospitals.gz1.id, w.hospitals.gz2.id, w.hospitals.bj.id].sort());
      expect((await w.c.get(`/v1/rounds/${r.id}/agreements`, c.h)).body.data).toEqual([]);
      expect((await w.c.get(`/v1/rounds/${r.id}/agreements?manufacturerId=${b.id}`, w.alliance.h)).body.data.map((x: any) => x.hospitalId)).toEqual([w.hospitals.nj.id]);
      // 1 − (0.5 × 1020 + 0.55 × 180) / (2.5 × 1200) = 1 − 609 / 3000
      const after = await w.c.get(`/v1/rounds/${r.id}/results`, a.h);
      expect(after.body.round).toEqual({ items: 1, awardedItems: 1, averageDrop: '0.7900', weightedDrop: '0.7970' });
    });
  });
});
