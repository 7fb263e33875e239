import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ajvDraft04 from 'ajv-draft-04';
import fastJson from 'fast-json-stringify';
import { Monitoring } from '../../src/monitoring/schemas.js';
import addFormatsModule from 'ajv-formats';
import { agreementMonitoring, alertCounts, figuresOf, figuresSql, getMonitoring, hospitalPath, listAlerts, monthlyUsage, type AgreementMonitoringRow } from '../../src/monitoring/service.js';
import { loadRound } from '../../src/rounds/service.js';
import { D } from '../../src/rules/decimal.js';
import {
  behindSchedule, deliveryGap, figures, nonWinningShare, ratio4, supplyShortfall,
} from '../../src/rules/monitoring.js';
import { count, expectProblem, op, org, type H } from '../helpers.js';
import { example, exampleBids, exampleDemand, exampleRound, keyOf, type Example } from './worked-example.js';

/** The OCDS schemas beside the repository (../shared/ocds), as in test/api/ocds.test.ts. */
const ocdsDir = new URL('../../../shared/ocds/', import.meta.url);
function ocdsValidator() {
  const read = (f: string) => JSON.parse(readFileSync(new URL(f, ocdsDir), 'utf8'));
  const pkg = read('release-package-schema.json');
  const ajv = new ajvDraft04.default({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (a: unknown) => void)(ajv);
  ajv.addSchema({ ...read('release-schema.dereferenced.json'), id: pkg.properties.releases.items.$ref });
  return ajv.compile(pkg);
}

/**
 * DOMAIN.md "Monitoring" on the worked example's round (contract 2026-03 … 2027-02, 12 months).
 * Agreements: h1 M2 8,000; h3 M2 4,000; h2 M1 4,800; h4 M4 2,400 (prefers M4); h5 M3 1,599.
 * Comparable prices: M2 0.5100, M1 0.6000, M3 0.5294… (0.9 / 1.7), M4 0.9200; baseline 2.5000.
 * The clock stands in 2026-06: asOf 2026-06, monthsElapsed 4.
 *
 * Usage (reference units; amount paid):
 *   h1: 03 P2 700/700 357.00; 04 P2 700/650 331.50 (replacing 700/600 306.00); 05 P6 100/100 120.00 and
 *       no product 50/50 75.00 (off-contract); 06 P2 600/600 330.00 (0.55 > 0.51).
 *   h3: nothing.
 *   h2: 03 P1 400/400 240; 04 P1 500/400 240; 05 P1 500/500 300; 06 P1 500/500 300.
 *   h4: 04 P4 200/200 184; 05 P1 300/300 180 (another winner's product: non-winning).
 *   h5: 03 P3 400/400 211.76 (0.5294 < 0.52941…); 04 P3 200/200 106 (0.53 > 0.52941…).
 * Deliveries: M2 h1 03 700, 04 650, 06 600; M1 h2 03 400, 04 450 (more than received), 05 510; M4 h4 04 200;
 *   M3 h5 03 400, 04 200.
 */
describe('monitoring', () => {
  let x: Example;
  let c: Example['api'];
  let roundId: string;
  let outsider: { id: string; h: H };
  const CSV = 'text/csv', JSON_T = 'application/json', NDJSON = 'application/x-ndjson';
  const put = (what: 'usage' | 'deliveries', h: H, body: string, type = CSV) => c.raw('PUT', `/v1/rounds/${roundId}/${what}`, h, body, type);
  const usageRows = () => count(x.t.db, 'usage');
  const deliveryRows = () => count(x.t.db, 'deliveries');
  const mon = (h: H, q: string) => c.loose.get(`/v1/rounds/${roundId}/monitoring?${q}`, h);
  const alerts = (h: H, q = '') => c.loose.get(`/v1/rounds/${roundId}/alerts?${q}`, h);
  const P = (k: keyof Example['m']) => x.m[k].product;

  beforeAll(async () => {
    x = await example({ alliance: { name: '广东联盟', regionCodes: ['440000', '320000', '330000', '110000'] } });
    c = x.api;
    outsider = await org(c, { kind: 'hospital', name: '成都医院', regionCode: '510104' });
    roundId = await exampleRound(x, '阿托伐他汀');
    expect((await c.post(`/v1/rounds/${roundId}/publish`, x.alliance.h)).status).toBe(200);
    await exampleDemand(x, roundId);
    expect((await c.post(`/v1/rounds/${roundId}/start-bidding`, x.alliance.h)).status).toBe(200);
    x.t.clock.set('2026-03-15T00:00:00Z');
    await exampleBids(x, roundId);
    x.t.clock.set('2026-03-20T00:00:00Z');
    expect((await c.post(`/v1/rounds/${roundId}/open`, x.alliance.h)).status).toBe(200);
    expect((await c.put(`/v1/rounds/${roundId}/region-preferences/ATV20`, x.m.M3.h, { regionCodes: ['110000'] })).status).toBe(200);
  });
  afterAll(async () => { await x?.t.close(); });

  describe('PUT /v1/rounds/{id}/usage', () => {
    it('is refused before award (409 invalid-state), and nothing is written', async () => {
      const body = `period,itemCode,productId,orderedQuantity,receivedQuantity,amount\n2026-03,ATV20,${P('M2')},1,1,0.51\n`;
      expectProblem(await put('usage', x.h.h1.h, body), 409, 'invalid-state');
      const a = await c.post(`/v1/rounds/${roundId}/award`, x.alliance.h);
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      expect(a.body.contractStart).toBe('2026-03');
      expect(await usageRows()).toBe(0);
    });

    it('a month without usage yet: a key given twice names both lines; a hospital without agreement is stored, and replaced', async () => {
      x.t.clock.set('2026-06-15T00:00:00Z');
      const head = 'hospitalId,period,itemCode,productId,orderedQuantity,receivedQuantity,amount\n';
      const l = `${x.h.h2.id},2026-05,ATV20,${P('M1')},1,1,1\n`;
      const d = expectProblem(await put('usage', x.alliance.h, head + l + l), 422, 'validation');
      expect(d.errors).toEqual([{ line: 3, message: expect.stringMatching(/repeat line 2$/) }]);
      expect(await usageRows()).toBe(0);
      // h6 joined the platform after award: in the round's regions, without demand, so without agreement.
      const h6 = await org(c, { kind: 'hospital', name: 'h6', regionCode: '440106' });
      for (const received of [5, 7]) {
        const res = await put('usage', h6.h, `period,itemCode,productId,orderedQuantity,receivedQuantity,amount\n2026-05,ATV20,${P('M2')},${received},${received},1\n`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      const rows = await x.t.db.query<{ received: number }>('SELECT received FROM usage');
      expect(rows).toEqual([{ received: 7 }]);
    });

    it('takes a hospital\'s own rows as CSV, JSON and NDJSON, and the alliance\'s for any hospital', async () => {
      const h1 = `period,itemCode,productId,orderedQuantity,receivedQuantity,amount
2026-03,ATV20,${P('M2')},700,700,357.00
2026-04,ATV20,${P('M2')},700,600,306.00
2026-05,ATV20,${P('M6')},100,100,120.00
2026-05,ATV20,,50,50,75
2026-06,ATV20,${P('M2')},600,600,330.0000
`;
      const r1 = await put('usage', x.h.h1.h, h1);
      expect(r1.status, JSON.stringify(r1.body)).toBe(200);
      expect(r1.body).toEqual({ rows: 5 });
      // The alliance: a JSON array for h2.
      const h2 = [['2026-03', 400, 400, '240'], ['2026-04', 500, 400, '240'], ['2026-05', 500, 500, '300'], ['2026-06', 500, 500, '300.00']]
        .map(([period, o, r, a]) => ({ hospitalId: x.h.h2.id, period, itemCode: 'ATV20', productId: P('M1'), orderedQuantity: o, receivedQuantity: r, amount: a }));
      const r2 = await put('usage', x.alliance.h, JSON.stringify(h2), JSON_T);
      expect(r2.status, JSON.stringify(r2.body)).toBe(200);
      expect(r2.body).toEqual({ rows: 4 });
      // The operator: NDJSON for h4 and h5.
      const nd = [
        { hospitalId: x.h.h4.id, period: '2026-04', itemCode: 'ATV20', productId: P('M4'), orderedQuantity: 200, receivedQuantity: 200, amount: '184' },
        { hospitalId: x.h.h4.id, period: '2026-05', itemCode: 'ATV20', productId: P('M1'), orderedQuantity: '300', receivedQuantity: '300', amount: '180' },
        { hospitalId: x.h.h5.id, period: '2026-03', itemCode: 'ATV20', productId: P('M3'), orderedQuantity: 400, receivedQuantity: 400, amount: '211.76' },
        { hospitalId: x.h.h5.id, period: '2026-04', itemCode: 'ATV20', productId: P('M3'), orderedQuantity: 200, receivedQuantity: 200, amount: '106' },
      ].map((l) => JSON.stringify(l)).join('\n');
      const r3 = await put('usage', op, nd, NDJSON);
      expect(r3.status, JSON.stringify(r3.body)).toBe(200);
      expect(await usageRows()).toBe(14);
    });

    it('a later report of the same key replaces the earlier one (and only that key)', async () => {
      const r = await put('usage', x.h.h1.h, `hospitalId,period,itemCode,productId,orderedQuantity,receivedQuantity,amount\n${x.h.h1.id},2026-04,ATV20,${P('M2')},700,650,331.50\n`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(await usageRows()).toBe(14);
      const [row] = await x.t.db.query<{ received: number; amount: string }>(
        `SELECT received, amount::text FROM usage WHERE period = 2026 * 12 + 3 AND product_no = (SELECT no FROM products WHERE id = $1)`, [P('M2')]);
      expect(row).toEqual({ received: 650, amount: '331.50' });
    });

    it('refuses bad input with line-numbered errors and writes nothing', async () => {
      const before = await usageRows();
      const head = 'hospitalId,period,itemCode,productId,orderedQuantity,receivedQuantity,amount\n';
      const line = (h: string, period: string, item: string, prod: string, o: string, r: string, a: string) => `${h},${period},${item},${prod},${o},${r},${a}\n`;
      const M2 = P('M2');
      const cases: [string, H, string, number, string][] = [
        ['before the contract period', x.alliance.h, line(x.h.h1.id, '2026-02', 'ATV20', M2, '1', '1', '1'), 422, 'outside the contract period'],
        ['after the current month', x.alliance.h, line(x.h.h1.id, '2026-07', 'ATV20', M2, '1', '1', '1'), 422, 'after the current month'],
        ['after the contract period', x.alliance.h, line(x.h.h1.id, '2027-03', 'ATV20', M2, '1', '1', '1'), 422, 'outside the contract period'],
        ['a negative quantity', x.alliance.h, line(x.h.h1.id, '2026-03', 'ATV20', M2, '-1', '1', '1'), 400, 'at least 0'],
        ['a fractional quantity', x.alliance.h, line(x.h.h1.id, '2026-03', 'ATV20', M2, '1', '1.5', '1'), 400, 'whole number'],
        ['five decimals', x.alliance.h, line(x.h.h1.id, '2026-03', 'ATV20', M2, '1', '1', '0.12345'), 400, 'more than 4 decimal places'],
        ['an exponent', x.alliance.h, line(x.h.h1.id, '2026-03', 'ATV20', M2, '1', '1', '1e3'), 400, 'not a plain decimal'],
        ['a negative amount', x.alliance.h, line(x.h.h1.id, '2026-03', 'ATV20', M2, '1', '1', '-1'), 400, 'negative'],
        ['a malformed month', x.alliance.h, line(x.h.h1.id, '2026-3', 'ATV20', M2, '1', '1', '1'), 400, 'YYYY-MM'],
        ['an unknown hospital', x.alliance.h, line('org_nope', '2026-03', 'ATV20', M2, '1', '1', '1'), 422, 'unknown hospital'],
        ['a hospital outside the round', x.alliance.h, line(outsider.id, '2026-03', 'ATV20', M2, '1', '1', '1'), 422, 'outside the round'],
        ['an unknown item', x.alliance.h, line(x.h.h1.id, '2026-03', 'NOPE', M2, '1', '1', '1'), 422, 'unknown item'],
        ['an unknown product', x.alliance.h, line(x.h.h1.id, '2026-03', 'ATV20', 'prd_nope', '1', '1', '1'), 422, 'unknown product'],
        ['another hospital\'s row', x.h.h1.h, line(x.h.h3.id, '2026-03', 'ATV20', M2, '1', '1', '1'), 422, 'its own usage only'],
        ['no hospital from the alliance', x.alliance.h, line('', '2026-03', 'ATV20', M2, '1', '1', '1'), 400, 'hospitalId is required'],
      ];
      for (const [name, h, l, status, message] of cases) {
        // A good line first: the bad one is line 3.
        const body = head + line(x.h.h1.id, '2026-03', 'ATV20', M2, '700', '700', '357') + l;
        const p = expectProblem(await put('usage', h, body), status);
        expect(p.errors, name).toEqual([{ line: 3, message: expect.stringContaining(message) }]);
      }
      // A key repeated in one upload names both lines.
      const dup = head + line(x.h.h3.id, '2026-03', 'ATV20', M2, '1', '1', '1') + line(x.h.h3.id, '2026-04', 'ATV20', M2, '1', '1', '1')
        + line(x.h.h3.id, '2026-03', 'ATV20', M2, '2', '2', '2');
      const d = expectProblem(await put('usage', x.alliance.h, dup), 422, 'validation');
      expect(d.errors).toEqual([{ line: 4, message: expect.stringMatching(/repeat line 2$/) }]);
      // JSON: errors by path; an amount must be a string (a JSON number cannot tell 1e3 from 1000).
      const j = expectProblem(await put('usage', x.h.h1.h, JSON.stringify([
        { period: '2026-03', itemCode: 'ATV20', orderedQuantity: 1, receivedQuantity: 1, amount: '1' },
        { period: '2026-03', itemCode: 'ATV20', orderedQuantity: 1, receivedQuantity: 1, amount: 1e3 },
      ]), JSON_T), 400, 'validation');
      expect(j.errors).toEqual([{ path: '/1', message: expect.stringContaining('decimal string') }]);
      expectProblem(await put('usage', x.h.h1.h, 'not json', JSON_T), 400);
      expectProblem(await put('usage', x.h.h1.h, 'period\n2026-03\n', 'text/plain'), 415);
      expectProblem(await put('usage', x.h.h1.h, 'nope,period\n'), 400);
      expect(await usageRows()).toBe(before);
    });

    it('access: 401, 404 outside the round, 403 for manufacturers and other alliances see nothing', async () => {
      const body = `period,itemCode,orderedQuantity,receivedQuantity,amount\n2026-03,ATV20,1,1,1\n`;
      expectProblem(await put('usage', {}, body), 401, 'unauthorized');
      expectProblem(await put('usage', outsider.h, body), 404, 'not-found');
      expectProblem(await put('usage', x.m.M2.h, body), 403, 'forbidden');
      const other = await org(c, { kind: 'alliance', name: '川', regionCode: '510000', regionCodes: ['510000'] });
      expectProblem(await put('usage', other.h, body), 404, 'not-found');
    });
  });

  describe('PUT /v1/rounds/{id}/deliveries', () => {
    const head = 'hospitalId,period,itemCode,shippedQuantity\n';
    it('takes a manufacturer\'s shipments for its own agreements', async () => {
      const ok = async (m: keyof Example['m'], lines: [keyof Example['h'], string, number][]) => {
        const res = await put('deliveries', x.m[m].h, head + lines.map(([h, p, s]) => `${x.h[h].id},${p},ATV20,${s}\n`).join(''));
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body).toEqual({ rows: lines.length });
      };
      await ok('M2', [['h1', '2026-03', 700], ['h1', '2026-04', 650], ['h1', '2026-06', 600]]);
      await ok('M1', [['h2', '2026-03', 400], ['h2', '2026-04', 999], ['h2', '2026-05', 510]]);
      await ok('M1', [['h2', '2026-04', 450]]); // replaces 999
      await ok('M4', [['h4', '2026-04', 200]]);
      await ok('M3', [['h5', '2026-03', 400], ['h5', '2026-04', 200]]);
      expect(await deliveryRows()).toBe(9);
    });

    it('refuses another manufacturer\'s agreements and bad lines, writing nothing', async () => {
      const before = await deliveryRows();
      const good = `${x.h.h1.id},2026-05,ATV20,10\n`;
      const cases: [string, string, number, string][] = [
        ['another manufacturer\'s agreement', `${x.h.h2.id},2026-03,ATV20,5\n`, 422, 'another manufacturer'],
        ['a negative quantity', `${x.h.h1.id},2026-03,ATV20,-5\n`, 400, 'at least 0'],
        ['after the current month', `${x.h.h1.id},2026-07,ATV20,5\n`, 422, 'after the current month'],
        ['an unknown item', `${x.h.h1.id},2026-03,NOPE,5\n`, 422, 'unknown item'],
        ['an outside hospital', `${outsider.id},2026-03,ATV20,5\n`, 422, 'outside the round'],
      ];
      for (const [name, l, status, message] of cases) {
        const p = expectProblem(await put('deliveries', x.m.M2.h, head + good + l), status);
        expect(p.errors, name).toEqual([{ line: 3, message: expect.stringContaining(message) }]);
      }
      const d = expectProblem(await put('deliveries', x.m.M2.h, head + good + good), 422);
      expect(d.errors).toEqual([{ line: 3, message: expect.stringMatching(/repeat line 2$/) }]);
      expectProblem(await put('deliveries', x.h.h1.h, head + good), 403, 'forbidden');
      expectProblem(await put('deliveries', x.alliance.h, head + good), 403, 'forbidden');
      expect(await deliveryRows()).toBe(before);
    });
  });

  describe('GET /v1/rounds/{id}/monitoring', () => {
    const item = {
      key: 'ATV20', agreedQuantity: 20799, expected: '6933.0000', used: 4550, nonWinningUsed: 450, ordered: 4700,
      completion: '0.2188', progress: '0.6563', fulfilment: '0.9681', amount: '2600.2600', savings: '8774.7400',
      paidUnitPrice: '0.5715', actualDrop: '0.7714',
    };
    const h1 = { agreedQuantity: 8000, expected: '2666.6667', used: 1950, nonWinningUsed: 150, ordered: 2000, completion: '0.2438',
      progress: '0.7313', fulfilment: '0.9750', amount: '1018.5000', savings: '3856.5000', paidUnitPrice: null, actualDrop: null };
    const h3 = { agreedQuantity: 4000, expected: '1333.3333', used: 0, nonWinningUsed: 0, ordered: 0, completion: '0.0000',
      progress: '0.0000', fulfilment: null, amount: '0.0000', savings: '0.0000', paidUnitPrice: null, actualDrop: null };
    const h2 = { agreedQuantity: 4800, expected: '1600.0000', used: 1800, nonWinningUsed: 0, ordered: 1900, completion: '0.3750',
      progress: '1.1250', fulfilment: '0.9474', amount: '1080.0000', savings: '3420.0000', paidUnitPrice: null, actualDrop: null };
    const h4 = { agreedQuantity: 2400, expected: '800.0000', used: 200, nonWinningUsed: 300, ordered: 200, completion: '0.0833',
      progress: '0.2500', fulfilment: '1.0000', amount: '184.0000', savings: '316.0000', paidUnitPrice: null, actualDrop: null };
    const h5 = { agreedQuantity: 1599, expected: '533.0000', used: 600, nonWinningUsed: 0, ordered: 600, completion: '0.3752',
      progress: '1.1257', fulfilment: '1.0000', amount: '317.7600', savings: '1182.2400', paidUnitPrice: null, actualDrop: null };
    const byKey = (rows: { key: string }[]) => Object.fromEntries(rows.map(({ key, ...r }) => [key, r]));

    it('by item at the current month (default asOf)', async () => {
      const res = await mon(x.alliance.h, 'groupBy=item');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ asOf: '2026-06', monthsElapsed: 4, rows: [item] });
    });

    it('is written as the response schema would write it, byte for byte (the route sends the rows PostgreSQL wrote)', async () => {
      const serialize = fastJson(Monitoring as never);
      const asked: [string, Record<string, string>][] = [
        ...['groupBy=hospital&asOf=2026-06', 'groupBy=item&asOf=2026-04', 'groupBy=region', 'groupBy=manufacturer&asOf=2026-06']
          .map((q): [string, Record<string, string>] => [q, x.alliance.h]),
        ['groupBy=item&asOf=2026-06', x.h.h1.h], ['groupBy=hospital&asOf=2026-06', x.m.M2.h],
      ];
      for (const [q, h] of asked) {
        const res = await x.t.app.inject({ method: 'GET', url: `/v1/rounds/${roundId}/monitoring?${q}`, headers: h });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body, q).toBe(serialize(JSON.parse(res.body)));
      }
    });

    it('by hospital, region and manufacturer', async () => {
      const byH = await mon(op, 'groupBy=hospital&asOf=2026-06');
      expect(byH.status, JSON.stringify(byH.body)).toBe(200);
      expect(byKey(byH.body.rows)).toEqual({ [x.h.h1.id]: h1, [x.h.h3.id]: h3, [x.h.h2.id]: h2, [x.h.h4.id]: h4, [x.h.h5.id]: h5 });
      const region44 = { ...h1, agreedQuantity: 12000, expected: '4000.0000', completion: '0.1625', progress: '0.4875' };
      const byR = await mon(x.alliance.h, 'groupBy=region&asOf=2026-06');
      expect(byR.body.rows.map((r: { key: string }) => r.key)).toEqual(['110000', '320000', '330000', '440000']);
      expect(byKey(byR.body.rows)).toEqual({ 440000: region44, 320000: h2, 330000: h4, 110000: h5 });
      const byM = await mon(x.alliance.h, 'groupBy=manufacturer&asOf=2026-06');
      expect(byKey(byM.body.rows)).toEqual({ [x.m.M2.id]: region44, [x.m.M1.id]: h2, [x.m.M4.id]: h4, [x.m.M3.id]: h5 });
    });

    it('a partial contract period, before contractStart and after its end', async () => {
      const partial = await mon(x.alliance.h, 'groupBy=item&asOf=2026-04');
      expect(partial.body).toEqual({ asOf: '2026-04', monthsElapsed: 2, rows: [{
        key: 'ATV20', agreedQuantity: 20799, expected: '3466.5000', used: 2950, nonWinningUsed: 0, ordered: 3100,
        completion: '0.1418', progress: '0.8510', fulfilment: '0.9516', amount: '1670.2600', savings: '5704.7400',
        paidUnitPrice: '0.5662', actualDrop: '0.7735',
      }] });
      const before = await mon(x.alliance.h, 'groupBy=item&asOf=2026-02');
      expect(before.body).toEqual({ asOf: '2026-02', monthsElapsed: 0, rows: [{
        key: 'ATV20', agreedQuantity: 20799, expected: '0.0000', used: 0, nonWinningUsed: 0, ordered: 0,
        completion: '0.0000', progress: null, fulfilment: null, amount: '0.0000', savings: '0.0000', paidUnitPrice: null, actualDrop: null,
      }] });
      const after = await mon(x.alliance.h, 'groupBy=item&asOf=2027-06');
      expect(after.body).toEqual({ asOf: '2027-06', monthsElapsed: 12, rows: [{ ...item, expected: '20799.0000', progress: '0.2188' }] });
    });

    it('each role sees its own agreements', async () => {
      const own = await mon(x.h.h1.h, 'groupBy=item');
      expect(own.body.rows).toEqual([{ ...h1, key: 'ATV20', paidUnitPrice: '0.5223', actualDrop: '0.7911' }]);
      expect((await mon(x.h.h3.h, 'groupBy=hospital')).body.rows).toEqual([{ key: x.h.h3.id, ...h3 }]);
      expect((await mon(x.h.h4.h, 'groupBy=manufacturer')).body.rows).toEqual([{ key: x.m.M4.id, ...h4 }]);
      const m2 = await mon(x.m.M2.h, 'groupBy=hospital');
      expect(byKey(m2.body.rows)).toEqual({ [x.h.h1.id]: h1, [x.h.h3.id]: h3 });
      const m2r = await mon(x.m.M2.h, 'groupBy=region');
      expect(m2r.body.rows).toEqual([{ key: '440000', ...h1, agreedQuantity: 12000, expected: '4000.0000', completion: '0.1625', progress: '0.4875' }]);
      // A manufacturer without agreements sees no rows.
      expect((await mon(x.m.M6.h, 'groupBy=item')).body.rows).toEqual([]);
    });

    it('access and bad queries', async () => {
      expectProblem(await mon({}, 'groupBy=item'), 401);
      expectProblem(await mon(outsider.h, 'groupBy=item'), 404);
      expectProblem(await mon(x.alliance.h, 'groupBy=city'), 400);
      expectProblem(await mon(x.alliance.h, 'groupBy=item&asOf=2026-13'), 400);
    });
  });

  describe('GET /v1/rounds/{id}/alerts', () => {
    // In key order: hospital (h1, h3, h2, h4, h5 were created in this order), item, then type and month.
    const all = () => [
      { type: 'behind_schedule', hospitalId: x.h.h1.id, manufacturerId: x.m.M2.id, itemCode: 'ATV20', value: '0.7313', threshold: '0.8000' },
      { type: 'price_above_award', hospitalId: x.h.h1.id, manufacturerId: x.m.M2.id, itemCode: 'ATV20', period: '2026-06', value: '0.5500', threshold: '0.5100' },
      { type: 'behind_schedule', hospitalId: x.h.h3.id, manufacturerId: x.m.M2.id, itemCode: 'ATV20', value: '0.0000', threshold: '0.8000' },
      { type: 'delivery_mismatch', hospitalId: x.h.h2.id, manufacturerId: x.m.M1.id, itemCode: 'ATV20', period: '2026-04', value: '0.1111', threshold: '0.0500' },
      { type: 'delivery_mismatch', hospitalId: x.h.h2.id, manufacturerId: x.m.M1.id, itemCode: 'ATV20', period: '2026-06', value: '1.0000', threshold: '0.0500' },
      { type: 'supply_shortfall', hospitalId: x.h.h2.id, manufacturerId: x.m.M1.id, itemCode: 'ATV20', value: '0.9474', threshold: '0.9500' },
      { type: 'behind_schedule', hospitalId: x.h.h4.id, manufacturerId: x.m.M4.id, itemCode: 'ATV20', value: '0.2500', threshold: '0.8000' },
      { type: 'non_winning_share', hospitalId: x.h.h4.id, manufacturerId: x.m.M4.id, itemCode: 'ATV20', value: '0.6000', threshold: '0.3000' },
      { type: 'price_above_award', hospitalId: x.h.h5.id, manufacturerId: x.m.M3.id, itemCode: 'ATV20', period: '2026-04', value: '0.5300', threshold: '0.5294' },
    ];

    it('lists the five types, with values and thresholds', async () => {
      const res = await alerts(x.alliance.h);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ data: all(), nextCursor: null });
    });

    it('pages with a cursor', async () => {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await alerts(op, `limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        seen.push(...res.body.data);
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(all());
      expectProblem(await alerts(op, 'cursor=garbage'), 400);
    });

    it('filters by type and by asOf', async () => {
      const pa = await alerts(x.alliance.h, 'type=price_above_award');
      expect(pa.body.data).toEqual(all().filter((a) => a.type === 'price_above_award'));
      // In 2026-04 two months have elapsed (< graceMonths): no behind_schedule; h4's non-winning buying came in May.
      const april = await alerts(x.alliance.h, 'asOf=2026-04');
      expect(april.body.data.map((a: { type: string; hospitalId: string; period?: string }) => `${a.type} ${keyOf(x.h, a.hospitalId)} ${a.period ?? ''}`)).toEqual([
        'delivery_mismatch h2 2026-04', 'supply_shortfall h2 ', 'price_above_award h5 2026-04',
      ]);
      expect((await alerts(x.alliance.h, 'asOf=2026-02')).body.data).toEqual([]);
      expectProblem(await alerts(x.alliance.h, 'type=late'), 400);
    });

    it('each role sees its own agreements\' alerts', async () => {
      expect((await alerts(x.h.h2.h)).body.data).toEqual(all().filter((a) => a.hospitalId === x.h.h2.id));
      expect((await alerts(x.m.M2.h)).body.data).toEqual(all().filter((a) => a.manufacturerId === x.m.M2.id));
      expect((await alerts(x.m.M6.h)).body.data).toEqual([]);
      expectProblem(await alerts(outsider.h), 404);
      expectProblem(await alerts({}), 401);
    });
  });

  describe('GET /v1/price-history', () => {
    it('lists the awarded round with its winners and the monthly paid prices', async () => {
      const res = await c.get('/v1/price-history?genericName=%20Atorvastatin%20Calcium&dosageForm=TABLET', x.h.h1.h);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.rounds).toEqual([{
        roundId, roundName: '阿托伐他汀', itemCode: 'ATV20', awardedAt: '2026-03-20T00:00:00.000Z', baselineUnitPrice: '2.5000',
        // mean(0.51, 0.5294117…, 0.60, 0.92) = 0.6398529…
        averageWinningPrice: '0.6399', priceDrop: '0.7441',
        winners: [
          { manufacturerId: x.m.M2.id, comparableUnitPrice: '0.5100' }, { manufacturerId: x.m.M3.id, comparableUnitPrice: '0.5294' },
          { manufacturerId: x.m.M1.id, comparableUnitPrice: '0.6000' }, { manufacturerId: x.m.M4.id, comparableUnitPrice: '0.9200' },
        ],
      }]);
      // Per month, the agreements' own products: 03 h1 700/357 + h2 400/240 + h5 400/211.76; 04 h1 650/331.5 + h2 400/240
      // + h4 200/184 + h5 200/106; 05 h2 500/300 (h1's and h4's May buying was off-contract); 06 h1 600/330 + h2 500/300.
      expect(res.body.months).toEqual([
        { roundId, itemCode: 'ATV20', period: '2026-03', used: 1500, amount: '808.7600', paidUnitPrice: '0.5392' },
        { roundId, itemCode: 'ATV20', period: '2026-04', used: 1450, amount: '861.5000', paidUnitPrice: '0.5941' },
        { roundId, itemCode: 'ATV20', period: '2026-05', used: 500, amount: '300.0000', paidUnitPrice: '0.6000' },
        { roundId, itemCode: 'ATV20', period: '2026-06', used: 1100, amount: '630.0000', paidUnitPrice: '0.5727' },
      ]);
      const none = await c.get('/v1/price-history?genericName=aspirin&dosageForm=tablet', x.m.M1.h);
      expect(none.body).toEqual({ genericName: 'aspirin', dosageForm: 'tablet', rounds: [], months: [] });
      expectProblem(await c.get('/v1/price-history?genericName=aspirin&dosageForm=tablet', {}), 401);
      expectProblem(await c.get('/v1/price-history?genericName=aspirin', op), 400);
    });
  });

  describe('rule twins: the SQL ratios and predicates against src/rules/monitoring.ts', () => {
    it('ratio4 in SQL equals ratio4 in TS', async () => {
      const pairs: [string, string][] = [['1', '3'], ['2', '3'], ['1', '20000'], ['-1', '20000'], ['-1', '80000'], ['3', '20000'],
        ['1018.5', '1950'], ['2600.26', '4550'], ['0.00005', '1'], ['0.00015', '1'], ['-0.00015', '1'], ['999999999999', '7'], ['5', '0'],
        ['1', '-3'], ['-7.00005', '2'], ['123456789.1234', '0.0003'], ['0', '7'], ['0.0000', '-2.5'], ['2', '2']];
      for (let i = 0; i < 300; i++) {
        const a = (Math.floor(Math.random() * 2e9) - 1e9) / 10 ** Math.floor(Math.random() * 5);
        const b = Math.floor(Math.random() * 1e6) + 1;
        pairs.push([String(a), String(b)]);
      }
      const rows = await x.t.db.query<{ v: string | null }>(
        'SELECT ratio4(a::numeric, b::numeric)::text AS v FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(a, b, n) ORDER BY n',
        [pairs.map((p) => p[0]), pairs.map((p) => p[1])]);
      expect(rows.map((r) => r.v)).toEqual(pairs.map(([a, b]) => ratio4(a, b)));
    });

    it('ratio4 of integers (int8 arithmetic below 4 × 10^14, numeric above) equals ratio4 in TS', async () => {
      const edge = 400000000000000n;
      const pairs: [bigint, bigint][] = [[1n, 3n], [-1n, 3n], [1n, -3n], [0n, 7n], [5n, 0n], [1n, 20000n], [-1n, 20000n], [3n, 40000n],
        [edge - 1n, 3n], [edge, 3n], [-edge, 7n], [edge - 1n, edge - 1n], [7n, edge], [9223372036854775807n / 20000n, 9n],
        [9223372036854775807n, 2n], [-9223372036854775807n, 9223372036854775807n], [-9223372036854775808n, 3n], [2n, -9223372036854775808n], [12n * 999999999999n, 7n * 1000000000000n]];
      for (let i = 0; i < 300; i++) {
        const big = Math.random() < 0.2;
        const a = BigInt(Math.floor(Math.random() * 2e9) - 1e9) * (big ? 10n ** 6n : 1n);
        pairs.push([a, BigInt(Math.floor(Math.random() * 1e6) + 1) * (Math.random() < 0.1 ? -1n : 1n)]);
      }
      const rows = await x.t.db.query<{ v: string | null; t: string }>(
        `SELECT ratio4(a::bigint, b::bigint)::text AS v, pg_typeof(ratio4(a::bigint, b::bigint))::text AS t
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(a, b, n) ORDER BY n`,
        [pairs.map((p) => String(p[0])), pairs.map((p) => String(p[1]))]);
      expect(rows.map((r) => r.v)).toEqual(pairs.map(([a, b]) => ratio4(String(a), String(b))));
      expect(new Set(rows.map((r) => r.t))).toEqual(new Set(['numeric']));
      // Every mix of integer and numeric arguments resolves to one twin, with the same value.
      const [mixed] = await x.t.db.query<Record<string, string>>(
        `SELECT ratio4(5, 6)::text AS ii, ratio4(5, 6::bigint)::text AS ib, ratio4(5::bigint, 6)::text AS bi, ratio4(5::numeric, 6)::text AS ni,
                ratio4(5, 6::numeric)::text AS in_, ratio4(-5::smallint, 6)::text AS si`, []);
      expect(mixed).toEqual({ ii: '0.8333', ib: '0.8333', bi: '0.8333', ni: '0.8333', in_: '0.8333', si: '-0.8333' });
    });

    it('by hospital, the three reads of the whole round (totals, totals less later months, months summed) agree', async () => {
      const r = (await loadRound(x.t.db, roundId))!;
      expect(hospitalPath([24314, 24315, 24316, 24317], 24317)).toBe('totals');
      expect(hospitalPath([24314, 24315, 24316, 24317], 24316)).toBe('minus');
      expect(hospitalPath([24314, 24315, 24316, 24317], 24315)).toBe('months');
      for (const asOf of ['2026-01', '2026-03', '2026-04', '2026-05', '2026-06', '2027-06']) {
        const [totals, minus, months] = await Promise.all((['totals', 'minus', 'months'] as const).map((hospitalPath) =>
          getMonitoring(x.t.db, null, r, { asOf, groupBy: 'hospital', hospitalPath })));
        expect(minus, asOf).toEqual(months);
        // The totals hold every month: they are the figures at asOf once no later month holds usage.
        if (asOf >= '2026-06') expect(totals, asOf).toEqual(months);
        else expect(totals.rows.map((t) => t.used), asOf).not.toEqual(months.rows.map((m) => m.used));
      }
      // Over HTTP the read path is the server's choice: a hospitalPath in the query string is not passed on.
      const plain = await mon(x.alliance.h, 'groupBy=hospital&asOf=2026-04');
      expect(plain.status).toBe(200);
      expect((await mon(x.alliance.h, 'groupBy=hospital&asOf=2026-04&hospitalPath=totals')).body).toEqual(plain.body);
      // Migration 0008 fills the totals of rounds monitored before it from the month × hospital rollup.
      const before = await getMonitoring(x.t.db, null, r, { asOf: '2027-06', groupBy: 'hospital', hospitalPath: 'totals' });
      const backfill = readFileSync(new URL('../../migrations/0008_monitoring_totals.sql', import.meta.url), 'utf8').split('--> statement-breakpoint')[1];
      await x.t.db.transaction(async (tx) => {
        await tx.query('UPDATE monitoring_agreed_hospitals SET used = 0, non_winning = 0, ordered = 0, amount = 0, baseline_amount = 0 WHERE round_no = $1', [r.no]);
        await tx.query(backfill, []);
      });
      expect(await getMonitoring(x.t.db, null, r, { asOf: '2027-06', groupBy: 'hospital', hospitalPath: 'totals' })).toEqual(before);
    });

    it('figuresSql (the many-row reads) equals figures() on the same sums', async () => {
      type S = { agreed: string; used: string; nonWinning: string; ordered: string; amount: string; baselineAmount: string; baseline: string | null; elapsed: number };
      const int = (max: number) => String(Math.floor(Math.random() * max));
      const money = (max: number) => (Math.floor(Math.random() * max * 10000) / 10000).toFixed(Math.floor(Math.random() * 5));
      const cases: S[] = [
        // Nothing agreed, nothing used, nothing ordered, no month elapsed; a baseline of 0; x.5 at the 5th place; savings below zero.
        { agreed: '0', used: '0', nonWinning: '0', ordered: '0', amount: '0', baselineAmount: '0', baseline: '2.5', elapsed: 0 },
        { agreed: '7', used: '0', nonWinning: '3', ordered: '0', amount: '0', baselineAmount: '0', baseline: null, elapsed: 12 },
        { agreed: '3', used: '1', nonWinning: '0', ordered: '2', amount: '0.00005', baselineAmount: '0', baseline: '0', elapsed: 5 },
        { agreed: '20000', used: '1', nonWinning: '0', ordered: '1', amount: '9.99995', baselineAmount: '2.5', baseline: '2.5', elapsed: 1 },
        { agreed: '1000000000000', used: '999999999999', nonWinning: '1', ordered: '999999999999', amount: '123456789012.3456', baselineAmount: '1.0001', baseline: '2.5', elapsed: 7 },
      ];
      for (let i = 0; i < 300; i++) {
        const baseline = Math.random() < 0.3 ? null : money(10);
        cases.push({
          agreed: int(1e7), used: int(1e7), nonWinning: int(1e5), ordered: int(1e7), amount: money(1e6), baselineAmount: money(1e6), baseline,
          elapsed: Math.floor(Math.random() * 13),
        });
      }
      const col = (k: keyof S) => cases.map((c) => (c[k] === null ? null : String(c[k])));
      const rows = await x.t.db.query<Parameters<typeof figuresOf>[0]>(
        `SELECT ${figuresSql({
          agreed: 'a::numeric', used: 'u::numeric', nonWinning: 'nw::numeric', ordered: 'o::numeric', amount: 'm::numeric', baselineAmount: 'b::numeric',
          baselineUnitPrice: 'p::numeric',
        }, 'e::int', '12')}
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) WITH ORDINALITY AS t(a, u, nw, o, m, b, p, e, n)
          ORDER BY n`,
        [col('agreed'), col('used'), col('nonWinning'), col('ordered'), col('amount'), col('baselineAmount'), col('baseline'), col('elapsed')]);
      expect(rows.map(figuresOf)).toEqual(cases.map((c) => figures(
        { agreed: c.agreed, used: c.used, nonWinning: c.nonWinning, ordered: c.ordered, amount: c.amount, baselineAmount: c.baselineAmount },
        c.elapsed, 12, c.baseline ?? undefined)));
    });

    it('per-agreement rows (SQL ratios) equal the per-hospital groups (TS ratios), and the alerts their predicates', async () => {
      const r = (await loadRound(x.t.db, roundId))!;
      for (const asOf of ['2026-02', '2026-04', '2026-06', '2027-06']) {
        const rows: AgreementMonitoringRow[] = [];
        let batches = 0;
        for await (const batch of agreementMonitoring(x.t.db, r, asOf, 2)) { rows.push(...batch); batches++; }
        expect(batches).toBe(3); // 2 + 2 + 1, in key order
        expect(rows.map((a) => keyOf(x.h, a.hospitalId))).toEqual(['h1', 'h3', 'h2', 'h4', 'h5']);
        // Every hospital has one agreement: its group row is its agreement's row.
        const groups = await getMonitoring(x.t.db, null, r, { asOf, groupBy: 'hospital' });
        for (const a of rows) {
          const { key, paidUnitPrice, actualDrop, ...g } = groups.rows.find((row) => row.key === a.hospitalId)!;
          const { hospitalId: _h, itemCode, manufacturerId, ...figures } = a;
          expect(figures, `${asOf} ${key}`).toEqual(g);
          expect([paidUnitPrice, actualDrop, itemCode]).toEqual([null, null, 'ATV20']);
          expect(manufacturerId).toBe(x.m[keyOf(x.m, manufacturerId)!].id);
        }
        // The per-agreement alerts of SQL are those the TS predicates give on the same sums.
        const m = groups.monthsElapsed;
        const expected: string[] = [];
        const rules = r.rules.monitoring;
        for (const a of rows) {
          if (behindSchedule(rules, m, 12, a.agreedQuantity, a.used)) expected.push(`behind_schedule ${a.hospitalId} ${a.progress}`);
        }
        for (const a of rows) if (nonWinningShare(rules, a.used, a.nonWinningUsed)) expected.push(`non_winning_share ${a.hospitalId} ${ratio4(a.nonWinningUsed, a.used + a.nonWinningUsed)}`);
        for (const a of rows) if (supplyShortfall(rules, a.used, a.ordered)) expected.push(`supply_shortfall ${a.hospitalId} ${a.fulfilment}`);
        const got = (await listAlerts(x.t.db, null, r, { asOf, limit: 1000 })).data
          .filter((al) => !al.period).map((al) => `${al.type} ${al.hospitalId} ${al.value}`);
        expect(got.sort(), asOf).toEqual(expected.sort());
        const counts = await alertCounts(x.t.db, r, asOf);
        const all = (await listAlerts(x.t.db, null, r, { asOf, limit: 1000 })).data;
        expect(counts).toEqual({
          behind_schedule: all.filter((al) => al.type === 'behind_schedule').length,
          delivery_mismatch: all.filter((al) => al.type === 'delivery_mismatch').length,
          non_winning_share: all.filter((al) => al.type === 'non_winning_share').length,
          price_above_award: all.filter((al) => al.type === 'price_above_award').length,
          supply_shortfall: all.filter((al) => al.type === 'supply_shortfall').length,
        });
      }
      expect(deliveryGap(450, 400)).toBe('0.1111'); // the SQL gap of h2's April (alerts test above)
    });

    it('monthlyUsage: used per month beside the expected by then', async () => {
      const r = (await loadRound(x.t.db, roundId))!;
      // Σ agreed 20,799: expected by month m = 20,799 × m / 12.
      expect(await monthlyUsage(x.t.db, r, '2026-06')).toEqual([
        { period: '2026-03', used: 1500, cumulativeUsed: 1500, expected: '1733.2500' },
        { period: '2026-04', used: 1450, cumulativeUsed: 2950, expected: '3466.5000' },
        { period: '2026-05', used: 500, cumulativeUsed: 3450, expected: '5199.7500' },
        { period: '2026-06', used: 1100, cumulativeUsed: 4550, expected: '6933.0000' },
      ]);
      expect(await monthlyUsage(x.t.db, r, '2026-02')).toEqual([]);
      const whole = await monthlyUsage(x.t.db, r, '2030-01');
      expect(whole).toHaveLength(12);
      expect(whole[11]).toEqual({ period: '2027-02', used: 0, cumulativeUsed: 4550, expected: '20799.0000' });
      expect(new D(whole[5].expected).toNumber()).toBe(20799 * 6 / 12);
    });
  });

  describe('GET /v1/rounds/{id}/ocds: contracts and their implementation', () => {
    it('one contract per award, one transaction per month with usage of the agreements\' own product', async () => {
      const res = await c.loose.get(`/v1/rounds/${roundId}/ocds`, {});
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const rel = res.body.releases[0];
      const period = { startDate: '2026-03-01T00:00:00.000Z', endDate: '2027-02-28T23:59:59.000Z' };
      const payer = { id: x.alliance.id, name: '广东联盟' };
      const tx = (m: keyof Example['m'], month: string, amount: number) => ({
        id: `${roundId}-ATV20-${x.m[m].id}-${month}`, date: `${month}-01T00:00:00.000Z`, value: { amount, currency: 'CNY' },
        payer, payee: { id: x.m[m].id, name: `制药${m}` },
      });
      const contract = (m: keyof Example['m'], value: number, transactions: unknown[]) => ({
        id: `${roundId}-ATV20-${x.m[m].id}-contract`, awardID: `${roundId}-ATV20-${x.m[m].id}`, status: 'active', period,
        value: { amount: value, currency: 'CNY' }, implementation: { transactions },
      });
      const byAward = Object.fromEntries(rel.contracts.map((k: { awardID: string }) => [k.awardID, k]));
      expect(rel.contracts).toHaveLength(4);
      expect(rel.contracts.map((k: { awardID: string }) => k.awardID)).toEqual(rel.awards.map((a: { id: string }) => a.id));
      // M2: 12,000 × 0.51 = 6,120; h1 paid 357 (03), 331.50 (04), 330 (06); its May buying was off-contract.
      expect(byAward[`${roundId}-ATV20-${x.m.M2.id}`]).toEqual(contract('M2', 6120, [tx('M2', '2026-03', 357), tx('M2', '2026-04', 331.5), tx('M2', '2026-06', 330)]));
      // M1: 4,800 × 0.60 = 2,880; h2 paid 240, 240, 300, 300.
      expect(byAward[`${roundId}-ATV20-${x.m.M1.id}`]).toEqual(contract('M1', 2880,
        [tx('M1', '2026-03', 240), tx('M1', '2026-04', 240), tx('M1', '2026-05', 300), tx('M1', '2026-06', 300)]));
      // M3: 1,599 × 0.529411… = 846.529… → 846.53; h5 paid 211.76 and 106.
      expect(byAward[`${roundId}-ATV20-${x.m.M3.id}`]).toEqual(contract('M3', 846.53, [tx('M3', '2026-03', 211.76), tx('M3', '2026-04', 106)]));
      // M4: 2,400 × 0.92 = 2,208; h4 paid 184 in April (its May buying was M1's product: not M4's contract).
      expect(byAward[`${roundId}-ATV20-${x.m.M4.id}`]).toEqual(contract('M4', 2208, [tx('M4', '2026-04', 184)]));
      const roles = Object.fromEntries(rel.parties.map((p: { id: string; roles: string[] }) => [p.id, p.roles]));
      expect(roles[x.alliance.id]).toEqual(['buyer', 'procuringEntity', 'payer']);
      expect(roles[x.m.M2.id]).toEqual(['tenderer', 'supplier', 'payee']);
      expect(roles[x.m.M6.id]).toEqual(['tenderer']);
      if (!existsSync(ocdsDir)) {
        console.warn('SKIPPED: OCDS schema validation of contracts (../shared/ocds not found)');
        return;
      }
      const validate = ocdsValidator();
      expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
    });
  });

  describe('after close', () => {
    it('reads stay open; writes are refused (409 invalid-state)', async () => {
      expect((await c.post(`/v1/rounds/${roundId}/close`, x.alliance.h)).status).toBe(200);
      const before = await usageRows();
      expectProblem(await put('usage', x.h.h1.h, `period,itemCode,orderedQuantity,receivedQuantity,amount\n2026-06,ATV20,1,1,1\n`), 409, 'invalid-state');
      expectProblem(await put('deliveries', x.m.M2.h, `hospitalId,period,itemCode,shippedQuantity\n${x.h.h1.id},2026-06,ATV20,1\n`), 409, 'invalid-state');
      expect(await usageRows()).toBe(before);
      expect((await mon(x.alliance.h, 'groupBy=item')).body.rows[0].used).toBe(4550);
      expect((await alerts(x.alliance.h)).body.data).toHaveLength(9);
      const contracts = (await c.loose.get(`/v1/rounds/${roundId}/ocds`, {})).body.releases[0].contracts;
      expect(contracts.map((k: { status: string }) => k.status)).toEqual(['terminated', 'terminated', 'terminated', 'terminated']);
    });
  });
});
