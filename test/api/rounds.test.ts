import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, count, expectProblem, op, org, testApp, type Client, type TestApp } from '../helpers.js';

/**
 * API.md "Rounds" (create, read, patch) and DOMAIN.md "Regions" / the rules object of a round. The parties are
 * this file's own: region prefixes (a city 130100 over its counties, a county alone) are what it tests.
 */

type Org = { id: string; h: Record<string, string> };

const WINDOW = { bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: '2026-03-20T00:00:00Z' };
const body = (rules: Record<string, unknown> = { preset: 'nvbp' }, extra: Record<string, unknown> = {}) =>
  ({ name: '阿托伐他汀', rules, ...WINDOW, contractMonths: 12, ...extra });

// DOMAIN.md "The rules object of a round", written out here so a drift in src/rules/presets.ts fails.
const NVBP = {
  preset: 'nvbp',
  eligibleQualityTiers: ['originator', 'reference', 'consistency_passed'],
  minBidders: 1, anchor: 'lowest', spreadCap: '1.8',
  priceFloor: '0.10', dropFromMax: '0.5', excludeHighest: true,
  maxWinners: [[1, 1], [2, 2], [4, 3], [5, 4], [7, 5], [8, 6], [9, 7], [10, 8], [11, 9], [12, 10]],
  agreedVolumeRatios: [[1, '0.5'], [2, '0.6'], [3, '0.7'], [4, '0.8']],
  regionLevel: 'province', noticeMinutes: 0,
  monitoring: { graceMonths: 3, minProgress: '0.8', maxNonWinningShare: '0.3', minFulfilment: '0.95', maxDeliveryGap: '0.05' },
};
const PILOT = {
  ...NVBP, preset: 'pilot-4+7', maxWinners: [[1, 1]], agreedVolumeRatios: [[1, '0.6']],
  spreadCap: null, priceFloor: null, dropFromMax: null, excludeHighest: false,
};
const ANCHOR = { ...NVBP, preset: 'anchor-2025', anchor: 'half_mean', dropFromMax: null };

