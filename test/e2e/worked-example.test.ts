import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, expectProblem, op, org, testApp, type Client, type TestApp } from '../helpers.js';

/** DOMAIN.md "Worked example (preset nvbp)", driven end to end over HTTP. */
describe('worked example over the API', () => {
  let t: TestApp;
  let c: Client;
  const m: Record<string, { id: string; h: Record<string, string>; product: string }> = {};
  const h: Record<string, { id: string; h: Record<string, string> }> = {};
  let alliance: { id: string; h: Record<string, string> };
  let roundId: string;

  beforeAll(async () => {
    t = await testApp();
    c = client(t.app);
    alliance = await org(c, { kind: 'alliance', name: '广东联盟', regionCode: '440000', regionCodes: ['440000', '320000', '330000', '110000'] });
    for (const [k, region] of [['h1', '440103'], ['h3', '440304'], ['h2', '320102'], ['h4', '330106'], ['h5', '110105']]) {
      h[k] = await org(c, { kind: 'hospital', name: k, regionCode: region });
    }
    const products: [string, string, number, string][] = [
      ['M1', '20', 28, 'consistency_passed'], ['M2', '10', 14, 'originator'], ['M3', '40', 7, 'reference'],
      ['M4', '20', 7, 'consistency_passed'], ['M5', '20', 10, 'not_evaluated'], ['M6', '20', 10, 'consistency_passed'],
    ];
    for (const [k, mg, pack, tier] of products) {
      const o = await org(c, { kind: 'manufacturer', name: k, regionCode: '310000' });
      const p = await c.post('/v1/products', o.h, {
        genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: mg, unit: 'mg' },
        packSize: pack, approvalNumber: `国药准字H${k}`, qualityTier: tier,
      });
      expect(p.status).toBe(201);
      expect((await c.post(`/v1/products/${p.body.id}/verify`, alliance.h)).status).toBe(200);
      m[k] = { ...o, product: p.body.id };
    }
  });
  afterAll(async () => { await t?.close(); });

  it('runs draft → demand → bidding → opened with the published figures', async () => {
    const r = await c.post('/v1/rounds', alliance.h, {
      name: '阿托伐他汀', rules: { preset: 'nvbp' }, bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: '2026-03-20T00:00:00Z', contractMonths: 12,
    });
    expect(r.status).toBe(201);
    roundId = r.body.id;
    const item = await c.post(`/v1/rounds/${roundId}/items`, alliance.h, {
      code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
      referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7', maxUnitPrice: '3.0000', baselineUnitPrice: '2.5000',
    });
    expect(item.status).toBe(201);
    expect((await c.post(`/v1/rounds/${roundId}/publish`, alliance.h)).body.state).toBe('demand');
    for (const [k, q, pref] of [['h1', 10000], ['h3', 5000], ['h2', 6000], ['h4', 3000, 'M4'], ['h5', 1999]] as const) {
      const d = await c.put(`/v1/rounds/${roundId}/demand/ATV20`, h[k].h, { quantity: q, ...(pref ? { preferredManufacturerId: m[pref].id } : {}) });
      expect(d.status).toBe(200);
    }
    expect((await c.post(`/v1/rounds/${roundId}/start-bidding`, alliance.h)).body.state).toBe('bidding');
    t.clock.set('2026-03-15T00:00:00Z');
    for (const [k, price] of [['M1', '16.80'], ['M2', '4.20'], ['M3', '6.30'], ['M4', '6.44'], ['M5', '3.00'], ['M6', '12.00']]) {
      const b = await c.put(`/v1/rounds/${roundId}/bids/ATV20`, m[k].h, { productId: m[k].product, packagePrice: price });
      expect(b.status, JSON.stringify(b.body)).toBe(200);
    }
    expectProblem(await c.post(`/v1/rounds/${roundId}/open`, alliance.h), 409, 'bidding-not-closed');
    t.clock.set('2026-03-20T00:00:00Z');
    const res = await c.post(`/v1/rounds/${roundId}/open`, alliance.h);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const it0 = res.body.items[0];
    expect(it0).toMatchObject({
      itemCode: 'ATV20', outcome: 'awarded', eligibleBidders: 5, lowest: '0.5100', anchor: '0.5100', maxWinners: 4,
      agreedVolumeRatio: '0.8000', totalDemand: 25999, priceDrop: '0.7441',
    });
    const by = Object.fromEntries(it0.bids.map((b: any) => [Object.keys(m).find((k) => m[k].id === b.manufacturerId), b]));
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
    const byUnit = Object.fromEntries(alloc.body.data.map((x: any) => [x.regionCode, Object.keys(m).find((k) => m[k].id === x.manufacturerId)]));
    expect(byUnit).toEqual({ '440000': 'M2', '110000': 'M3', '320000': 'M1', '330000': 'M4' });
    const ag = await c.get(`/v1/rounds/${roundId}/agreements`, alliance.h);
    const got = Object.fromEntries(ag.body.data.map((x: any) => [Object.keys(h).find((k) => h[k].id === x.hospitalId),
      [Object.keys(m).find((k) => m[k].id === x.manufacturerId), x.agreedQuantity]]));
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
