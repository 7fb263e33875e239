import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemInput } from '../../src/rounds/schemas.js';
import { count, expectProblem, invalid, op } from '../helpers.js';
import { item, maker, round, world, type Maker, type World } from './round-fixture.js';

/** API.md "Rounds": POST/GET /v1/rounds/{id}/items, on the shared world (sc lies outside the alliance). */

/** The item under test: no strengthPriceRatio (its default is the subject of a test), prices without 4 places. */
const drug = (over: Partial<ItemInput> = {}): ItemInput => item('ATV20', { strengthPriceRatio: undefined, maxUnitPrice: '3', baselineUnitPrice: '2.5', ...over });
const stent = (over: Partial<ItemInput> = {}): ItemInput => ({
  code: 'STENT', genericName: 'coronary stent', dosageForm: 'drug-eluting', category: 'consumable', unit: 'piece',
  maxUnitPrice: '2850', baselineUnitPrice: '13000', eligibleQualityTiers: ['class_iii'], ...over,
});
/** A body off its schema or its rules (rows of the refusal table). */
const off = (body: ItemInput, over: Record<string, unknown>) => invalid({ ...body, ...over });

describe('round items API', () => {
  let w: World;
  let m: Maker;
  let draft: string, other: string;

  const items = (round: string, where = 'true', params: unknown[] = []) =>
    count(w.t.db, 'items', `round_id = $1 AND ${where}`, [round, ...params]);

  beforeAll(async () => {
    w = await world();
    m = await maker(w);
    draft = (await round(w, { items: [], state: 'draft' })).id;
    other = (await round(w, { items: [], state: 'draft' })).id;
  });
  afterAll(async () => { await w?.t.close(); });

  describe('POST /v1/rounds/{id}/items', () => {
    it('adds a drug item in draft with 4-place decimals and the default strength price ratio', async () => {
      const r = await w.api.post(`/v1/rounds/${draft}/items`, w.alliance.h, drug());
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toEqual({
        code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
        referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7000', maxUnitPrice: '3.0000',
        baselineUnitPrice: '2.5000', agreedVolumeRatio: null, eligibleQualityTiers: null,
      });
      expect(await items(draft)).toBe(1);
    });

    it('keeps given ratios and rounds output half up to 4 places', async () => {
      const r = await w.api.post(`/v1/rounds/${draft}/items`, w.alliance.h, drug({
        code: 'ATV10', referenceStrength: { value: '10', unit: 'mg' }, strengthPriceRatio: '1.5',
        maxUnitPrice: '2.71828', baselineUnitPrice: '0.00005', agreedVolumeRatio: '0.6', eligibleQualityTiers: ['originator'],
      }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({
        strengthPriceRatio: '1.5000', maxUnitPrice: '2.7183', baselineUnitPrice: '0.0001', agreedVolumeRatio: '0.6000',
        eligibleQualityTiers: ['originator'],
      });
    });

    it('adds a consumable without a strength', async () => {
      const r = await w.api.post(`/v1/rounds/${draft}/items`, w.alliance.h, stent());
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({ code: 'STENT', category: 'consumable', referenceStrength: null, maxUnitPrice: '2850.0000', eligibleQualityTiers: ['class_iii'] });
    });

    it('refuses a duplicate code in the same round but allows it in another round', async () => {
      const p = expectProblem(await w.api.post(`/v1/rounds/${draft}/items`, w.alliance.h, drug({ maxUnitPrice: '9' })), 422, 'validation');
      expect(p.errors).toContainEqual(expect.objectContaining({ path: '/code' }));
      expect(await items(draft, 'code = $2', ['ATV20'])).toBe(1);
      expect((await w.api.get(`/v1/rounds/${draft}/items`, w.alliance.h)).body.data.find((i) => i.code === 'ATV20')?.maxUnitPrice).toBe('3.0000');
      expect((await w.api.post(`/v1/rounds/${other}/items`, w.alliance.h, drug())).status).toBe(201);
      expect(await items(other, 'code = $2', ['ATV20'])).toBe(1);
    });

    it.each([
      ['a drug without referenceStrength', off(drug({ code: 'X1' }), { referenceStrength: undefined }), 422, '/referenceStrength'],
      ['a drug with a null referenceStrength', off(drug({ code: 'X1' }), { referenceStrength: null }), 422, '/referenceStrength'],
      ['a consumable with a strength', off(stent({ code: 'X1' }), { referenceStrength: { value: '1', unit: 'mg' } }), 422, '/referenceStrength'],
      ['an unknown strength unit', off(drug({ code: 'X1' }), { referenceStrength: { value: '20', unit: 'furlong' } }), 422, '/referenceStrength/unit'],
      ['a zero strength', off(drug({ code: 'X1' }), { referenceStrength: { value: '0', unit: 'mg' } }), 422, '/referenceStrength/value'],
      ['a zero maxUnitPrice', off(drug({ code: 'X1' }), { maxUnitPrice: '0' }), 422, '/maxUnitPrice'],
      ['a zero baselineUnitPrice', off(drug({ code: 'X1' }), { baselineUnitPrice: '0.0000' }), 422, '/baselineUnitPrice'],
      ['a zero strengthPriceRatio', off(drug({ code: 'X1' }), { strengthPriceRatio: '0' }), 422, '/strengthPriceRatio'],
      ['agreedVolumeRatio 1.2', off(drug({ code: 'X1' }), { agreedVolumeRatio: '1.2' }), 422, '/agreedVolumeRatio'],
      ['agreedVolumeRatio 0', off(drug({ code: 'X1' }), { agreedVolumeRatio: '0' }), 422, '/agreedVolumeRatio'],
      ['a negative maxUnitPrice', off(drug({ code: 'X1' }), { maxUnitPrice: '-3' }), 400, '/maxUnitPrice'],
      ['a price as a JSON number', off(drug({ code: 'X1' }), { maxUnitPrice: 3 }), 400, '/maxUnitPrice'],
      ['a ratio as a JSON number', off(drug({ code: 'X1' }), { agreedVolumeRatio: 0.5 }), 400, '/agreedVolumeRatio'],
      ['a price with letters', off(drug({ code: 'X1' }), { baselineUnitPrice: '2.5e1' }), 400, '/baselineUnitPrice'],
      ['a missing maxUnitPrice', off(drug({ code: 'X1' }), { maxUnitPrice: undefined }), 400, '/maxUnitPrice'],
      ['an unknown category', off(drug({ code: 'X1' }), { category: 'device' }), 400, '/category'],
      ['a bad item code', off(drug(), { code: 'has space' }), 400, '/code'],
      ['an unknown field', off(drug({ code: 'X1' }), { colour: 'red' }), 400, '/colour'],
    ])('refuses %s, writing nothing', async (_name, input, status, path) => {
      const before = await items(draft);
      const events = await count(w.t.db, 'audit_events', 'chain = $1', [draft]);
      const p = expectProblem(await w.api.post(`/v1/rounds/${draft}/items`, w.alliance.h, input), status, 'validation');
      expect(p.errors.map((e: any) => e.path)).toContain(path);
      expect(await items(draft)).toBe(before);
      expect(await count(w.t.db, 'audit_events', 'chain = $1', [draft])).toBe(events);
    });

    it('answers 401, 404 and 403 by caller before the round is published', async () => {
      const before = await items(draft);
      expectProblem(await w.api.post(`/v1/rounds/${draft}/items`, {}, drug({ code: 'Z' })), 401, 'unauthorized');
      for (const who of [w.otherAlliance, w.hospitals.gz1, m]) expectProblem(await w.api.post(`/v1/rounds/${draft}/items`, who.h, drug({ code: 'Z' })), 404, 'not-found');
      expectProblem(await w.api.post(`/v1/rounds/${draft}/items`, op, drug({ code: 'Z' })), 403, 'forbidden');
      expectProblem(await w.api.post('/v1/rounds/rnd_missing/items', w.alliance.h, drug({ code: 'Z' })), 404, 'not-found');
      expect(await items(draft)).toBe(before);
    });

    it('adds items in demand, refuses other roles with 403, and refuses items once bidding', async () => {
      expect((await w.api.post(`/v1/rounds/${draft}/publish`, w.alliance.h)).status).toBe(200);
      const r = await w.api.post(`/v1/rounds/${draft}/items`, w.alliance.h, drug({ code: 'LATE' }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(await items(draft, 'code = $2', ['LATE'])).toBe(1);
      const before = await items(draft);
      for (const who of [w.hospitals.gz1.h, m.h, op]) expectProblem(await w.api.post(`/v1/rounds/${draft}/items`, who, drug({ code: 'Z' })), 403, 'forbidden');
      expectProblem(await w.api.post(`/v1/rounds/${draft}/items`, w.hospitals.sc.h, drug({ code: 'Z' })), 404, 'not-found');
      expectProblem(await w.api.post(`/v1/rounds/${draft}/items`, w.otherAlliance.h, drug({ code: 'Z' })), 404, 'not-found');
      expect((await w.api.post(`/v1/rounds/${draft}/start-bidding`, w.alliance.h)).status).toBe(200);
      expectProblem(await w.api.post(`/v1/rounds/${draft}/items`, w.alliance.h, drug({ code: 'Z' })), 409, 'invalid-state');
      expect(await items(draft)).toBe(before);
      expect((await w.api.get(`/v1/rounds/${draft}/items`, m.h)).body.data).toHaveLength(before);
    });

    it('records each added item in the audit chain', async () => {
      const ev = (await w.api.get(`/v1/rounds/${other}/audit`, w.alliance.h)).body.data;
      expect(ev.map((e: any) => e.type)).toEqual(['round.created', 'item.added']);
      expect(ev[1].data).toMatchObject({ code: 'ATV20', maxUnitPrice: '3.0000' });
    });
  });

  describe('GET /v1/rounds/{id}/items', () => {
    let listed: string;
    beforeAll(async () => {
      listed = (await round(w, { items: [drug({ code: 'ATV10' }), drug(), stent()], state: 'draft' })).id;
    });

    it('lists items to participants only', async () => {
      const mine = await w.api.get(`/v1/rounds/${listed}/items`, w.alliance.h);
      expect(mine.status).toBe(200);
      expect(mine.body.data.map((i: any) => i.code)).toEqual(['ATV10', 'ATV20', 'STENT']);
      expect(mine.body.nextCursor).toBeNull();
      expect((await w.api.get(`/v1/rounds/${listed}/items`, op)).body.data).toEqual(mine.body.data);
      for (const who of [w.otherAlliance, w.hospitals.gz1, w.hospitals.sc, m]) expectProblem(await w.api.get(`/v1/rounds/${listed}/items`, who.h), 404, 'not-found');
      expectProblem(await w.api.get(`/v1/rounds/${listed}/items`, {}), 401, 'unauthorized');
      const page = await w.api.get(`/v1/rounds/${listed}/items?limit=2`, w.alliance.h);
      expect(page.body.data.map((i: any) => i.code)).toEqual(['ATV10', 'ATV20']);
      const rest = await w.api.get(`/v1/rounds/${listed}/items?limit=2&cursor=${page.body.nextCursor}`, w.alliance.h);
      expect(rest.body.data.map((i: any) => i.code)).toEqual(['STENT']);
      expect(rest.body.nextCursor).toBeNull();

      expect((await w.api.post(`/v1/rounds/${listed}/publish`, w.alliance.h)).status).toBe(200);
      for (const who of [w.hospitals.gz1, m]) expect((await w.api.get(`/v1/rounds/${listed}/items`, who.h)).body.data).toEqual(mine.body.data);
      for (const who of [w.otherAlliance, w.hospitals.sc]) expectProblem(await w.api.get(`/v1/rounds/${listed}/items`, who.h), 404, 'not-found');
    });

    it('refuses bad paging with 400', async () => {
      for (const q of ['limit=0', 'limit=1001', 'cursor=garbage']) {
        expectProblem(await w.api.get(`/v1/rounds/${listed}/items?${q}`, w.alliance.h), 400, 'validation');
      }
    });
  });
});
