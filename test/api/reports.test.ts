import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { D, fmt4 } from '../../src/rules/decimal.js';
import { enqueue } from '../../src/outbox/service.js';
import { reportProcessor } from '../../jobs/processors/report.js';
import { count, expectProblem, invalid, op, org, type H } from '../helpers.js';
import { award, bid, item, maker, open, round, world, type Maker, type Round, type World } from './round-fixture.js';
import { csvRecords, generations, haveChromium, rawGet, settled, sheetRows, viewInChromium, workbook } from './report-files.js';

/**
 * Round reports (API.md "Reports, export, audit", "Report documents") in the
 * mode of the run: BullMQ workers in this process on PostgreSQL and Redis, the
 * embedded runner on PGlite. test/e2e/reports-worker.test.ts runs the real worker process.
 */
const INJECTED = '=HYPERLINK("http://example.invalid","点我")';

describe('reports', () => {
  let w: World;
  let r: Round;
  let m1: Maker, m2: Maker, m3: Maker;
  let extra: { id: string; h: H };
  const embedded = () => w.t.jobs.kind === 'in-process';
  const step = async () => { if (embedded()) await (w.t.jobs as unknown as { runDue(): Promise<void> }).runDue(); };
  const request = (body: unknown, h: H = w.alliance.h, roundId = r.id) => w.c.post(`/v1/rounds/${roundId}/reports`, h, body);
  async function done(format: string, kind = 'round_summary') {
    const res = await request({ kind, format });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.headers.location).toBe(`/v1/reports/${res.body.id}`);
    const { report } = await settled(w.t.app, res.body.id, w.alliance.h, step);
    expect(report, JSON.stringify(report)).toMatchObject({ status: 'done', progress: 100 });
    return { id: res.body.id as string, file: await rawGet(w.t.app, `/v1/reports/${res.body.id}/file`, w.alliance.h) };
  }

  beforeAll(async () => {
    w = await world();
    // A hospital and an item whose names a spreadsheet would run as formulas.
    extra = await org(w.c, { kind: 'hospital', name: '@SUM(1+1)*cmd|', regionCode: '440106' });
    const injectedItem = item('INJ10', { genericName: INJECTED, dosageForm: '+tablet' });
    m1 = await maker(w);
    m2 = await maker(w);
    m3 = await maker(w, [{ genericName: INJECTED, dosageForm: '+tablet' }]);
    await w.t.db.query(`UPDATE organizations SET name = $2 WHERE id = $1`, [m2.id, '-2+3 制药']);
    r = await round(w, {
      items: [item(), injectedItem],
      demand: [['gz1', 'ATV20', 1000], ['nj', 'ATV20', 2000], ['bj', 'ATV20', 500], ['gz2', 'INJ10', 300]],
      state: 'demand',
    });
    const d = await w.api.put(`/v1/rounds/${r.id}/demand/ATV20`, extra.h, { quantity: 700 });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect((await w.api.post(`/v1/rounds/${r.id}/start-bidding`, w.alliance.h)).status).toBe(200);
    w.t.clock.set(new Date(new Date(r.opensAt).getTime() + 3_600_000));
    await bid(w, m1, r, 'ATV20', '20');
    await bid(w, m2, r, 'ATV20', '21');
    await bid(w, m3, r, 'INJ10', '15');
    await open(w, r);
    await award(w, r);
  });
  afterAll(async () => { await w?.t.close(); });

  describe('POST /v1/rounds/{id}/reports', () => {
    it('queues a report and its job in one transaction: 202 with Location, queued, then done', async () => {
      const before = await count(w.t.db, 'outbox', `kind = 'report'`);
      const res = await request({ kind: 'round_summary', format: 'json' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ id: expect.stringMatching(/^rep_/), status: 'queued' });
      expect(await count(w.t.db, 'outbox', `kind = 'report' AND payload->>'reportId' = $1`, [res.body.id])).toBe(1);
      expect(await count(w.t.db, 'outbox', `kind = 'report'`)).toBe(before + 1);
      const { report } = await settled(w.t.app, res.body.id, w.alliance.h, step);
      expect(report).toEqual({
        id: res.body.id, roundId: r.id, kind: 'round_summary', format: 'json', asOf: null, status: 'done', progress: 100,
        createdAt: w.t.clock.now().toISOString(), finishedAt: w.t.clock.now().toISOString(),
      });
    });

    it('is for the round\'s alliance and the operator: 401, 404, 403; bad bodies 400 and nothing written', async () => {
      const before = await count(w.t.db, 'reports');
      expectProblem(await request({ kind: 'round_summary', format: 'csv' }, {}), 401, 'unauthorized');
      expectProblem(await request({ kind: 'round_summary', format: 'csv' }, w.otherAlliance.h), 404, 'not-found');
      expectProblem(await request({ kind: 'round_summary', format: 'csv' }, w.alliance.h, 'rnd_missing'), 404, 'not-found');
      expectProblem(await request({ kind: 'round_summary', format: 'csv' }, w.hospitals.gz1.h), 403, 'forbidden');
      expectProblem(await request({ kind: 'round_summary', format: 'csv' }, m1.h), 403, 'forbidden');
      for (const body of [{}, { kind: 'round_summary' }, { kind: 'summary', format: 'csv' }, { kind: 'round_summary', format: 'pdf' },
        { kind: 'round_summary', format: 'csv', asOf: '2026-13' }, { kind: 'round_summary', format: 'csv', extra: 1 }]) {
        expectProblem(await request(invalid(body)), 400, 'validation');
      }
      expect(await count(w.t.db, 'reports')).toBe(before);
      const byOperator = await request({ kind: 'round_summary', format: 'csv' }, op);
      expect(byOperator.status).toBe(202);
      await settled(w.t.app, byOperator.body.id, op, step);
    });

    it('needs an opened round for round_summary (409 invalid-state before)', async () => {
      const draft = await round(w, { state: 'draft' });
      const before = await count(w.t.db, 'reports');
      expectProblem(await request({ kind: 'round_summary', format: 'json' }, w.alliance.h, draft.id), 409, 'invalid-state');
      expect(await count(w.t.db, 'reports')).toBe(before);
    });
  });

  describe('GET /v1/reports/{id}/file', () => {
    it('json: the round and per item its outcome and winners, as GET /results and the agreements give them', async () => {
      const { file } = await done('json');
      expect(file.status).toBe(200);
      expect(file.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(file.headers['content-disposition']).toMatch(/^attachment; filename="round_summary-rnd_[^"]+\.json"; filename\*=UTF-8''/);
      const doc = JSON.parse(file.body.toString('utf8'));
      const results = (await w.api.get(`/v1/rounds/${r.id}/results`, w.alliance.h)).body;
      const agreements = (await w.api.get(`/v1/rounds/${r.id}/agreements?limit=1000`, w.alliance.h)).body.data;
      const allocations = (await w.api.get(`/v1/rounds/${r.id}/allocations?limit=1000`, w.alliance.h)).body.data;
      expect(doc.round).toEqual({ id: r.id, name: 'round', state: 'awarded', ...results.round });
      expect(doc.items.map((i: { itemCode: string }) => i.itemCode)).toEqual(['ATV20', 'INJ10']);
      for (const [n, it] of doc.items.entries()) {
        const res = results.items[n];
        expect(it).toMatchObject({
          itemCode: res.itemCode, outcome: res.outcome, eligibleBidders: res.eligibleBidders, lowest: res.lowest, priceDrop: res.priceDrop,
          agreedVolumeRatio: res.agreedVolumeRatio, totalDemand: res.totalDemand,
        });
        const winners = res.bids.filter((b: { winner: boolean }) => b.winner);
        expect(it.winners.map((x: { manufacturerId: string }) => x.manufacturerId)).toEqual(winners.map((b: { manufacturerId: string }) => b.manufacturerId));
        for (const wn of it.winners) {
          const own = agreements.filter((a: { itemCode: string; manufacturerId: string }) => a.itemCode === it.itemCode && a.manufacturerId === wn.manufacturerId);
          expect(wn.hospitals).toBe(own.length);
          expect(wn.agreedQuantity).toBe(own.reduce((s: number, a: { agreedQuantity: number }) => s + a.agreedQuantity, 0));
          expect(wn.value).toBe(fmt4(own.reduce((s: InstanceType<typeof D>, a: { agreedQuantity: number; comparableUnitPrice: string }) =>
            s.plus(new D(a.comparableUnitPrice).times(a.agreedQuantity)), new D(0))));
          expect(wn.regionCodes).toEqual(allocations.filter((a: { itemCode: string; manufacturerId: string }) =>
            a.itemCode === it.itemCode && a.manufacturerId === wn.manufacturerId).map((a: { regionCode: string }) => a.regionCode).sort());
        }
      }
      // Hand-computed: ATV20's winner is m1 (comparable unit price 2.0000, the lowest); INJ10's only bidder m3.
      expect(doc.items[0]).toMatchObject({ genericName: 'atorvastatin calcium', dosageForm: 'tablet', totalDemand: 4200, lowest: '2.0000', priceDrop: '0.2000' });
      expect(doc.items[1]).toMatchObject({ genericName: INJECTED, dosageForm: '+tablet', totalDemand: 300 });
    });

    it('csv: one line per item and winner; text that a spreadsheet would run starts with a quote', async () => {
      const { file } = await done('csv');
      expect(file.headers['content-type']).toBe('text/csv; charset=utf-8');
      const json = JSON.parse((await done('json')).file.body.toString('utf8'));
      const lines = csvRecords(file.body);
      const expected = json.items.flatMap((i: { winners: unknown[] }) => (i.winners.length ? i.winners.length : 1));
      expect(lines).toHaveLength(expected.reduce((a: number, b: number) => a + b, 0));
      const first = json.items[0];
      expect(lines[0]).toMatchObject({
        itemCode: 'ATV20', genericName: 'atorvastatin calcium', outcome: first.outcome, lowest: first.lowest, priceDrop: first.priceDrop,
        totalDemand: String(first.totalDemand), manufacturerId: first.winners[0].manufacturerId, comparableUnitPrice: first.winners[0].comparableUnitPrice,
        value: first.winners[0].value, regionCodes: first.winners[0].regionCodes.join(' '),
      });
      const inj = lines.find((l) => l.itemCode === 'INJ10')!;
      expect(inj.genericName).toBe(`'${INJECTED}`);
      expect(inj.dosageForm).toBe("'+tablet");
    });

    it('xlsx: a workbook with sheets Summary, Items, Winners, Regions, Hospitals; numbers with formats; formulas stay text', async () => {
      const { file } = await done('xlsx');
      expect(file.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      const wb = await workbook(file.body);
      expect(wb.worksheets.map((s) => s.name)).toEqual(['Summary', 'Items', 'Winners', 'Regions', 'Hospitals']);
      const json = JSON.parse((await done('json')).file.body.toString('utf8'));
      const summary = sheetRows(wb.getWorksheet('Summary')!);
      expect(summary.values[0]).toEqual(['id', 'name', 'state', 'items', 'awardedItems', 'averageDrop', 'weightedDrop']);
      expect(summary.values[1]).toEqual([r.id, 'round', 'awarded', 2, json.round.awardedItems, Number(json.round.averageDrop), Number(json.round.weightedDrop)]);
      expect(summary.formats[1][5]).toBe('0.0000');
      const items = sheetRows(wb.getWorksheet('Items')!);
      expect(items.values[0].slice(0, 4)).toEqual(['itemCode', 'genericName', 'dosageForm', 'outcome']);
      expect(items.values[1].slice(0, 3)).toEqual(['ATV20', 'atorvastatin calcium', 'tablet']);
      expect(items.values[1][5]).toBe(2); // lowest 2.0000 as a number
      expect(items.formats[1][5]).toBe('#,##0.0000');
      expect(items.values[1][8]).toBe(4200);
      expect(items.formats[1][8]).toBe('#,##0');
      // The injected generic name is a string cell holding the text itself, not a formula.
      expect(items.values[2][1]).toBe(INJECTED);
      expect(items.types[2][1]).toBe(3); // ExcelJS.ValueType.String
      expect(items.values[2][2]).toBe('+tablet');
      const winners = sheetRows(wb.getWorksheet('Winners')!);
      expect(winners.values[0]).toEqual(['itemCode', 'manufacturerId', 'manufacturerName', 'rank', 'comparableUnitPrice', 'regionCodes', 'hospitals', 'winnerAgreedQuantity', 'value']);
      const atv = json.items[0].winners[0];
      expect(winners.values[1]).toEqual(['ATV20', atv.manufacturerId, expect.any(String), atv.rank, Number(atv.comparableUnitPrice), atv.regionCodes.join(' '), atv.hospitals, atv.agreedQuantity, Number(atv.value)]);
      const regions = sheetRows(wb.getWorksheet('Regions')!);
      const allocations = (await w.api.get(`/v1/rounds/${r.id}/allocations?limit=1000`, w.alliance.h)).body.data;
      expect(regions.values.slice(1)).toEqual(allocations.map((a: Record<string, string>) => [a.itemCode, a.regionCode, a.manufacturerId, a.productId]));
      const hospitals = sheetRows(wb.getWorksheet('Hospitals')!);
      expect(hospitals.values[0]).toEqual(['hospitalId', 'name', 'regionCode', 'items', 'demand', 'agreedQuantity', 'value']);
      const agreements = (await w.api.get(`/v1/rounds/${r.id}/agreements?limit=1000`, w.alliance.h)).body.data;
      const own = agreements.filter((a: { hospitalId: string }) => a.hospitalId === extra.id);
      const row = hospitals.values.find((v) => v[0] === extra.id)!;
      expect(row).toEqual([extra.id, '@SUM(1+1)*cmd|', '440106', own.length, 700, own[0].agreedQuantity,
        Number(fmt4(new D(own[0].comparableUnitPrice).times(own[0].agreedQuantity)))]);
      expect(hospitals.types[hospitals.values.indexOf(row)][1]).toBe(3);
      expect(hospitals.values).toHaveLength(1 + new Set(agreements.map((a: { hospitalId: string }) => a.hospitalId)).size);
    });

    it('html: self-contained, escaped, in Chinese, with the priceDrop chart', async () => {
      const { file } = await done('html');
      expect(file.headers['content-type']).toBe('text/html; charset=utf-8');
      const html = file.body.toString('utf8');
      expect(html).toContain('<html lang="zh-CN">');
      expect(html).not.toMatch(/<script|<link|src=|href=/i);
      expect(html).toContain('=HYPERLINK(&quot;http://example.invalid&quot;,&quot;点我&quot;)');
      expect(html).toContain('各品种降价幅度');
      expect(html).toMatch(/<svg[^>]+id="chart-price-drop"/);
    });

    it.skipIf(!haveChromium)(haveChromium
      ? 'html in headless Chromium: the chart drawn at a visible size, the tables there, no script errors'
      : 'html in headless Chromium skipped: /usr/bin/chromium not found (apt-get install -y chromium fonts-noto-cjk)', async () => {
      const { file } = await done('html');
      // REPORT_SCREENSHOTS=docs writes docs/report.png (the README's picture).
      const view = await viewInChromium(file.body, { screenshot: Boolean(process.env.REPORT_SCREENSHOTS) });
      if (process.env.REPORT_SCREENSHOTS && view.screenshot) writeFileSync(join(process.env.REPORT_SCREENSHOTS, 'report.png'), view.screenshot);
      expect(view.errors).toEqual([]);
      expect(view.title).toBe('集采结果报告 · round');
      expect(view.tables).toBe(5);
      expect(view.charts).toHaveLength(1);
      const [chart] = view.charts;
      expect(chart).toMatchObject({ id: 'chart-price-drop', bars: 2 });
      expect(chart.width).toBeGreaterThan(300);
      expect(chart.height).toBeGreaterThan(60);
      expect(chart.drawnBars).toBeGreaterThanOrEqual(1);
      expect(view.text).toContain('中选企业');
      expect(view.text).toContain(INJECTED);
    }, 60_000);

    it('is for the requester\'s organization and the operator (404 for others); 409 until done', async () => {
      const { id } = await done('json');
      const url = `/v1/reports/${id}/file`;
      expect((await rawGet(w.t.app, url, op)).status).toBe(200);
      for (const h of [w.otherAlliance.h, w.hospitals.gz1.h, m1.h]) expectProblem(await w.c.get(url, h), 404, 'not-found');
      expectProblem(await w.c.get(url, {}), 401, 'unauthorized');
      expectProblem(await w.c.get('/v1/reports/rep_missing/file', w.alliance.h), 404, 'not-found');
      await w.t.db.query(`INSERT INTO reports (id, round_id, requester_id, kind, format, created_at) VALUES ('rep_waiting', $1, $2, 'round_summary', 'json', now())`,
        [r.id, w.alliance.id]);
      expectProblem(await w.c.get('/v1/reports/rep_waiting/file', w.alliance.h), 409, 'invalid-state');
    });
  });

  describe('GET /v1/reports/{id}', () => {
    it('answers the requester\'s organization and the operator; others 404', async () => {
      const res = await request({ kind: 'round_summary', format: 'csv' });
      await settled(w.t.app, res.body.id, w.alliance.h, step);
      const url = `/v1/reports/${res.body.id}`;
      expect((await w.c.get(url, op)).body).toMatchObject({ id: res.body.id, status: 'done' });
      for (const h of [w.otherAlliance.h, w.hospitals.gz1.h, m1.h]) expectProblem(await w.c.get(url, h), 404, 'not-found');
      expectProblem(await w.c.get(url, {}), 401, 'unauthorized');
    });
  });

  describe('GET /v1/reports', () => {
    it('lists the caller\'s organization\'s reports newest first (the operator: all); 403 for hospitals and manufacturers', async () => {
      const mine = await w.c.get(`/v1/reports?roundId=${r.id}&limit=1000`, w.alliance.h);
      expect(mine.status).toBe(200);
      const rows = await w.t.db.query<{ id: string; requester_id: string | null }>(
        'SELECT id, requester_id FROM reports WHERE round_id = $1 ORDER BY created_at DESC, id DESC', [r.id]);
      expect(mine.body.data.map((x: { id: string }) => x.id)).toEqual(rows.filter((x) => x.requester_id === w.alliance.id).map((x) => x.id));
      const all = await w.c.get(`/v1/reports?roundId=${r.id}&limit=1000`, op);
      expect(all.body.data.map((x: { id: string }) => x.id)).toEqual(rows.map((x) => x.id));
      const page = await w.c.get(`/v1/reports?roundId=${r.id}&limit=2`, w.alliance.h);
      const next = await w.c.get(`/v1/reports?roundId=${r.id}&limit=2&cursor=${page.body.nextCursor}`, w.alliance.h);
      expect([...page.body.data, ...next.body.data].map((x: { id: string }) => x.id)).toEqual(mine.body.data.slice(0, 4).map((x: { id: string }) => x.id));
      expect((await w.c.get('/v1/reports', w.otherAlliance.h)).body).toEqual({ data: [], nextCursor: null });
      expectProblem(await w.c.get('/v1/reports', w.hospitals.gz1.h), 403, 'forbidden');
      expectProblem(await w.c.get('/v1/reports', m1.h), 403, 'forbidden');
      expectProblem(await w.c.get('/v1/reports?limit=0', w.alliance.h), 400, 'validation');
    });
  });

  describe('the report job', () => {
    it('a job that throws ends failed with its message after its retries', async () => {
      const id = 'rep_broken';
      await w.t.db.transaction(async (tx) => {
        await tx.query(`INSERT INTO reports (id, round_id, requester_id, kind, format, created_at) VALUES ($1, $2, $3, 'round_summary', 'pdf', $4)`,
          [id, r.id, w.alliance.id, w.t.clock.now()]);
        await enqueue(tx, 'report', { reportId: id }, w.t.clock.now());
      });
      w.t.jobs.kick();
      const { report } = await settled(w.t.app, id, w.alliance.h, async () => { await step(); if (embedded()) w.t.clock.advance(60_000); });
      expect(report).toMatchObject({ status: 'failed', error: 'report format "pdf" is not one of json, csv, xlsx, html' });
      const [job] = await w.t.db.query<{ attempts: number; state: string }>(`SELECT attempts, state FROM outbox WHERE payload->>'reportId' = $1`, [id]);
      expect(job).toEqual({ attempts: 5, state: 'failed' });
      expect(await generations(w.t.db, id)).toEqual([]);
    });

    it('is idempotent: run again, or twice at once, it stores one file', async () => {
      const { id, file } = await done('xlsx');
      const first = await generations(w.t.db, id);
      expect(first).toHaveLength(1);
      const again = await reportProcessor.run(w.t.ctx, { reportId: id }, { outboxId: 0, attempt: 1, finalAttempt: false });
      expect(again).toEqual({ reportId: id, file: 'already written' });
      expect(await generations(w.t.db, id)).toEqual(first);
      // Two runs at once (a stalled job handed to a second worker while the first still runs): one wins.
      await w.t.db.query(`UPDATE reports SET status = 'queued' WHERE id = $1`, [id]);
      const runs = await Promise.all([1, 2].map(() => reportProcessor.run(w.t.ctx, { reportId: id }, { outboxId: 0, attempt: 1, finalAttempt: false })));
      const gens = await generations(w.t.db, id);
      expect(gens).toHaveLength(1);
      expect(runs.filter((x) => (x as { file: string }).file === 'written').length).toBeLessThanOrEqual(2);
      const after = await rawGet(w.t.app, `/v1/reports/${id}/file`, w.alliance.h);
      expect(after.body.length).toBe(file.body.length);
    });
  });

  describe('GET /admin/queues (bull-board)', () => {
    it('shows the queues to the operator (bearer or Basic), 401 to anyone else, hidden from the OpenAPI document; absent in embedded mode', async () => {
      const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`operator:${password}`).toString('base64')}` });
      if (embedded()) {
        expect((await w.t.app.inject({ method: 'GET', url: '/admin/queues', headers: op })).statusCode).toBe(404);
        return;
      }
      const page = await w.t.app.inject({ method: 'GET', url: '/admin/queues', headers: op });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const browser = await w.t.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: basic(op.authorization.slice(7)) });
      expect(browser.statusCode).toBe(200);
      expect(browser.json().queues.map((q: { name: string }) => q.name)).toContain('report');
      for (const h of [{}, w.alliance.h, basic('wrong-key-0123456789')]) {
        const res = await w.t.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: h });
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Basic realm="jicai queues"/);
      }
      const doc = (await w.t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
    });
  });

  describe('monitoring reports', () => {
    const asOf = '2026-05';
    beforeAll(async () => {
      w.t.clock.set('2026-05-15T00:00:00Z');
      const rows = [
        [w.hospitals.gz1.id, '2026-03', 100, 100, '200.00'], [w.hospitals.gz1.id, '2026-04', 120, 110, '220.00'], [w.hospitals.nj.id, '2026-03', 50, 50, '100'],
      ].map(([hospitalId, period, o, rcv, amount]) => ({ hospitalId, period, itemCode: 'ATV20', productId: m1.products[0], orderedQuantity: o, receivedQuantity: rcv, amount }));
      const res = await w.c.raw('PUT', `/v1/rounds/${r.id}/usage`, w.alliance.h, JSON.stringify(rows), 'application/json');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });
    const monitoring = async (format: string, body: Record<string, unknown> = { kind: 'monitoring', format, asOf }) => {
      const res = await request(body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const { report } = await settled(w.t.app, res.body.id, w.alliance.h, step);
      expect(report, JSON.stringify(report)).toMatchObject({ status: 'done', kind: 'monitoring' });
      return { report, file: await rawGet(w.t.app, `/v1/reports/${res.body.id}/file`, w.alliance.h) };
    };

    it('json: asOf, monthsElapsed, byItem, byRegion, byManufacturer as GET /monitoring, alertCounts as GET /alerts', async () => {
      const { report, file } = await monitoring('json');
      expect(report.asOf).toBe(asOf);
      const doc = JSON.parse(file.body.toString('utf8'));
      const get = async (groupBy: string) => (await w.c.get(`/v1/rounds/${r.id}/monitoring?asOf=${asOf}&groupBy=${groupBy}`, w.alliance.h)).body;
      const byItem = await get('item');
      expect(doc).toMatchObject({ asOf, monthsElapsed: byItem.monthsElapsed });
      expect(doc.byItem).toEqual(byItem.rows);
      expect(doc.byRegion).toEqual((await get('region')).rows);
      expect(doc.byManufacturer).toEqual((await get('manufacturer')).rows);
      const alerts = (await w.c.get(`/v1/rounds/${r.id}/alerts?asOf=${asOf}&limit=1000`, w.alliance.h)).body.data;
      for (const [type, n] of Object.entries(doc.alertCounts)) expect(n, type).toBe(alerts.filter((a: { type: string }) => a.type === type).length);
      // Hand-computed: ATV20 used 100 + 110 + 50 = 260 by asOf 2026-05.
      expect(doc.byItem.find((x: { key: string }) => x.key === 'ATV20').used).toBe(260);
    });

    it('asOf defaults to the month the report was asked in', async () => {
      const { report } = await monitoring('json', { kind: 'monitoring', format: 'json' });
      expect(report.asOf).toBe('2026-05');
    });

    it('csv: one line per agreement with its figures', async () => {
      const { file } = await monitoring('csv');
      const lines = csvRecords(file.body);
      const agreements = (await w.api.get(`/v1/rounds/${r.id}/agreements?limit=1000`, w.alliance.h)).body.data;
      expect(lines).toHaveLength(agreements.length);
      expect(Object.keys(lines[0])).toEqual(['hospitalId', 'itemCode', 'manufacturerId', 'agreedQuantity', 'expected', 'used', 'nonWinningUsed', 'ordered',
        'completion', 'progress', 'fulfilment', 'amount', 'savings']);
      const gz1 = lines.find((l) => l.hospitalId === w.hospitals.gz1.id && l.itemCode === 'ATV20')!;
      const agreed = agreements.find((a: { hospitalId: string; itemCode: string }) => a.hospitalId === w.hospitals.gz1.id && a.itemCode === 'ATV20');
      expect(gz1).toMatchObject({ manufacturerId: m1.id, agreedQuantity: String(agreed!.agreedQuantity), used: '210', ordered: '220', amount: '420.0000' });
      expect(gz1.fulfilment).toBe('0.9545'); // 210 / 220
    });

    it('xlsx: sheets Items, Regions, Manufacturers, Hospitals, Alerts with numbers', async () => {
      const { file } = await monitoring('xlsx');
      const wb = await workbook(file.body);
      expect(wb.worksheets.map((x) => x.name)).toEqual(['Items', 'Regions', 'Manufacturers', 'Hospitals', 'Alerts']);
      const items = sheetRows(wb.getWorksheet('Items')!);
      expect(items.values[0].slice(0, 4)).toEqual(['itemCode', 'agreedQuantity', 'expected', 'used']);
      const atv = items.values.find((v) => v[0] === 'ATV20')!;
      expect(atv[3]).toBe(260);
      expect(items.formats[items.values.indexOf(atv)][9]).toBe('#,##0.0000');
      const hospitals = sheetRows(wb.getWorksheet('Hospitals')!);
      expect(hospitals.values.find((v) => v[0] === w.hospitals.gz1.id)![3]).toBe(210);
    });

    it.skipIf(!haveChromium)(haveChromium
      ? 'html in headless Chromium: completion per item and used against expected per month, drawn'
      : 'html in headless Chromium skipped: /usr/bin/chromium not found', async () => {
      const { file } = await monitoring('html');
      const view = await viewInChromium(file.body, { screenshot: Boolean(process.env.REPORT_SCREENSHOTS) });
      if (process.env.REPORT_SCREENSHOTS && view.screenshot) writeFileSync(join(process.env.REPORT_SCREENSHOTS, 'report-monitoring.png'), view.screenshot);
      expect(view.errors).toEqual([]);
      expect(view.charts.map((c) => c.id)).toEqual(['chart-completion', 'chart-monthly']);
      for (const c of view.charts) {
        expect(c.width).toBeGreaterThan(300);
        expect(c.height).toBeGreaterThan(60);
        expect(c.drawnBars).toBeGreaterThan(0);
      }
      expect(view.charts[1].bars).toBe(3); // 2026-03 … 2026-05
      expect(view.text).toContain('集采执行监测报告');
    }, 60_000);

    it('needs an awarded round (409 invalid-state)', async () => {
      const bidding = await round(w);
      expectProblem(await request({ kind: 'monitoring', format: 'csv' }, w.alliance.h, bidding.id), 409, 'invalid-state');
    });
  });
});
