import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductInput } from '../../src/catalogue/schemas.js';
import { count, expectProblem, invalid, op, type Api, type TestApp } from '../helpers.js';
import { maker, world, type Party } from './round-fixture.js';

/** API.md "Catalogue": products, their strengths and tiers, verification and listing; one describe per route, on the shared world. */
describe('catalogue', () => {
  let t: TestApp;
  let c: Api;
  let alliance: Party, hospital: Party, m1: Party, m2: Party;

  const drug = (over: Partial<ProductInput> = {}): ProductInput => ({
    genericName: 'amlodipine besylate', dosageForm: 'tablet', category: 'drug', strength: { value: '5', unit: 'mg' },
    packSize: 28, approvalNumber: '国药准字H20000001', qualityTier: 'consistency_passed', ...over,
  });
  const stent = (over: Partial<ProductInput> = {}): ProductInput => ({
    genericName: 'coronary stent', dosageForm: 'cobalt-chromium', category: 'consumable',
    packSize: 1, approvalNumber: '国械注准20203130001', qualityTier: 'A', ...over,
  });

  beforeAll(async () => {
    const w = await world();
    ({ t, api: c, alliance } = w);
    hospital = w.hospitals.gz1;
    // Manufacturers without products: the product counts below are theirs.
    [m1, m2] = [await maker(w, []), await maker(w, [])];
  });
  afterAll(async () => { await t?.close(); });

  describe('POST /v1/products', () => {
    it('stamps createdAt from the server clock (the injected one in tests)', async () => {
      t.clock.set(new Date('2026-02-03T04:05:06.789Z'));
      const res = await c.post('/v1/products', m2.h, drug({ approvalNumber: '国药准字H20009999' }));
      expect(res.status).toBe(201);
      expect(res.body.createdAt).toBe('2026-02-03T04:05:06.789Z');
      const o = await c.post('/v1/organizations', op, { kind: 'hospital', name: 'clocked', regionCode: '440103' });
      expect(o.body.createdAt).toBe('2026-02-03T04:05:06.789Z');
      const tok = await c.post(`/v1/organizations/${o.body.id}/tokens`, op, { name: 'clocked' });
      expect(tok.status).toBe(201);
      const stored = await t.db.query<{ at: string }>('SELECT created_at AS at FROM tokens WHERE id = $1', [tok.body.id]);
      expect(new Date(stored[0].at).toISOString()).toBe('2026-02-03T04:05:06.789Z');
    });

    it('registers a drug, unverified, for the calling manufacturer', async () => {
      const res = await c.post('/v1/products', m1.h, drug());
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/v1/products/${res.body.id}`);
      expect(res.body).toMatchObject({
        manufacturerId: m1.id, genericName: 'amlodipine besylate', dosageForm: 'tablet', category: 'drug',
        strength: { value: '5', unit: 'mg' }, packSize: 28, approvalNumber: '国药准字H20000001',
        qualityTier: 'consistency_passed', verified: false, verifiedAt: null,
      });
      expect(typeof res.body.id).toBe('string');
      const got = await c.get(`/v1/products/${res.body.id}`, hospital.h);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
      expect(await count(t.db, 'products', 'id = $1 AND manufacturer_id = $2 AND NOT verified', [res.body.id, m1.id])).toBe(1);
    });

    it('keeps decimal strengths exact', async () => {
      const res = await c.post('/v1/products', m1.h, drug({ genericName: 'decimal', strength: { value: '0.25', unit: 'g' } }));
      expect(res.status).toBe(201);
      expect(res.body.strength).toEqual({ value: '0.25', unit: 'g' });
    });

    it('accepts every spelling of a unit and stores it canonically', async () => {
      const cases: [string, string][] = [
        ['\u00b5g', '\u00b5g'], ['\u03bcg', '\u00b5g'], ['mcg', '\u00b5g'], ['ug', '\u00b5g'], ['MCG', '\u00b5g'],
        ['MG', 'mg'], ['Mg', 'mg'], ['G', 'g'], ['ML', 'ml'], ['L', 'l'], ['iu', 'IU'], ['u', 'U'],
      ];
      for (const [unit, canonical] of cases) {
        const res = await c.post('/v1/products', m2.h, drug({ genericName: `unit ${unit}`, strength: { value: '100', unit } }));
        expect(res.status, `${unit}: ${JSON.stringify(res.body)}`).toBe(201);
        expect(res.body.strength).toEqual({ value: '100', unit: canonical });
        const rows = await t.db.query<{ strength_unit: string }>('SELECT strength_unit FROM products WHERE id = $1', [res.body.id]);
        expect(rows[0].strength_unit).toBe(canonical);
      }
    });

    it('refuses unknown units and drugs without a strength, writing nothing', async () => {
      const before = await count(t.db, 'products');
      for (const unit of ['grain', 'mgs', 'kg', 'µl', 'tablet']) {
        const b = expectProblem(await c.post('/v1/products', m1.h, drug({ strength: { value: '5', unit } })), 422, 'validation');
        expect(b.errors.map((e: any) => e.path)).toEqual(['/strength/unit']);
      }
      const noStrength = { ...drug() } as Record<string, unknown>;
      delete noStrength.strength;
      const b = expectProblem(await c.post('/v1/products', m1.h, invalid(noStrength)), 422, 'validation');
      expect(b.errors.map((e: any) => e.path)).toEqual(['/strength']);
      const zero = expectProblem(await c.post('/v1/products', m1.h, drug({ strength: { value: '0', unit: 'mg' } })), 422, 'validation');
      expect(zero.errors.map((e: any) => e.path)).toEqual(['/strength/value']);
      const tier = expectProblem(await c.post('/v1/products', m1.h, drug({ qualityTier: 'A' })), 422, 'validation');
      expect(tier.errors.map((e: any) => e.path)).toEqual(['/qualityTier']);
      expect(await count(t.db, 'products')).toBe(before);
    });

    it('registers a consumable with its own tier and no strength', async () => {
      const res = await c.post('/v1/products', m2.h, stent());
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ category: 'consumable', strength: null, qualityTier: 'A', packSize: 1, verified: false, manufacturerId: m2.id });
      const before = await count(t.db, 'products');
      const b = expectProblem(await c.post('/v1/products', m2.h, stent({ strength: { value: '3', unit: 'mg' } })), 422, 'validation');
      expect(b.errors.map((e: any) => e.path)).toEqual(['/strength']);
      expect(await count(t.db, 'products')).toBe(before);
    });

    it('refuses malformed bodies with 400, writing nothing', async () => {
      const before = await count(t.db, 'products');
      for (const packSize of [0, 1.5, '10', -1, null]) {
        const b = expectProblem(await c.post('/v1/products', m1.h, invalid({ ...drug(), packSize })), 400, 'validation');
        expect(b.errors.map((e: any) => e.path)).toContain('/packSize');
      }
      for (const strength of [{ value: 5, unit: 'mg' }, { value: '-1', unit: 'mg' }, { value: '1,5', unit: 'mg' }, { value: '5' }, '5 mg']) {
        expectProblem(await c.post('/v1/products', m1.h, invalid({ ...drug(), strength })), 400, 'validation');
      }
      expectProblem(await c.post('/v1/products', m1.h, invalid({ ...drug(), category: 'device' })), 400, 'validation');
      expectProblem(await c.post('/v1/products', m1.h, drug({ genericName: '' })), 400, 'validation');
      expectProblem(await c.post('/v1/products', m1.h, invalid({ ...drug(), price: '1.00' })), 400, 'validation');
      const missing = expectProblem(await c.post('/v1/products', m1.h, invalid({ category: 'drug' })), 400, 'validation');
      expect(missing.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['/genericName', '/dosageForm', '/packSize', '/approvalNumber', '/qualityTier']));
      expectProblem(await c.raw('POST', '/v1/products', m1.h, '{"genericName":', 'application/json'), 400, 'validation');
      expectProblem(await c.raw('POST', '/v1/products', m1.h, 'genericName\nx\n', 'text/csv'), 415, 'unsupported-media-type');
      expect(await count(t.db, 'products')).toBe(before);
    });

    it('is for manufacturers only', async () => {
      const before = await count(t.db, 'products');
      expectProblem(await c.post('/v1/products', hospital.h, drug()), 403, 'forbidden');
      expectProblem(await c.post('/v1/products', alliance.h, drug()), 403, 'forbidden');
      expectProblem(await c.post('/v1/products', op, drug()), 403, 'forbidden');
      expectProblem(await c.post('/v1/products', {}, drug()), 401, 'unauthorized');
      expect(await count(t.db, 'products')).toBe(before);
    });
  });

  describe('POST /v1/products/{id}/verify', () => {
    const events = async () => (await c.get('/v1/audit/verify', op)).body.events as number;

    it('is done by the operator or an alliance, once', async () => {
      const a = (await c.post('/v1/products', m1.h, drug({ genericName: 'verify a' }))).body;
      const b = (await c.post('/v1/products', m2.h, drug({ genericName: 'verify b' }))).body;
      const before = await events();
      t.clock.set('2026-03-02T08:00:00Z');
      const byOp = await c.post(`/v1/products/${a.id}/verify`, op);
      expect(byOp.status).toBe(200);
      expect(byOp.body).toMatchObject({ id: a.id, verified: true, verifiedAt: '2026-03-02T08:00:00.000Z', manufacturerId: m1.id });
      const byAlliance = await c.post(`/v1/products/${b.id}/verify`, alliance.h);
      expect(byAlliance.status).toBe(200);
      expect(byAlliance.body.verified).toBe(true);
      expect(await events()).toBe(before + 2);
      // Verifying again changes nothing and logs nothing.
      t.clock.set('2026-03-03T08:00:00Z');
      const again = await c.post(`/v1/products/${a.id}/verify`, alliance.h);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(byOp.body);
      expect(await events()).toBe(before + 2);
      expect(await count(t.db, 'products', 'id = ANY($1) AND verified', [[a.id, b.id]])).toBe(2);
      expect((await c.get(`/v1/products/${a.id}`, m1.h)).body.verified).toBe(true);
    });

    it('is refused to manufacturers and hospitals, and 404 for an unknown product', async () => {
      const p = (await c.post('/v1/products', m1.h, drug({ genericName: 'verify refused' }))).body;
      expectProblem(await c.post(`/v1/products/${p.id}/verify`, m1.h), 403, 'forbidden');
      expectProblem(await c.post(`/v1/products/${p.id}/verify`, m2.h), 403, 'forbidden');
      expectProblem(await c.post(`/v1/products/${p.id}/verify`, hospital.h), 403, 'forbidden');
      expectProblem(await c.post(`/v1/products/${p.id}/verify`, {}), 401, 'unauthorized');
      expectProblem(await c.post('/v1/products/prd_missing/verify', op), 404, 'not-found');
      expectProblem(await c.post('/v1/products/prd_missing/verify', m1.h), 404, 'not-found');
      expect(await count(t.db, 'products', 'id = $1 AND NOT verified', [p.id])).toBe(1);
    });
  });

  describe('GET /v1/products', () => {
    it('filters by manufacturer and generic name', async () => {
      for (const n of ['1', '2', '3']) await c.post('/v1/products', m2.h, drug({ genericName: 'losartan potassium', approvalNumber: `L${n}` }));
      await c.post('/v1/products', m1.h, drug({ genericName: 'losartan potassium', approvalNumber: 'L4' }));
      const byName = await c.get('/v1/products?genericName=losartan%20potassium', hospital.h);
      expect(byName.status).toBe(200);
      expect(byName.body.data.map((p: any) => p.approvalNumber).sort()).toEqual(['L1', 'L2', 'L3', 'L4']);
      expect(byName.body.nextCursor).toBeNull();
      const both = await c.get(`/v1/products?genericName=losartan%20potassium&manufacturerId=${m1.id}`, alliance.h);
      expect(both.body.data.map((p: any) => p.approvalNumber)).toEqual(['L4']);
      const mine = await c.get(`/v1/products?manufacturerId=${m1.id}&limit=1000`, m2.h);
      expect(mine.body.data).toHaveLength(await count(t.db, 'products', 'manufacturer_id = $1', [m1.id]));
      expect(mine.body.data.every((p: any) => p.manufacturerId === m1.id)).toBe(true);
      expect((await c.get('/v1/products?genericName=nothing', op)).body).toEqual({ data: [], nextCursor: null });
      expectProblem(await c.get('/v1/products', {}), 401, 'unauthorized');
    });

    it('pages without overlap', async () => {
      const total = await count(t.db, 'products');
      expect(total).toBeGreaterThan(4);
      const seen: string[] = [];
      let url = '/v1/products?limit=2';
      for (let i = 0; i < 100; i++) {
        const res = await c.get(url, m1.h);
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data.map((p: any) => p.id));
        if (res.body.nextCursor === null) break;
        url = `/v1/products?limit=2&cursor=${encodeURIComponent(res.body.nextCursor)}`;
      }
      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      const filtered = await c.get(`/v1/products?manufacturerId=${m2.id}&genericName=losartan%20potassium&limit=2`, op);
      expect(filtered.body.data).toHaveLength(2);
      const next = await c.get(`/v1/products?manufacturerId=${m2.id}&genericName=losartan%20potassium&limit=2&cursor=${encodeURIComponent(filtered.body.nextCursor!)}`, op);
      expect(next.body.data).toHaveLength(1);
      expect(next.body.nextCursor).toBeNull();
      expect(filtered.body.data.map((p: any) => p.id)).not.toContain(next.body.data[0].id);
      expectProblem(await c.get('/v1/products?limit=0', op), 400, 'validation');
      expectProblem(await c.get('/v1/products?limit=1001', op), 400, 'validation');
      expectProblem(await c.get('/v1/products?cursor=forged', op), 400, 'validation');
    });
  });

  describe('GET /v1/products/{id}', () => {
    it('shows a product to every role, 404 for an unknown id, 401 without a token', async () => {
      const p = await c.post('/v1/products', m1.h, drug({ genericName: 'read me' }));
      expect(p.status).toBe(201);
      for (const who of [op, alliance.h, hospital.h, m1.h, m2.h]) {
        const res = await c.get(`/v1/products/${p.body.id}`, who);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(p.body);
      }
      expectProblem(await c.get('/v1/products/prd_missing', op), 404, 'not-found');
      expectProblem(await c.get(`/v1/products/${'x'.repeat(65)}`, op), 400, 'validation');
      expectProblem(await c.get(`/v1/products/${p.body.id}`, {}), 401, 'unauthorized');
    });
  });
});
