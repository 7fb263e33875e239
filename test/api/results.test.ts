import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGREEMENTS, ALLOCATIONS, count, expectProblem, op } from '../helpers.js';
import { award, bid, item, maker, open, outcomeOf, round, world, type Maker, type World } from './round-fixture.js';

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
    w.t.clock.set(new Date(new Date(r.closesAt).getTime() - DAY));
    const prefRoute = `/v1/rounds/${r.id}/region-preferences/ATV20`;
    expectProblem(await w.c.put(prefRoute, b.h, { regionCodes: ['320100'] }), 409, 'invalid-state');
    expectProblem(await w.c.get(`/v1/rounds/${r.id}/results`, w.alliance.h), 409, 'invalid-state');
    expectProblem(await w.c.get(`/v1/rounds/${r.id}/results`, w.hospitals.gz1.h), 409, 'invalid-state');
    const res = await open(w, r);
    expect(res.items[0]).toMatchObject({ eligibleBidders: 3, maxWinners: 2, agreedVolumeRatio: '0.6000', priceDrop: '0.7900' });
    expect(res.round).toEqual({ items: 1, awardedItems: 1, averageDrop: '0.7900', weightedDrop: null });
    for (const path of ['allocations', 'agreements']) expectProblem(await w.c.get(`/v1/rounds/${r.id}/${path}`, w.alliance.h), 409, 'invalid-state');

    // Region preferences: winners only, opened only, six-digit codes.
    expectProblem(await w.c.put(prefRoute, c.h, { regionCodes: ['320100'] }), 403, 'forbidden');
    expectProblem(await w.c.put(prefRoute, w.hospitals.gz1.h, { regionCodes: ['320100'] }), 403, 'forbidden');
    expectProblem(await w.c.put(prefRoute, w.alliance.h, { regionCodes: ['320100'] }), 403, 'forbidden');
    expectProblem(await w.c.put(prefRoute, w.otherAlliance.h, { regionCodes: ['320100'] }), 404, 'not-found');
    expectProblem(await w.c.put(prefRoute, {}, { regionCodes: ['320100'] }), 401, 'unauthorized');
    for (const body of [{ regionCodes: ['3201'] }, { regionCodes: '320100' }, {}, { regionCodes: [], extra: 1 }]) {
      expectProblem(await w.c.put(prefRoute, b.h, body), 400, 'validation');
    }
    expect(await count(w.t.db, 'region_preferences', 'round_id = $1', [r.id])).toBe(0);
    // '440000' is no unit at city level and is ignored.
    const pref = await w.c.put(prefRoute, b.h, { regionCodes: ['440000', '320100'] });
    expect(pref.status).toBe(200);
    expect(pref.body).toEqual({ itemCode: 'ATV20', manufacturerId: b.id, regionCodes: ['440000', '320100'] });

    await award(w, r);
    expectProblem(await w.c.put(prefRoute, b.h, { regionCodes: ['110100'] }), 409, 'invalid-state');
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
    expectProblem(await w.c.get(`/v1/rounds/${r.id}/agreements`, w.hospitals.sc.h), 404, 'not-found');
    expectProblem(await w.c.get(`/v1/rounds/${r.id}/allocations`, w.otherAlliance.h), 404, 'not-found');
    expectProblem(await w.c.get(`/v1/rounds/${r.id}/agreements`, {}), 401, 'unauthorized');
    // 1 − (0.5 × 1020 + 0.55 × 180) / (2.5 × 1200) = 1 − 609 / 3000
    const after = await w.c.get(`/v1/rounds/${r.id}/results`, a.h);
    expect(after.body.round).toEqual({ items: 1, awardedItems: 1, averageDrop: '0.7900', weightedDrop: '0.7970' });
  });

  it('authorises open and award: own alliance only, in the right state', async () => {
    const r = await round(w, { demand: [['gz1', 'ATV20', 10]] });
    const m = await maker(w);
    await bid(w, m, r, 'ATV20', '5');
    w.t.clock.set(r.closesAt);
    const openRoute = `/v1/rounds/${r.id}/open`, awardRoute = `/v1/rounds/${r.id}/award`;
    expectProblem(await w.c.post(openRoute, {}), 401, 'unauthorized');
    expectProblem(await w.c.post(openRoute, w.hospitals.gz1.h), 403, 'forbidden');
    expectProblem(await w.c.post(openRoute, m.h), 403, 'forbidden');
    expectProblem(await w.c.post(openRoute, op), 403, 'forbidden');
    expectProblem(await w.c.post(openRoute, w.otherAlliance.h), 404, 'not-found');
    expectProblem(await w.c.post(openRoute, w.hospitals.sc.h), 404, 'not-found');
    expectProblem(await w.c.post(awardRoute, w.alliance.h), 409, 'invalid-state');
    expect(await count(w.t.db, 'item_results', 'round_id = $1', [r.id])).toBe(0);
    expect((await w.c.get(`/v1/rounds/${r.id}`, w.alliance.h)).body.state).toBe('bidding');

    const res = await w.c.post(openRoute, w.alliance.h);
    expect(res.status).toBe(200);
    expect(res.body.items[0].bids[0]).toMatchObject({ manufacturerId: m.id, packagePrice: '5.0000', winner: true });
    expectProblem(await w.c.post(openRoute, w.alliance.h), 409, 'invalid-state');
    expect(await count(w.t.db, 'bid_results', 'round_id = $1', [r.id])).toBe(1);
    // Results are for participants: every manufacturer once published, hospitals of the alliance.
    const bystander = await maker(w);
    expect((await w.c.get(`/v1/rounds/${r.id}/results`, bystander.h)).status).toBe(200);
    expectProblem(await w.c.get(`/v1/rounds/${r.id}/results`, w.hospitals.sc.h), 404, 'not-found');

    expectProblem(await w.c.post(awardRoute, w.hospitals.gz1.h), 403, 'forbidden');
    expectProblem(await w.c.post(awardRoute, m.h), 403, 'forbidden');
    expectProblem(await w.c.post(awardRoute, w.otherAlliance.h), 404, 'not-found');
    expect(await count(w.t.db, AGREEMENTS, 'round_id = $1', [r.id])).toBe(0);
    const a = await award(w, r);
    expect(a).toMatchObject({ id: r.id, state: 'awarded', contractStart: r.closesAt.slice(0, 7) });
    expectProblem(await w.c.post(awardRoute, w.alliance.h), 409, 'invalid-state');
    expect(await count(w.t.db, AGREEMENTS, 'round_id = $1', [r.id])).toBe(1);
    expect(await count(w.t.db, ALLOCATIONS, 'round_id = $1', [r.id])).toBe(1);
  });
});
