import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ajvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { bearer, count, expectProblem, op, org, type TestApp } from '../helpers.js';
import { example, exampleBids, exampleDemand, exampleRound, type Example } from './worked-example.js';

// ajv-draft-04 is CommonJS: its class is the module and also its `default`.
const Ajv04 = ajvDraft04.default;

/** The OCDS schemas live beside the repository (../shared/ocds); CI always has them. */
const ocdsDir = new URL('../../../shared/ocds/', import.meta.url);
const haveSchemas = existsSync(ocdsDir);

/** Ajv (draft-04) over the package schema, with the release schema registered under the URL the package refers to. */
function packageValidator() {
  const read = (f: string) => JSON.parse(readFileSync(new URL(f, ocdsDir), 'utf8'));
  const pkg = read('release-package-schema.json');
  const release = read('release-schema.dereferenced.json');
  const ajv = new Ajv04({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (a: unknown) => void)(ajv);
  ajv.addSchema({ ...release, id: pkg.properties.releases.items.$ref });
  return ajv.compile(pkg);
}

describe('GET /v1/rounds/{id}/ocds', () => {
  let x: Example;
  let t: TestApp;
  let c: Example['api'];
  let alliance: Example['alliance'];
  let outsider: { id: string; h: Record<string, string> };
  let h: Example['h'], m: Example['m'];
  let roundId: string;
  /** Every stage's export, validated against the OCDS schemas at the end. */
  const stages: Record<string, unknown> = {};
  const url = () => `/v1/rounds/${roundId}/ocds`;
  const release = (body: any) => body.releases[0];

  beforeAll(async () => {
    // The worked example's first three manufacturers and hospitals, in an alliance of two provinces.
    x = await example({ alliance: { name: '华南联盟', regionCodes: ['440000', '320000'] }, hospitals: ['h1', 'h3', 'h2'], makers: ['M1', 'M2', 'M3'] });
    ({ t, api: c, alliance, h, m } = x);
    outsider = await org(c, { kind: 'hospital', name: '成都医院', regionCode: '510104' });
    roundId = await exampleRound(x, '阿托伐他汀集采');
  });
  afterAll(async () => { await t?.close(); });

  it('draft: a planning release for the alliance and the operator only', async () => {
    const res = await c.get(url(), alliance.h);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ version: '1.1', publisher: { name: 'jicai' }, uri: `http://localhost:80/v1/rounds/${roundId}/ocds` });
    expect(release(res.body)).toMatchObject({
      ocid: `ocds-jicai-${roundId}`, id: `ocds-jicai-${roundId}-draft`, tag: ['planning'], initiationType: 'tender', language: 'zh',
      buyer: { id: alliance.id, name: '华南联盟' }, tender: { id: roundId, title: '阿托伐他汀集采', status: 'planning' },
    });
    stages.draft = res.body;
    expect((await c.get(url(), op)).status).toBe(200);
    expectProblem(await c.get(url(), m.M1.h), 404, 'not-found');
    expectProblem(await c.get(url(), h.h1.h), 404, 'not-found');
    expectProblem(await c.get(url(), {}), 401, 'unauthorized');
  });

  it('after publish: a tender release with total demand and the price ceiling, and no bidders', async () => {
    expect((await c.post(`/v1/rounds/${roundId}/publish`, alliance.h)).status).toBe(200);
    await exampleDemand(x, roundId); // h1 10,000, h3 5,000, h2 6,000
    const res = await c.get(url(), m.M1.h);
    expect(res.status).toBe(200);
    const rel = release(res.body);
    expect(rel.tag).toEqual(['tender']);
    expect(rel.id).toBe(`ocds-jicai-${roundId}-demand`);
    expect(rel.tender).toMatchObject({
      status: 'active', procurementMethod: 'open', procuringEntity: { id: alliance.id, name: '华南联盟' },
      tenderPeriod: { startDate: '2026-03-10T00:00:00.000Z', endDate: '2026-03-20T00:00:00.000Z' },
    });
    expect(rel.tender.items).toEqual([{
      id: 'ATV20', description: 'atorvastatin calcium tablet 20 mg', quantity: 21000,
      unit: { name: 'tablet', value: { amount: 3, currency: 'CNY' } },
    }]);
    expect(rel.parties).toEqual([{ id: alliance.id, name: '华南联盟', address: { region: '440000', countryName: '中国' }, roles: ['buyer', 'procuringEntity'] }]);
    expect(rel.awards).toBeUndefined();
    stages.demand = res.body;
    // Every participant may read it now; nobody outside, and nobody without a token before award.
    expect((await c.get(url(), h.h2.h)).status).toBe(200);
    expectProblem(await c.get(url(), outsider.h), 404, 'not-found');
    expectProblem(await c.get(url(), {}), 401, 'unauthorized');
    expectProblem(await c.get(url(), bearer('not-a-token')), 401, 'unauthorized');
  });

  it('while bidding: sealed bids reveal neither bidders nor their number', async () => {
    expect((await c.post(`/v1/rounds/${roundId}/start-bidding`, alliance.h)).status).toBe(200);
    t.clock.set('2026-03-15T00:00:00Z');
    await exampleBids(x, roundId); // M1 16.80, M2 4.20, M3 6.30
    const res = await c.get(url(), alliance.h);
    expect(res.status).toBe(200);
    const rel = release(res.body);
    expect(rel.tag).toEqual(['tender']);
    expect(rel.tender.status).toBe('active');
    expect('numberOfTenderers' in rel.tender).toBe(false);
    expect('tenderers' in rel.tender).toBe(false);
    expect(rel.parties.map((p: any) => p.id)).toEqual([alliance.id]);
    expect(JSON.stringify(res.body)).not.toContain(m.M2.id);
    stages.bidding = res.body;
  });

  it('after opening: the bidders as tenderers, still no awards and no public access', async () => {
    t.clock.set('2026-03-20T00:00:00Z');
    const opening = await c.post(`/v1/rounds/${roundId}/open`, alliance.h);
    expect(opening.status, JSON.stringify(opening.body)).toBe(200);
    const res = await c.get(url(), h.h1.h);
    expect(res.status).toBe(200);
    const rel = release(res.body);
    expect(rel.tag).toEqual(['tender']);
    expect(rel.tender.numberOfTenderers).toBe(3);
    expect(rel.tender.tenderers).toEqual([m.M1, m.M2, m.M3].map((x) => ({ id: x.id, name: expect.stringMatching(/^制药M/) })).sort((a, b) => a.id.localeCompare(b.id)));
    expect(rel.tender.awardPeriod).toEqual({ startDate: '2026-03-20T00:00:00.000Z' });
    const roles = Object.fromEntries(rel.parties.map((p: any) => [p.id, p.roles]));
    expect(roles).toEqual({ [alliance.id]: ['buyer', 'procuringEntity'], [m.M1.id]: ['tenderer'], [m.M2.id]: ['tenderer'], [m.M3.id]: ['tenderer'] });
    expect(rel.awards).toBeUndefined();
    stages.opened = res.body;
    expectProblem(await c.get(url(), {}), 401, 'unauthorized');
  });

  it('after award: one award per winner with exact quantities and amounts, readable without a token', async () => {
    t.clock.set('2026-03-21T08:00:00Z');
    expect((await c.post(`/v1/rounds/${roundId}/award`, alliance.h)).status).toBe(200);
    const res = await c.get(url(), {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.publishedDate).toBe('2026-03-21T08:00:00.000Z');
    const rel = release(res.body);
    expect(rel).toMatchObject({ id: `ocds-jicai-${roundId}-awarded`, date: '2026-03-21T08:00:00.000Z', tag: ['tender', 'award'] });
    expect(rel.tender.status).toBe('complete');
    expect(rel.tender.awardPeriod).toEqual({ startDate: '2026-03-20T00:00:00.000Z', endDate: '2026-03-21T08:00:00.000Z' });
    const period = { startDate: '2026-03-01T00:00:00.000Z', endDate: '2027-02-28T23:59:59.000Z' };
    expect(rel.tender.contractPeriod).toEqual(period);
    // nvbp, n = 3: M2 (0.5100) and M3 (0.5294…) win, M1 is the highest; ratio 0.6.
    // M2 supplies 440000: h1 6,000 + h3 3,000; M3 supplies 320000: h2 3,600 at 0.9 / 1.7 = 0.529411…
    expect(rel.awards).toEqual([
      {
        id: `${roundId}-ATV20-${m.M2.id}`, status: 'active', date: '2026-03-21T08:00:00.000Z',
        value: { amount: 4590, currency: 'CNY' }, suppliers: [{ id: m.M2.id, name: '制药M2' }],
        items: [{ id: 'ATV20', description: 'atorvastatin calcium tablet 20 mg', quantity: 9000, unit: { name: 'tablet', value: { amount: 0.51, currency: 'CNY' } } }],
        contractPeriod: period,
      },
      {
        id: `${roundId}-ATV20-${m.M3.id}`, status: 'active', date: '2026-03-21T08:00:00.000Z',
        // 3,600 × 0.529411… = 1,905.882… (not 3,600 × 0.5294 = 1,905.84): full precision, rounded to the fen.
        value: { amount: 1905.88, currency: 'CNY' }, suppliers: [{ id: m.M3.id, name: '制药M3' }],
        items: [{ id: 'ATV20', description: 'atorvastatin calcium tablet 20 mg', quantity: 3600, unit: { name: 'tablet', value: { amount: 0.5294, currency: 'CNY' } } }],
        contractPeriod: period,
      },
    ]);
    const roles = Object.fromEntries(rel.parties.map((p: any) => [p.id, p.roles]));
    expect(roles[m.M1.id]).toEqual(['tenderer']);
    expect(roles[m.M2.id]).toEqual(['tenderer', 'supplier']);
    expect(roles[m.M3.id]).toEqual(['tenderer', 'supplier']);
    stages.awarded = res.body;
    // With a token, the same document; outside the round's participants still 404.
    expect((await c.get(url(), alliance.h)).body).toEqual(res.body);
    expectProblem(await c.get(url(), outsider.h), 404, 'not-found');
  });

  it('after close: still public and complete', async () => {
    expect((await c.post(`/v1/rounds/${roundId}/close`, alliance.h)).status).toBe(200);
    const res = await c.get(url(), {});
    expect(res.status).toBe(200);
    expect(release(res.body)).toMatchObject({ id: `ocds-jicai-${roundId}-closed`, tag: ['tender', 'award'], tender: { status: 'complete' } });
    expect(release(res.body).awards).toHaveLength(2);
    stages.closed = res.body;
  });

  it('a cancelled round is a tender cancellation, not public', async () => {
    const r = await c.post('/v1/rounds', alliance.h, {
      name: '取消的轮次', rules: { preset: 'nvbp' }, bidOpensAt: '2026-04-10T00:00:00Z', bidClosesAt: '2026-04-20T00:00:00Z', contractMonths: 12,
    });
    expect((await c.post(`/v1/rounds/${r.body.id}/publish`, alliance.h)).status).toBe(200);
    expect((await c.post(`/v1/rounds/${r.body.id}/cancel`, alliance.h)).status).toBe(200);
    const res = await c.get(`/v1/rounds/${r.body.id}/ocds`, m.M1.h);
    expect(res.status).toBe(200);
    expect(release(res.body)).toMatchObject({ tag: ['tender', 'tenderCancellation'], tender: { status: 'cancelled', items: [] } });
    expect('numberOfTenderers' in release(res.body).tender).toBe(false);
    stages.cancelled = res.body;
    expectProblem(await c.get(`/v1/rounds/${r.body.id}/ocds`, {}), 401, 'unauthorized');
  });

  it('unknown rounds: 404 with a token, 401 without; reading writes nothing', async () => {
    const events = await count(t.db, 'audit_events');
    expectProblem(await c.get('/v1/rounds/rnd_nope/ocds', op), 404, 'not-found');
    expectProblem(await c.get('/v1/rounds/rnd_nope/ocds', alliance.h), 404, 'not-found');
    expectProblem(await c.get('/v1/rounds/rnd_nope/ocds', {}), 401, 'unauthorized');
    expectProblem(await c.get(`/v1/rounds/${'x'.repeat(65)}/ocds`, {}), 401, 'unauthorized');
    expect((await c.get(url(), {})).status).toBe(200);
    expect(await count(t.db, 'audit_events')).toBe(events);
  });

  it.skipIf(!haveSchemas)(haveSchemas
    ? 'conforms to the OCDS 1.1 release package schema at every stage'
    : 'OCDS conformance skipped: ../shared/ocds not found', () => {
    const validate = packageValidator();
    expect(Object.keys(stages)).toEqual(['draft', 'demand', 'bidding', 'opened', 'awarded', 'closed', 'cancelled']);
    for (const [stage, body] of Object.entries(stages)) {
      const ok = validate(body);
      expect(ok, `${stage}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    // The validator is not vacuous: an amount as a decimal string breaks it.
    const bad = structuredClone(stages.awarded) as any;
    bad.releases[0].awards[0].value.amount = '4590.00';
    expect(validate(bad)).toBe(false);
  });
});
