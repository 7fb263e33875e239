import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, count, expectProblem, op, org, testApp, type Client, type TestApp } from '../helpers.js';

/** API.md "Rounds": POST/GET /v1/rounds/{id}/items. */

type Org = { id: string; h: Record<string, string> };

const drug = (over: Record<string, unknown> = {}) => ({
  code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
  referenceStrength: { value: '20', unit: 'mg' }, maxUnitPrice: '3', baselineUnitPrice: '2.5', ...over,
});
const stent = (over: Record<string, unknown> = {}) => ({
  code: 'STENT', genericName: 'coronary stent', dosageForm: 'drug-eluting', category: 'consumable', unit: 'piece',
  maxUnitPrice: '2850', baselineUnitPrice: '13000', eligibleQualityTiers: ['class_iii'], ...over,
});

describe('round items API', () => {
  let t: TestApp;
  let c: Client;
  let a: Org, b: Org, hIn: Org, hOut: Org, m: Org;
  let draft: string, other: string;

  const newRound = async () => (await c.post('/v1/rounds', a.h, {
    name: 'R', rules: { preset: 'nvbp' }, bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: '2026-03-20T00:00:00Z', contractMonths: 12,
  })).body.id as string;
  const items = (round: string, where = 'true', params: unknown[] = []) =>
    count(t.db, 'items', `round_id = $1 AND ${where}`, [round, ...params]);

  beforeAll(async () => {
    t = await testApp();
    c = client(t.app);
    a = await org(c, { kind: 'alliance', name: 'A', regionCode: '440000', regionCodes: ['440000'] });
    b = await org(c, { kind: 'alliance', name: 'B', regionCode: '320000', regionCodes: ['320000'] });
    hIn = await org(c, { kind: 'hospital', name: 'in', regionCode: '440103' });
    hOut = await org(c, { kind: 'hospital', name: 'out', regionCode: '320102' });
    m = await org(c, { kind: 'manufacturer', name: 'M', regionCode: '310000' });
    draft = await newRound();
    other = await newRound();
  });
  afterAll(async () => { await t?.close(); });

  it('adds a drug item in draft with 4-place decimals and the default strength price ratio', async () => {
    const r = await c.post(`/v1/rounds/${draft}/items`, a.h, drug());
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toEqual({
      code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
      referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7000', maxUnitPrice: '3.0000',
      baselineUnitPrice: '2.5000', agreedVolumeRatio: null, eligibleQualityTiers: null,
    });
    expect(await items(draft)).toBe(1);
  });

  it('keeps given ratios and rounds output half up to 4 places', async () => {
    const r = await c.post(`/v1/rounds/${draft}/items`, a.h, drug({
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
    const r = await c.post(`/v1/rounds/${draft}/items`, a.h, stent());
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ code: 'STENT', category: 'consumable', referenceStrength: null, maxUnitPrice: '2850.0000', eligibleQualityTiers: ['class_iii'] });
  });

  it('refuses a duplicate code in the same round but allows it in another round', async () => {
    const p = expectProblem(await c.post(`/v1/rounds/${draft}/items`, a.h, drug({ maxUnitPrice: '9' })), 422, 'validation');
    expect(p.errors).toContainEqual(expect.objectContaining({ path: '/code' }));
    expect(await items(draft, 'code = $2', ['ATV20'])).toBe(1);
    expect((await c.get(`/v1/rounds/${draft}/items`, a.h)).body.data.find((i: any) => i.code === 'ATV20').maxUnitPrice).toBe('3.0000');
    expect((await c.post(`/v1/rounds/${other}/items`, a.h, drug())).status).toBe(201);
    expect(await items(other, 'code = $2', ['ATV20'])).toBe(1);
  });

  it.each([
    ['a drug without referenceStrength', drug({ code: 'X1', referenceStrength: undefined }), 422, '/referenceStrength'],
    ['a drug with a null referenceStrength', drug({ code: 'X1', referenceStrength: null }), 422, '/referenceStrength'],
    ['a consumable with a strength', stent({ code: 'X1', referenceStrength: { value: '1', unit: 'mg' } }), 422, '/referenceStrength'],
    ['an unknown strength unit', drug({ code: 'X1', referenceStrength: { value: '20', unit: 'furlong' } }), 422, '/referenceStrength/unit'],
    ['a zero strength', drug({ code: 'X1', referenceStrength: { value: '0', unit: 'mg' } }), 422, '/referenceStrength/value'],
    ['a zero maxUnitPrice', drug({ code: 'X1', maxUnitPrice: '0' }), 422, '/maxUnitPrice'],
    ['a zero baselineUnitPrice', drug({ code: 'X1', baselineUnitPrice: '0.0000' }), 422, '/baselineUnitPrice'],
    ['a zero strengthPriceRatio', drug({ code: 'X1', strengthPriceRatio: '0' }), 422, '/strengthPriceRatio'],
    ['agreedVolumeRatio 1.2', drug({ code: 'X1', agreedVolumeRatio: '1.2' }), 422, '/agreedVolumeRatio'],
    ['agreedVolumeRatio 0', drug({ code: 'X1', agreedVolumeRatio: '0' }), 422, '/agreedVolumeRatio'],
    ['a negative maxUnitPrice', drug({ code: 'X1', maxUnitPrice: '-3' }), 400, '/maxUnitPrice'],
    ['a price as a JSON number', drug({ code: 'X1', maxUnitPrice: 3 }), 400, '/maxUnitPrice'],
    ['a ratio as a JSON number', drug({ code: 'X1', agreedVolumeRatio: 0.5 }), 400, '/agreedVolumeRatio'],
    ['a price with letters', drug({ code: 'X1', baselineUnitPrice: '2.5e1' }), 400, '/baselineUnitPrice'],
    ['a missing maxUnitPrice', drug({ code: 'X1', maxUnitPrice: undefined }), 400, '/maxUnitPrice'],
    ['an unknown category', drug({ code: 'X1', category: 'device' }), 400, '/category'],
    ['a bad item code', drug({ code: 'has space' }), 400, '/code'],
    ['an unknown field', drug({ code: 'X1', colour: 'red' }), 400, '/colour'],
  ])('refuses %s, writing nothing', async (_name, input, status, path) => {
    const before = await items(draft);
    const events = await count(t.db, 'audit_events', 'chain = $1', [draft]);
    const p = expectProblem(await c.post(`/v1/rounds/${draft}/items`, a.h, input), status, 'validation');
    expect(p.errors.map((e: any) => e.path)).toContain(path);
    expect(await items(draft)).toBe(before);
    expect(await count(t.db, 'audit_events', 'chain = $1', [draft])).toBe(events);
  });

  it('answers 401, 404 and 403 by caller before the round is published', async () => {
    const before = await items(draft);
    expectProblem(await c.post(`/v1/rounds/${draft}/items`, {}, drug({ code: 'Z' })), 401, 'unauthorized');
    for (const who of [b, hIn, m]) expectProblem(await c.post(`/v1/rounds/${draft}/items`, who.h, drug({ code: 'Z' })), 404, 'not-found');
    expectProblem(await c.post(`/v1/rounds/${draft}/items`, op, drug({ code: 'Z' })), 403, 'forbidden');
    expectProblem(await c.post('/v1/rounds/rnd_missing/items', a.h, drug({ code: 'Z' })), 404, 'not-found');
    expect(await items(draft)).toBe(before);
  });

  it('lists items to participants only', async () => {
    const mine = await c.get(`/v1/rounds/${draft}/items`, a.h);
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((i: any) => i.code)).toEqual(['ATV10', 'ATV20', 'STENT']);
    expect(mine.body.nextCursor).toBeNull();
    expect((await c.get(`/v1/rounds/${draft}/items`, op)).body.data).toEqual(mine.body.data);
    for (const who of [b, hIn, hOut, m]) expectProblem(await c.get(`/v1/rounds/${draft}/items`, who.h), 404, 'not-found');
    expectProblem(await c.get(`/v1/rounds/${draft}/items`, {}), 401, 'unauthorized');
    const page = await c.get(`/v1/rounds/${draft}/items?limit=2`, a.h);
    expect(page.body.data.map((i: any) => i.code)).toEqual(['ATV10', 'ATV20']);
    const rest = await c.get(`/v1/rounds/${draft}/items?limit=2&cursor=${page.body.nextCursor}`, a.h);
    expect(rest.body.data.map((i: any) => i.code)).toEqual(['STENT']);
    expect(rest.body.nextCursor).toBeNull();

    expect((await c.post(`/v1/rounds/${draft}/publish`, a.h)).status).toBe(200);
    for (const who of [hIn, m]) expect((await c.get(`/v1/rounds/${draft}/items`, who.h)).body.data).toEqual(mine.body.data);
    for (const who of [b, hOut]) expectProblem(await c.get(`/v1/rounds/${draft}/items`, who.h), 404, 'not-found');
  });

  it('adds items in demand, refuses other roles with 403, and refuses items once bidding', async () => {
    const r = await c.post(`/v1/rounds/${draft}/items`, a.h, drug({ code: 'LATE' }));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(await items(draft, 'code = $2', ['LATE'])).toBe(1);
    const before = await items(draft);
    for (const who of [hIn.h, m.h, op]) expectProblem(await c.post(`/v1/rounds/${draft}/items`, who, drug({ code: 'Z' })), 403, 'forbidden');
    expectProblem(await c.post(`/v1/rounds/${draft}/items`, hOut.h, drug({ code: 'Z' })), 404, 'not-found');
    expectProblem(await c.post(`/v1/rounds/${draft}/items`, b.h, drug({ code: 'Z' })), 404, 'not-found');
    expect((await c.post(`/v1/rounds/${draft}/start-bidding`, a.h)).status).toBe(200);
    expectProblem(await c.post(`/v1/rounds/${draft}/items`, a.h, drug({ code: 'Z' })), 409, 'invalid-state');
    expect(await items(draft)).toBe(before);
    expect((await c.get(`/v1/rounds/${draft}/items`, m.h)).body.data).toHaveLength(before);
  });

  it('records each added item in the audit chain', async () => {
    const ev = (await c.get(`/v1/rounds/${other}/audit`, a.h)).body.data;
    expect(ev.map((e: any) => e.type)).toEqual(['round.created', 'item.added']);
    expect(ev[1].data).toMatchObject({ code: 'ATV20', maxUnitPrice: '3.0000' });
  });
});
