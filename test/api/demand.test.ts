import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMAND, client, count, expectProblem, op, org, testApp, type Client, type TestApp } from '../helpers.js';

/** API.md "Demand": PUT /v1/rounds/{id}/demand/{itemCode} and GET /v1/rounds/{id}/demand. Bulk is in demand-bulk.test.ts. */

type Org = { id: string; h: Record<string, string> };

describe('demand API', () => {
  let t: TestApp;
  let c: Client;
  let a: Org, b: Org, m: Org;
  const h: Record<string, Org> = {};
  let round: string, draft: string, bidding: string;

  async function newRound(codes: string[], state: 'draft' | 'demand' | 'bidding'): Promise<string> {
    const id = (await c.post('/v1/rounds', a.h, {
      name: 'R', rules: { preset: 'nvbp' }, bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: '2026-03-20T00:00:00Z', contractMonths: 12,
    })).body.id;
    for (const code of codes) {
      const r = await c.post(`/v1/rounds/${id}/items`, a.h, {
        code, genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
        referenceStrength: { value: '20', unit: 'mg' }, maxUnitPrice: '3', baselineUnitPrice: '2.5',
      });
      expect(r.status).toBe(201);
    }
    if (state !== 'draft') expect((await c.post(`/v1/rounds/${id}/publish`, a.h)).status).toBe(200);
    if (state === 'bidding') expect((await c.post(`/v1/rounds/${id}/start-bidding`, a.h)).status).toBe(200);
    return id;
  }
  const lines = (r: string, where = 'true', params: unknown[] = []) => count(t.db, DEMAND, `round_id = $1 AND ${where}`, [r, ...params]);
  const stored = async (r: string, hospital: string, item: string) =>
    (await t.db.query<{ quantity: number; preferred_manufacturer_id: string | null }>(
      `SELECT quantity, preferred_manufacturer_id FROM ${DEMAND} WHERE round_id = $1 AND hospital_id = $2 AND item_code = $3`, [r, hospital, item]))[0];

  beforeAll(async () => {
    t = await testApp();
    c = client(t.app);
    a = await org(c, { kind: 'alliance', name: 'A', regionCode: '440000', regionCodes: ['440000', '130100'] });
    b = await org(c, { kind: 'alliance', name: 'B', regionCode: '320000', regionCodes: ['320000'] });
    m = await org(c, { kind: 'manufacturer', name: 'M', regionCode: '310000' });
    for (const code of ['440103', '130102', '130200']) h[code] = await org(c, { kind: 'hospital', name: `h${code}`, regionCode: code });
    round = await newRound(['ATV10', 'ATV20', 'ATV40'], 'demand');
    draft = await newRound(['ATV20'], 'draft');
    bidding = await newRound(['ATV20'], 'bidding');
  });
  afterAll(async () => { await t?.close(); });

  describe('PUT /v1/rounds/{id}/demand/{itemCode}', () => {
    it('stores a hospital\'s demand and replaces it on the next PUT', async () => {
      const r = await c.put(`/v1/rounds/${round}/demand/ATV20`, h['440103'].h, { quantity: 10000 });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toEqual({ hospitalId: h['440103'].id, itemCode: 'ATV20', quantity: 10000, preferredManufacturerId: null });
      const again = await c.put(`/v1/rounds/${round}/demand/ATV20`, h['440103'].h, { quantity: 12500, preferredManufacturerId: m.id });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ hospitalId: h['440103'].id, itemCode: 'ATV20', quantity: 12500, preferredManufacturerId: m.id });
      expect(await lines(round, 'hospital_id = $2', [h['440103'].id])).toBe(1);
      expect(await stored(round, h['440103'].id, 'ATV20')).toEqual({ quantity: 12500, preferred_manufacturer_id: m.id });
      // Dropping the preference clears it.
      expect((await c.put(`/v1/rounds/${round}/demand/ATV20`, h['440103'].h, { quantity: 12500 })).body.preferredManufacturerId).toBeNull();
      expect(await stored(round, h['440103'].id, 'ATV20')).toEqual({ quantity: 12500, preferred_manufacturer_id: null });
      expect((await c.put(`/v1/rounds/${round}/demand/ATV10`, h['130102'].h, { quantity: 1 })).status).toBe(200);
      expect((await c.put(`/v1/rounds/${round}/demand/ATV20`, h['130102'].h, { quantity: 1000000000 })).status).toBe(200);
    });

    it('hides a draft round from hospitals (404) and refuses demand once bidding (409)', async () => {
      expectProblem(await c.put(`/v1/rounds/${draft}/demand/ATV20`, h['440103'].h, { quantity: 5 }), 404, 'not-found');
      expectProblem(await c.put(`/v1/rounds/${bidding}/demand/ATV20`, h['440103'].h, { quantity: 5 }), 409, 'invalid-state');
      expect(await lines(draft)).toBe(0);
      expect(await lines(bidding)).toBe(0);
    });

    it('answers 404 to a hospital outside the regions, and for an unknown item or round', async () => {
      const before = await count(t.db, DEMAND);
      expectProblem(await c.put(`/v1/rounds/${round}/demand/ATV20`, h['130200'].h, { quantity: 5 }), 404, 'not-found');
      expectProblem(await c.put(`/v1/rounds/${round}/demand/NOPE`, h['440103'].h, { quantity: 5 }), 404, 'not-found');
      expectProblem(await c.put(`/v1/rounds/rnd_missing/demand/ATV20`, h['440103'].h, { quantity: 5 }), 404, 'not-found');
      expect(await count(t.db, DEMAND)).toBe(before);
    });

    it('is for hospitals only: 401 and 403', async () => {
      const before = await count(t.db, DEMAND);
      expectProblem(await c.put(`/v1/rounds/${round}/demand/ATV20`, {}, { quantity: 5 }), 401, 'unauthorized');
      for (const who of [a.h, m.h, op]) expectProblem(await c.put(`/v1/rounds/${round}/demand/ATV20`, who, { quantity: 5 }), 403, 'forbidden');
      expectProblem(await c.put(`/v1/rounds/${round}/demand/ATV20`, b.h, { quantity: 5 }), 404, 'not-found');
      expect(await count(t.db, DEMAND)).toBe(before);
    });

    it.each([
      ['0', { quantity: 0 }], ['-1', { quantity: -1 }], ['1.5', { quantity: 1.5 }], ['"5"', { quantity: '5' }],
      ['1e12', { quantity: 1e12 }], ['missing', {}], ['null', { quantity: null }], ['with an unknown field', { quantity: 5, note: 'x' }],
    ])('refuses quantity %s with 400 and writes nothing', async (_name, input) => {
      const before = await stored(round, h['440103'].id, 'ATV20');
      const n = await count(t.db, DEMAND);
      expectProblem(await c.put(`/v1/rounds/${round}/demand/ATV20`, h['440103'].h, input), 400, 'validation');
      expectProblem(await c.put(`/v1/rounds/${round}/demand/ATV40`, h['440103'].h, input), 400, 'validation');
      expect(await stored(round, h['440103'].id, 'ATV20')).toEqual(before);
      expect(await count(t.db, DEMAND)).toBe(n);
    });

    it('refuses a body that is not JSON', async () => {
      const n = await count(t.db, DEMAND);
      expectProblem(await c.raw('PUT', `/v1/rounds/${round}/demand/ATV40`, h['440103'].h, '{"quantity": 5', 'application/json'), 400, 'validation');
      expectProblem(await c.raw('PUT', `/v1/rounds/${round}/demand/ATV40`, h['440103'].h, 'quantity\n5\n', 'text/csv'), 415);
      expect(await count(t.db, DEMAND)).toBe(n);
    });

    it('refuses a preferred manufacturer that is no manufacturer with 422', async () => {
      const n = await count(t.db, DEMAND);
      for (const pref of [h['130102'].id, a.id, 'org_nobody']) {
        const p = expectProblem(await c.put(`/v1/rounds/${round}/demand/ATV40`, h['440103'].h, { quantity: 5, preferredManufacturerId: pref }), 422, 'validation');
        expect(p.errors).toContainEqual(expect.objectContaining({ path: '/preferredManufacturerId' }));
      }
      expect(await count(t.db, DEMAND)).toBe(n);
      expect(await stored(round, h['440103'].id, 'ATV40')).toBeUndefined();
    });
  });

  describe('GET /v1/rounds/{id}/demand', () => {
    it('gives the alliance and the operator totals per item', async () => {
      const expected = [
        { itemCode: 'ATV10', hospitals: 1, quantity: 1 },
        { itemCode: 'ATV20', hospitals: 2, quantity: 1000012500 },
        { itemCode: 'ATV40', hospitals: 0, quantity: 0 },
      ];
      for (const who of [a.h, op]) {
        const r = await c.get(`/v1/rounds/${round}/demand`, who);
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ data: expected, nextCursor: null });
      }
      const page = await c.get(`/v1/rounds/${round}/demand?limit=2`, a.h);
      expect(page.body.data).toEqual(expected.slice(0, 2));
      expect((await c.get(`/v1/rounds/${round}/demand?limit=2&cursor=${page.body.nextCursor}`, a.h)).body.data).toEqual(expected.slice(2));
    });

    it('gives a hospital its own lines only', async () => {
      const r = await c.get(`/v1/rounds/${round}/demand`, h['130102'].h);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([
        { hospitalId: h['130102'].id, itemCode: 'ATV10', quantity: 1, preferredManufacturerId: null },
        { hospitalId: h['130102'].id, itemCode: 'ATV20', quantity: 1000000000, preferredManufacturerId: null },
      ]);
      const own = await c.get(`/v1/rounds/${round}/demand`, h['440103'].h);
      expect(own.body.data).toEqual([{ hospitalId: h['440103'].id, itemCode: 'ATV20', quantity: 12500, preferredManufacturerId: null }]);
    });

    it('is for participants only', async () => {
      expectProblem(await c.get(`/v1/rounds/${round}/demand`, {}), 401, 'unauthorized');
      for (const who of [b.h, h['130200'].h]) expectProblem(await c.get(`/v1/rounds/${round}/demand`, who), 404, 'not-found');
      for (const who of [h['440103'].h, m.h]) expectProblem(await c.get(`/v1/rounds/${draft}/demand`, who), 404, 'not-found');
      expect((await c.get(`/v1/rounds/${draft}/demand`, a.h)).body.data).toEqual([{ itemCode: 'ATV20', hospitals: 0, quantity: 0 }]);
    });
  });
});
