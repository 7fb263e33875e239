import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, op } from '../helpers.js';
import { example, exampleBids, exampleDemand, exampleRound, keyOf, type Example } from '../api/worked-example.js';

/** DOMAIN.md "Worked example (preset nvbp)", driven end to end over HTTP. */
describe('worked example over the API', () => {
  let x: Example;
  let c: Example['api'];
  let t: Example['t'];
  let m: Example['m'], h: Example['h'];
  let alliance: Example['alliance'];
  let roundId: string;

  beforeAll(async () => {
    x = await example({ alliance: { name: '广东联盟', regionCodes: ['440000', '320000', '330000', '110000'] } });
    ({ api: c, t, m, h, alliance } = x);
  });
  afterAll(async () => { await t?.close(); });

  it('runs draft → demand → bidding → opened with the published figures', async () => {
    roundId = await exampleRound(x, '阿托伐他汀');
    expect((await c.post(`/v1/rounds/${roundId}/publish`, alliance.h)).body.state).toBe('demand');
    await exampleDemand(x, roundId);
    expect((await c.post(`/v1/rounds/${roundId}/start-bidding`, alliance.h)).body.state).toBe('bidding');
    t.clock.set('2026-03-15T00:00:00Z');
    await exampleBids(x, roundId);
    expectProblem(await c.post(`/v1/rounds/${roundId}/open`, alliance.h), 409, 'bidding-not-closed');
    t.clock.set('2026-03-20T00:00:00Z');
    const res = await c.post(`/v1/rounds/${roundId}/open`, alliance.h);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const it0 = res.body.items[0];
    expect(it0).toMatchObject({
      itemCode: 'ATV20', outcome: 'awarded', eligibleBidders: 5, lowest: '0.5100', anchor: '0.5100', maxWinners: 4,
      agreedVolumeRatio: '0.8000', totalDemand: 25999, priceDrop: '0.7441',
    });
    const by = Object.fromEntries(it0.bids.map((b: any) => [keyOf(m, b.manufacturerId), b]));
    expect(by.M1).toMatchObject({ packagePrice: '16.8000', unitPrice: '0.6000', comparableUnitPrice: '0.6000', eligible: true, reason: null, candidateBy: 'spread', rank: 3, winner: true });
    expect(by.M2).toMatchObject({ unitPrice: '0.3000', comparableUnitPrice: '0.5100', candidateBy: 'lowest', rank: 1, winner: true });
    expect(by.M3).toMatchObject({ unitPrice: '0.9000', comparableUnitPrice: '0.5294', candidateBy: 'spread', rank: 2, winner: true });
    expect(by.M4).toMatchObject({ unitPrice: '0.9200', comparableUnitPrice: '0.9200', candidateBy: 'drop', rank: 4, winner: true });
    expect(by.M5).toMatchObject({ comparableUnitPrice: '0.3000', eligible: false, reason: 'quality_tier', candidateBy: null, rank: null, winner: false });
    expect(by.M6).toMatchObject({ comparableUnitPrice: '1.2000', eligible: true, candidateBy: null, rank: null, winner: false });
    expect(res.body.round).toEqual({ items: 1, awardedItems: 1, averageDrop: '0.7441', weightedDrop: null });
  });

  it('awards supply regions and agreements as the example says', async () => {
    expectProblem(await c.put(`/v1/rounds/${roundId}/region-preferences/ATV20`, m.M6.h, { regionCodes: ['110000'] }), 403, 'forbidden');
    expect((await c.put(`/v1/rounds/${roundId}/region-preferences/ATV20`, m.M3.h, { regionCodes: ['110000'] })).status).toBe(200);
    const a = await c.post(`/v1/rounds/${roundId}/award`, alliance.h);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.state).toBe('awarded');
    expect(a.body.contractStart).toBe('2026-03');
    const alloc = await c.get(`/v1/rounds/${roundId}/allocations`, alliance.h);
    const byUnit = Object.fromEntries(alloc.body.data.map((x: any) => [x.regionCode, keyOf(m, x.manufacturerId)]));
    expect(byUnit).toEqual({ '440000': 'M2', '110000': 'M3', '320000': 'M1', '330000': 'M4' });
    const ag = await c.get(`/v1/rounds/${roundId}/agreements`, alliance.h);
    const got = Object.fromEntries(ag.body.data.map((x: any) => [keyOf(h, x.hospitalId),
      [keyOf(m, x.manufacturerId), x.agreedQuantity]]));
    expect(got).toEqual({ h1: ['M2', 8000], h3: ['M2', 4000], h2: ['M1', 4800], h4: ['M4', 2400], h5: ['M3', 1599] });
    // A hospital sees only its own agreement, a manufacturer only those it supplies.
    const own = await c.get(`/v1/rounds/${roundId}/agreements`, h.h5.h);
    expect(own.body.data).toHaveLength(1);
    expect(own.body.data[0]).toMatchObject({ demand: 1999, agreedQuantity: 1599, unitPrice: '0.9000', comparableUnitPrice: '0.5294' });
    const m2 = await c.get(`/v1/rounds/${roundId}/agreements`, m.M2.h);
    expect(m2.body.data.map((x: any) => x.agreedQuantity).sort()).toEqual([4000, 8000]);
    const results = await c.get(`/v1/rounds/${roundId}/results`, h.h1.h);
    // 1 − Σ(comparable × agreed) / Σ(2.5 × agreed)
    expect(results.body.round.weightedDrop).toBe('0.7682');
  });

  it('keeps the audit chain verifiable', async () => {
    const v = await c.get(`/v1/audit/verify`, op);
    expect(v.status).toBe(200);
    expect(v.body.ok).toBe(true);
    expect(v.body.events).toBeGreaterThan(10);
  });
});