describe('rounds API', () => {
  let t: TestApp;
  let c: Client;
  let a: Org, b: Org, cty: Org, m: Org;
  const h: Record<string, Org> = {};

  beforeAll(async () => {
    t = await testApp();
    c = client(t.app);
    a = await org(c, { kind: 'alliance', name: 'A', regionCode: '440000', regionCodes: ['440000', '130100'] });
    b = await org(c, { kind: 'alliance', name: 'B', regionCode: '320000', regionCodes: ['320000'] });
    cty = await org(c, { kind: 'alliance', name: 'county', regionCode: '130110', regionCodes: ['130110'] });
    m = await org(c, { kind: 'manufacturer', name: 'M', regionCode: '310000' });
    for (const code of ['440103', '130102', '130200', '130110', '130111', '320102']) {
      h[code] = await org(c, { kind: 'hospital', name: `h${code}`, regionCode: code });
    }
  });
  afterAll(async () => { await t?.close(); });

  describe('POST /v1/rounds', () => {
    it.each([['nvbp', NVBP], ['pilot-4+7', PILOT], ['anchor-2025', ANCHOR]])('resolves preset %s as DOMAIN.md writes it', async (preset, rules) => {
      const r = await c.post('/v1/rounds', a.h, body({ preset }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.headers.location).toBe(`/v1/rounds/${r.body.id}`);
      expect(r.body).toMatchObject({
        allianceId: a.id, state: 'draft', name: '阿托伐他汀', contractMonths: 12, contractStart: null,
        bidOpensAt: '2026-03-10T00:00:00.000Z', bidClosesAt: '2026-03-20T00:00:00.000Z', regionCodes: ['440000', '130100'],
        openedAt: null, awardedAt: null,
      });
      expect(r.body.rules).toEqual(rules);
      expect((await c.get(`/v1/rounds/${r.body.id}`, a.h)).body.rules).toEqual(rules);
    });

    it('replaces whole top-level fields and merges monitoring field by field', async () => {
      const r = await c.post('/v1/rounds', a.h, body({
        preset: 'pilot-4+7', maxWinners: [[1, 1], [3, 2]], agreedVolumeRatios: [[1, '0.5'], [2, '0.7']],
        spreadCap: '2.0', eligibleQualityTiers: ['originator'], monitoring: { graceMonths: 6, minProgress: '0.9' },
      }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.rules).toEqual({
        ...PILOT, maxWinners: [[1, 1], [3, 2]], agreedVolumeRatios: [[1, '0.5'], [2, '0.7']], spreadCap: '2.0',
        eligibleQualityTiers: ['originator'],
        monitoring: { ...NVBP.monitoring, graceMonths: 6, minProgress: '0.9' },
      });
    });

    it('lets the operator create a round for a named alliance, and only then', async () => {
      const r = await c.post('/v1/rounds', op, body({ preset: 'nvbp' }, { allianceId: b.id, contractStart: '2026-01' }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({ allianceId: b.id, state: 'draft', regionCodes: ['320000'], contractStart: '2026-01' });
      expect((await c.get(`/v1/rounds/${r.body.id}`, b.h)).status).toBe(200);
      const before = await count(t.db, 'rounds');
      const p = expectProblem(await c.post('/v1/rounds', op, body()), 422, 'validation');
      expect(p.errors).toContainEqual(expect.objectContaining({ path: '/allianceId' }));
      expectProblem(await c.post('/v1/rounds', op, body({ preset: 'nvbp' }, { allianceId: h['440103'].id })), 422, 'validation');
      expectProblem(await c.post('/v1/rounds', a.h, body({ preset: 'nvbp' }, { allianceId: b.id })), 422, 'validation');
      expect(await count(t.db, 'rounds')).toBe(before);
    });

    it.each([
      ['agreed volume ratio 0', { agreedVolumeRatios: [[1, '0']] }, 422, '/rules/agreedVolumeRatios/0/1'],
      ['agreed volume ratio 1.5', { agreedVolumeRatios: [[1, '0.5'], [2, '1.5']] }, 422, '/rules/agreedVolumeRatios/1/1'],
      ['monitoring ratio 1.5', { monitoring: { minProgress: '1.5' } }, 422, '/rules/monitoring/minProgress'],
      ['spreadCap "0.9"', { spreadCap: '0.9' }, 422, '/rules/spreadCap'],
      ['spreadCap as a JSON number', { spreadCap: 1.8 }, 422, '/rules/spreadCap'],
      ['maxWinners not starting at 1', { maxWinners: [[2, 1], [3, 2]] }, 422, '/rules/maxWinners/0/0'],
      ['maxWinners not increasing', { maxWinners: [[1, 1], [4, 2], [4, 3]] }, 422, '/rules/maxWinners/2/0'],
      ['maxWinners decreasing', { maxWinners: [[1, 1], [5, 2], [3, 3]] }, 422, '/rules/maxWinners/2/0'],
      ['an unknown rule', { colour: 'red' }, 422, '/rules/colour'],
      ['an unknown monitoring rule', { monitoring: { patience: 2 } }, 422, '/rules/monitoring/patience'],
      ['an unknown preset', { preset: 'vbp-9' }, 400, '/rules/preset'],
      ['no preset', { preset: undefined }, 400, '/rules/preset'],
    ])('refuses rules with %s, writing nothing', async (_name, override, status, path) => {
      const before = await count(t.db, 'rounds');
      const events = await count(t.db, 'audit_events');
      const res = await c.post('/v1/rounds', a.h, body({ preset: 'nvbp', ...override }));
      const p = expectProblem(res, status, 'validation');
      expect(p.errors.map((e: any) => e.path)).toContain(path);
      expect(await count(t.db, 'rounds')).toBe(before);
      expect(await count(t.db, 'audit_events')).toBe(events);
    });

    it('refuses a bid window that closes at or before it opens', async () => {
      const before = await count(t.db, 'rounds');
      for (const closes of ['2026-03-10T00:00:00Z', '2026-03-09T23:59:59Z']) {
        const p = expectProblem(await c.post('/v1/rounds', a.h, body(undefined, { bidClosesAt: closes })), 422, 'validation');
        expect(p.errors).toContainEqual(expect.objectContaining({ path: '/bidClosesAt' }));
      }
      expect(await count(t.db, 'rounds')).toBe(before);
    });

    it('refuses malformed input with 400', async () => {
      const before = await count(t.db, 'rounds');
      for (const bad of [
        body(undefined, { bidOpensAt: 'next tuesday' }), body(undefined, { contractMonths: 0 }), body(undefined, { contractMonths: '12' }),
        body(undefined, { contractStart: '2026-13' }), body(undefined, { name: '' }), body(undefined, { extra: 1 }),
        { name: 'x', rules: { preset: 'nvbp' } },
      ]) expectProblem(await c.post('/v1/rounds', a.h, bad), 400, 'validation');
      expect(await count(t.db, 'rounds')).toBe(before);
    });

    it('is for alliances and the operator only', async () => {
      const before = await count(t.db, 'rounds');
      expectProblem(await c.post('/v1/rounds', {}, body()), 401, 'unauthorized');
      expectProblem(await c.post('/v1/rounds', { authorization: 'Bearer nope' }, body()), 401, 'unauthorized');
      expectProblem(await c.post('/v1/rounds', h['440103'].h, body()), 403, 'forbidden');
      expectProblem(await c.post('/v1/rounds', m.h, body()), 403, 'forbidden');
      expect(await count(t.db, 'rounds')).toBe(before);
    });
  });

  // Both reads apply one visibility rule (API.md "Participants"), over the same two rounds as they are published.
  describe('GET /v1/rounds/{id}, GET /v1/rounds (visibility)', () => {
    let ra: string, rc: string;
    const status = async (id: string, who: Org | Record<string, string>) =>
      (await c.get(`/v1/rounds/${id}`, 'h' in who ? (who as Org).h : who as Record<string, string>)).status;
    const listed = async (who: Record<string, string>) =>
      ((await c.get('/v1/rounds?limit=1000', who)).body.data as any[]).map((r) => r.id);

    beforeAll(async () => {
      ra = (await c.post('/v1/rounds', a.h, body())).body.id;
      rc = (await c.post('/v1/rounds', cty.h, body())).body.id;
    });

    it('shows a draft round to its alliance and the operator only', async () => {
      expect(await status(ra, a)).toBe(200);
      expect(await status(ra, op)).toBe(200);
      for (const who of [b, cty, m, h['440103'], h['130102']]) {
        expectProblem(await c.get(`/v1/rounds/${ra}`, who.h), 404, 'not-found');
      }
      expectProblem(await c.get(`/v1/rounds/${ra}`, {}), 401, 'unauthorized');
      expect(await listed(a.h)).toContain(ra);
      expect(await listed(op)).toContain(ra);
      for (const who of [b, m, h['440103']]) expect(await listed(who.h)).not.toContain(ra);
    });

    it('after publishing, shows it to hospitals under the regions and to every manufacturer', async () => {
      expect((await c.post(`/v1/rounds/${ra}/publish`, a.h)).status).toBe(200);
      expect((await c.post(`/v1/rounds/${rc}/publish`, cty.h)).status).toBe(200);
      // 440000 covers 440103; 130100 covers 130102, 130110 and 130111 but not 130200.
      for (const code of ['440103', '130102', '130110', '130111']) expect(await status(ra, h[code]), code).toBe(200);
      for (const code of ['130200', '320102']) expectProblem(await c.get(`/v1/rounds/${ra}`, h[code].h), 404, 'not-found');
      // A county code covers only itself.
      expect(await status(rc, h['130110'])).toBe(200);
      for (const code of ['130111', '130102', '130200', '440103']) expectProblem(await c.get(`/v1/rounds/${rc}`, h[code].h), 404, 'not-found');
      expect(await status(ra, m)).toBe(200);
      expect(await status(rc, m)).toBe(200);
      expectProblem(await c.get(`/v1/rounds/${ra}`, b.h), 404, 'not-found');
      expectProblem(await c.get(`/v1/rounds/${ra}`, cty.h), 404, 'not-found');
      expectProblem(await c.get('/v1/rounds/rnd_nosuchround', op), 404, 'not-found');
      expectProblem(await c.get(`/v1/rounds/${'x'.repeat(65)}`, op), 400, 'validation');
    });

    it('lists only the rounds the caller may see', async () => {
      const drafts = (await c.get('/v1/rounds?limit=1000', op)).body.data.filter((r: any) => r.state === 'draft').map((r: any) => r.id);
      expect(drafts.length).toBeGreaterThan(0);
      const l130110 = await listed(h['130110'].h);
      expect(l130110).toEqual(expect.arrayContaining([ra, rc]));
      expect(await listed(h['130111'].h)).toContain(ra);
      expect(await listed(h['130111'].h)).not.toContain(rc);
      expect(await listed(h['130200'].h)).toEqual([]);
      expect(await listed(h['320102'].h)).toEqual([]);
      const lm = await listed(m.h);
      expect(lm).toEqual(expect.arrayContaining([ra, rc]));
      expect(lm.some((id) => drafts.includes(id))).toBe(false);
      const la = (await c.get('/v1/rounds?limit=1000', a.h)).body.data;
      expect(la.length).toBeGreaterThan(3);
      expect(la.every((r: any) => r.allianceId === a.id)).toBe(true);
      expect(await listed(cty.h)).toEqual([rc]);
      expect((await listed(op)).length).toBe(await count(t.db, 'rounds'));
      const demand = (await c.get('/v1/rounds?limit=1000&state=demand', a.h)).body.data;
      expect(demand.map((r: any) => r.id)).toEqual([ra]);
    });

    it('pages the list with a cursor', async () => {
      const all = await listed(op);
      const first = await c.get('/v1/rounds?limit=2', op);
      expect(first.body.data.map((r: any) => r.id)).toEqual(all.slice(0, 2));
      const next = await c.get(`/v1/rounds?limit=2&cursor=${first.body.nextCursor}`, op);
      expect(next.body.data.map((r: any) => r.id)).toEqual(all.slice(2, 4));
      expectProblem(await c.get('/v1/rounds?limit=0', op), 400, 'validation');
      expectProblem(await c.get('/v1/rounds?cursor=garbage', op), 400, 'validation');
    });
  });

  describe('PATCH /v1/rounds/{id}', () => {
    let id: string;
    beforeAll(async () => { id = (await c.post('/v1/rounds', a.h, body())).body.id; });

    it('changes a draft round and re-resolves its rules', async () => {
      const r = await c.patch(`/v1/rounds/${id}`, a.h, { name: '新名', rules: { preset: 'anchor-2025', minBidders: 2 }, bidClosesAt: '2026-03-25T00:00:00Z' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ name: '新名', state: 'draft', bidClosesAt: '2026-03-25T00:00:00.000Z', bidOpensAt: '2026-03-10T00:00:00.000Z' });
      expect(r.body.rules).toEqual({ ...ANCHOR, minBidders: 2 });
      expect((await c.get(`/v1/rounds/${id}`, op)).body.rules).toEqual({ ...ANCHOR, minBidders: 2 });
    });

    it('refuses bad patches and keeps the round as it was', async () => {
      const before = (await c.get(`/v1/rounds/${id}`, a.h)).body;
      const p = expectProblem(await c.patch(`/v1/rounds/${id}`, a.h, { rules: { preset: 'nvbp', spreadCap: '0.9' } }), 422, 'validation');
      expect(p.errors.map((e: any) => e.path)).toContain('/rules/spreadCap');
      expectProblem(await c.patch(`/v1/rounds/${id}`, a.h, { bidOpensAt: '2026-03-25T00:00:00Z' }), 422, 'validation');
      expectProblem(await c.patch(`/v1/rounds/${id}`, a.h, {}), 400, 'validation');
      expectProblem(await c.patch(`/v1/rounds/${id}`, a.h, { allianceId: b.id }), 400, 'validation');
      expectProblem(await c.patch(`/v1/rounds/${id}`, a.h, { contractMonths: -1 }), 400, 'validation');
      expect((await c.get(`/v1/rounds/${id}`, a.h)).body).toEqual(before);
    });

    it('answers 401, 404 and 403 by caller', async () => {
      expectProblem(await c.patch(`/v1/rounds/${id}`, {}, { name: 'x' }), 401, 'unauthorized');
      for (const who of [b, h['440103'], m]) expectProblem(await c.patch(`/v1/rounds/${id}`, who.h, { name: 'x' }), 404, 'not-found');
      expectProblem(await c.patch(`/v1/rounds/${id}`, op, { name: 'x' }), 403, 'forbidden');
      expect((await c.post(`/v1/rounds/${id}/publish`, a.h)).status).toBe(200);
      expectProblem(await c.patch(`/v1/rounds/${id}`, h['440103'].h, { name: 'x' }), 403, 'forbidden');
      expectProblem(await c.patch(`/v1/rounds/${id}`, m.h, { name: 'x' }), 403, 'forbidden');
      expectProblem(await c.patch(`/v1/rounds/${id}`, h['130200'].h, { name: 'x' }), 404, 'not-found');
      expectProblem(await c.patch(`/v1/rounds/${id}`, b.h, { name: 'x' }), 404, 'not-found');
      expectProblem(await c.patch(`/v1/rounds/${id}`, a.h, { name: 'x' }), 409, 'invalid-state');
      expect((await c.get(`/v1/rounds/${id}`, a.h)).body).toMatchObject({ name: '新名', state: 'demand' });
    });
  });
});
