import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProblem, jicaiClient, jsonRows, must, type BodyOf, type JicaiClient } from '../../src/client/index.js';
import { MASTER, testApp, type TestApp } from '../helpers.js';

/**
 * Issue #17: a whole round driven through the typed client generated from
 * openapi/openapi.json, over HTTP against a listening server. The calls are
 * type-checked against the document (tsc) and answered by the server (this
 * test), so the document and the server cannot drift apart unnoticed.
 */
describe('the typed client against a listening server', () => {
  let t: TestApp;
  let base: string;
  let operator: JicaiClient;
  beforeAll(async () => {
    t = await testApp();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    operator = jicaiClient(base, { token: MASTER });
  });
  afterAll(async () => { await t?.close(); });

  async function organization(body: BodyOf<'/v1/organizations', 'post'>) {
    const o = await must(operator.POST('/v1/organizations', { body }));
    const token = await must(operator.POST('/v1/organizations/{id}/tokens', { params: { path: { id: o.id } }, body: { name: 'client test' } }));
    expect(token.token.length).toBeGreaterThan(16);
    return { id: o.id, api: jicaiClient(base, { token: token.token }) };
  }

  it('drives organizations, tokens, products, round, items, demand, bids, opening, award and agreements', async () => {
    const alliance = await organization({ kind: 'alliance', name: '联盟', regionCode: '440000', regionCodes: ['440000', '320000'] });
    const gz = await organization({ kind: 'hospital', name: '广州医院', regionCode: '440103' });
    const nj = await organization({ kind: 'hospital', name: '南京医院', regionCode: '320102' });
    const orgs = await must(operator.GET('/v1/organizations', { params: { query: { limit: 10 } } }));
    expect(orgs.data.map((o) => o.id)).toEqual(expect.arrayContaining([alliance.id, gz.id, nj.id]));

    // Two manufacturers, one 20 mg × 28 and one 10 mg × 14 product (strength price ratio 1.7: 10 mg counts 1.7 × its unit price per 20 mg).
    const makers = [];
    for (const [name, mg, packSize] of [['药企甲', '20', 28], ['药企乙', '10', 14]] as const) {
      const m = await organization({ kind: 'manufacturer', name, regionCode: '310000' });
      const product = await must(m.api.POST('/v1/products', {
        body: { genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: mg, unit: 'mg' }, packSize, approvalNumber: `H${name}`, qualityTier: 'consistency_passed' },
      }));
      expect(product.verified).toBe(false);
      const verified = await must(alliance.api.POST('/v1/products/{id}/verify', { params: { path: { id: product.id } } }));
      expect(verified.verified).toBe(true);
      makers.push({ ...m, productId: product.id });
    }
    const products = await must(gz.api.GET('/v1/products', { params: { query: { genericName: 'atorvastatin calcium' } } }));
    expect(products.data).toHaveLength(2);

    const now = t.clock.now().getTime();
    const round = await must(alliance.api.POST('/v1/rounds', {
      body: { name: '阿托伐他汀', rules: { preset: 'nvbp' }, contractMonths: 12, bidOpensAt: new Date(now).toISOString(), bidClosesAt: new Date(now + 86_400_000).toISOString() },
    }));
    expect(round.state).toBe('draft');
    const path = { id: round.id };
    const item = { id: round.id, itemCode: 'ATV20' };
    await must(alliance.api.POST('/v1/rounds/{id}/items', {
      params: { path },
      body: {
        code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
        referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7', maxUnitPrice: '3.0000', baselineUnitPrice: '2.5000',
      },
    }));
    expect((await must(alliance.api.POST('/v1/rounds/{id}/publish', { params: { path } }))).state).toBe('demand');
    await must(gz.api.PUT('/v1/rounds/{id}/demand/{itemCode}', { params: { path: item }, body: { quantity: 10000 } }));
    await must(nj.api.PUT('/v1/rounds/{id}/demand/{itemCode}', { params: { path: item }, body: { quantity: 5000 } }));
    const demand = await must(alliance.api.GET('/v1/rounds/{id}/demand', { params: { path } }));
    expect(demand.data).toEqual([{ itemCode: 'ATV20', hospitals: 2, quantity: 15000 }]);

    expect((await must(alliance.api.POST('/v1/rounds/{id}/start-bidding', { params: { path } }))).state).toBe('bidding');
    const prices = ['16.80', '4.20'];
    for (const [i, m] of makers.entries()) {
      const bid = await must(m.api.PUT('/v1/rounds/{id}/bids/{itemCode}', { params: { path: item }, body: { productId: m.productId, packagePrice: prices[i] } }));
      expect(bid.packagePrice).toBe(i === 0 ? '16.8000' : '4.2000');
      expect(bid.receipt.digest).toMatch(/^[0-9a-f]{64}$/);
    }

    // Opening before bidClosesAt: a problem the client reports with its slug.
    const early = await alliance.api.POST('/v1/rounds/{id}/open', { params: { path } });
    expect(early.response.status).toBe(409);
    expect(early.error?.type).toBe('/problems/bidding-not-closed');

    t.clock.advance(86_400_000);
    const results = await must(alliance.api.POST('/v1/rounds/{id}/open', { params: { path } }));
    // 16.80 / 28 = 0.6000 per 20 mg tablet; 4.20 / 14 = 0.3000 per 10 mg tablet, × 1.7 = 0.5100 per 20 mg.
    expect(results.items[0]).toMatchObject({ itemCode: 'ATV20', lowest: '0.5100', totalDemand: 15000 });
    // n = 2 eligible: the highest (0.6000) is no candidate (excludeHighest), so one winner and agreedVolumeRatio 0.5 (nvbp).
    expect(results.items[0].bids.map((b) => [b.comparableUnitPrice, b.rank, b.winner])).toEqual([['0.5100', 1, true], ['0.6000', null, false]]);
    expect(results.items[0]).toMatchObject({ maxWinners: 2, agreedVolumeRatio: '0.5000' });

    t.clock.advance(30 * 86_400_000); // past any notice period
    expect((await must(alliance.api.POST('/v1/rounds/{id}/award', { params: { path } }))).state).toBe('awarded');
    const allocations = await must(alliance.api.GET('/v1/rounds/{id}/allocations', { params: { path } }));
    expect(allocations.data.length).toBeGreaterThan(0);
    const agreements = await must(alliance.api.GET('/v1/rounds/{id}/agreements', { params: { path } }));
    // agreedQuantity = demand × 0.5, all from the one winner at its comparable unit price.
    expect(agreements.data.map((a) => [a.hospitalId, a.manufacturerId, a.demand, a.agreedQuantity, a.comparableUnitPrice])).toEqual([
      [gz.id, makers[1].id, 10000, 5000, '0.5100'], [nj.id, makers[1].id, 5000, 2500, '0.5100']]);
    const own = await must(gz.api.GET('/v1/rounds/{id}/agreements', { params: { path } }));
    expect(own.data.map((a) => a.hospitalId)).toEqual([gz.id]);

    // The bulk routes (no body in the document) through jsonRows: a month of usage and of deliveries, then monitoring.
    const month = t.clock.now().toISOString().slice(0, 7);
    const usage = await must(gz.api.PUT('/v1/rounds/{id}/usage', {
      params: { path },
      ...jsonRows([{ period: month, itemCode: 'ATV20', productId: makers[1].productId, orderedQuantity: 500, receivedQuantity: 400, amount: '204.0000' }]),
    }));
    expect(usage).toEqual({ rows: 1 });
    const shipped = await must(makers[1].api.PUT('/v1/rounds/{id}/deliveries', {
      params: { path }, ...jsonRows([{ hospitalId: gz.id, period: month, itemCode: 'ATV20', shippedQuantity: 400 }]),
    }));
    expect(shipped).toEqual({ rows: 1 });
    const monitoring = await must(alliance.api.GET('/v1/rounds/{id}/monitoring', { params: { path, query: { groupBy: 'item', asOf: month } } }));
    // 400 received of 7,500 agreed (5,000 + 2,500); paid 204 / 400 = 0.5100, the award's price.
    expect(monitoring.rows).toMatchObject([{ key: 'ATV20', agreedQuantity: 7500, used: 400, ordered: 500, completion: '0.0533', fulfilment: '0.8000', paidUnitPrice: '0.5100' }]);
  });

  it('reports problems with their slug, in Chinese on Accept-Language: zh-CN', async () => {
    const anonymous = jicaiClient(base, { acceptLanguage: 'zh-CN' });
    const res = await anonymous.GET('/v1/rounds', {});
    expect(res.response.status).toBe(401);
    expect(res.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.error).toEqual({ type: '/problems/unauthorized', title: '未认证', status: 401, detail: '需要有效的 Bearer 令牌' });
    const err = await must(jicaiClient(base).GET('/v1/rounds/{id}', { params: { path: { id: 'nope' } }, headers: { authorization: `Bearer ${MASTER}` } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiProblem);
    expect((err as ApiProblem).problem).toMatchObject({ type: '/problems/not-found', title: 'Not found', detail: 'Round not found' });
  });
});
