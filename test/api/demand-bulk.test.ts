import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMAND, client, count, expectProblem, op, org, testApp, type Client, type TestApp } from '../helpers.js';

/** API.md "Demand": POST /v1/rounds/{id}/demand/bulk (CSV header = line 1; NDJSON first record = line 1). */

type Org = { id: string; h: Record<string, string> };
const CSV = 'text/csv';
const NDJSON = 'application/x-ndjson';

describe('demand bulk upload', () => {
  let t: TestApp;
  let c: Client;
  let a: Org, b: Org, m: Org;
  const h: Record<string, Org> = {};
  let round: string, draft: string;

  async function newRound(state: 'draft' | 'demand'): Promise<string> {
    const id = (await c.post('/v1/rounds', a.h, {
      name: 'R', rules: { preset: 'nvbp' }, bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: '2026-03-20T00:00:00Z', contractMonths: 12,
    })).body.id;
    for (const code of ['A1', 'A2']) {
      expect((await c.post(`/v1/rounds/${id}/items`, a.h, {
        code, genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
        referenceStrength: { value: '20', unit: 'mg' }, maxUnitPrice: '3', baselineUnitPrice: '2.5',
      })).status).toBe(201);
    }
    if (state === 'demand') expect((await c.post(`/v1/rounds/${id}/publish`, a.h)).status).toBe(200);
    return id;
  }
  const bulk = (r: string, who: Record<string, string>, payload: string, type = CSV) =>
    c.raw('POST', `/v1/rounds/${r}/demand/bulk`, who, payload, type);
  /** Every demand row of the round, for "nothing was written" checks. */
  const snapshot = (r: string) => t.db.query(
    `SELECT hospital_id, item_code, quantity, preferred_manufacturer_id FROM ${DEMAND} WHERE round_id = $1 ORDER BY hospital_id, item_code`, [r]);
  const qty = async (r: string, hospital: string, item: string) => (await t.db.query<{ quantity: number; preferred_manufacturer_id: string | null }>(
    `SELECT quantity, preferred_manufacturer_id FROM ${DEMAND} WHERE round_id = $1 AND hospital_id = $2 AND item_code = $3`, [r, hospital, item]))[0];

  beforeAll(async () => {
    t = await testApp();
    c = client(t.app);
    a = await org(c, { kind: 'alliance', name: 'A', regionCode: '440000', regionCodes: ['440000', '130100'] });
    b = await org(c, { kind: 'alliance', name: 'B', regionCode: '320000', regionCodes: ['320000'] });
    m = await org(c, { kind: 'manufacturer', name: 'M', regionCode: '310000' });
    for (const [k, code] of [['h1', '440103'], ['h2', '130102'], ['out', '130200']]) {
      h[k] = await org(c, { kind: 'hospital', name: k, regionCode: code, externalId: `EXT-${k}` });
    }
    round = await newRound('demand');
    draft = await newRound('draft');
  });
  afterAll(async () => { await t?.close(); });

  it('takes CSV with hospitalId from the alliance and replaces existing keys', async () => {
    expect((await c.put(`/v1/rounds/${round}/demand/A1`, h.h1.h, { quantity: 5, preferredManufacturerId: m.id })).status).toBe(200);
    const r = await bulk(round, a.h, `hospitalId,itemCode,quantity\n${h.h1.id},A1,100\n${h.h2.id},A1,200\n`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ rows: 2 });
    expect(await qty(round, h.h1.id, 'A1')).toEqual({ quantity: 100, preferred_manufacturer_id: null });
    expect(await qty(round, h.h2.id, 'A1')).toEqual({ quantity: 200, preferred_manufacturer_id: null });
    expect(await count(t.db, DEMAND, 'round_id = $1', [round])).toBe(2);
  });

  it('takes CSV with hospitalExternalId and a preferred manufacturer from the operator', async () => {
    const r = await bulk(round, op, `hospitalExternalId,itemCode,quantity,preferredManufacturerId\r\nEXT-h1,A2,10,${m.id}\r\nEXT-h2,A2,20,\r\n`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ rows: 2 });
    expect(await qty(round, h.h1.id, 'A2')).toEqual({ quantity: 10, preferred_manufacturer_id: m.id });
    expect(await qty(round, h.h2.id, 'A2')).toEqual({ quantity: 20, preferred_manufacturer_id: null });
  });

  it('takes NDJSON, mixing both hospital columns', async () => {
    const body = [
      { hospitalId: h.h1.id, itemCode: 'A1', quantity: 300 },
      { hospitalExternalId: 'EXT-h2', itemCode: 'A2', quantity: '25', preferredManufacturerId: m.id },
    ].map((x) => JSON.stringify(x)).join('\n');
    const r = await bulk(round, a.h, body, NDJSON);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ rows: 2 });
    expect(await qty(round, h.h1.id, 'A1')).toEqual({ quantity: 300, preferred_manufacturer_id: null });
    expect(await qty(round, h.h2.id, 'A2')).toEqual({ quantity: 25, preferred_manufacturer_id: m.id });
    expect(await count(t.db, DEMAND, 'round_id = $1', [round])).toBe(4);
    expect((await c.get(`/v1/rounds/${round}/demand`, a.h)).body.data).toEqual([
      { itemCode: 'A1', hospitals: 2, quantity: 500 },
      { itemCode: 'A2', hospitals: 2, quantity: 35 },
    ]);
    const ev = (await c.get(`/v1/rounds/${round}/audit?limit=1000`, a.h)).body.data;
    expect(ev.filter((e: any) => e.type === 'demand.uploaded').map((e: any) => e.data)).toEqual([{ rows: 2 }, { rows: 2 }, { rows: 2 }]);
  });

  const good = () => [`${h.h1.id},A1,7`, `${h.h2.id},A1,8`, `${h.h1.id},A2,9`];
  it.each([
    ['unknown item', 'first', (id: string) => `${id},ZZ,5`, 422, /unknown item ZZ/],
    ['unknown hospital', 'middle', () => 'org_nobody,A1,5', 422, /unknown hospital org_nobody/],
    ['hospital outside the regions', 'last', () => `${h.out.id},A1,5`, 422, /outside/],
    ['manufacturer as hospital', 'middle', () => `${m.id},A1,5`, 422, /unknown hospital/],
    ['unknown preferred manufacturer', 'last', (id: string) => `${id},A2,5,${h.h2.id}`, 422, /unknown manufacturer/],
    ['negative quantity', 'first', (id: string) => `${id},A2,-5`, 400, /at least 1/],
    ['zero quantity', 'middle', (id: string) => `${id},A2,0`, 400, /at least 1/],
    ['non-integer quantity', 'last', (id: string) => `${id},A2,1.5`, 400, /whole number/],
    ['huge quantity', 'middle', (id: string) => `${id},A2,1000000000000`, 400, /at most/],
    ['missing quantity', 'first', (id: string) => `${id},A2,`, 400, /quantity is required/],
    ['wrong number of columns', 'last', (id: string) => `${id},A2,5,x,y`, 400, /columns/],
  ])('CSV: %s on the %s record fails the whole upload, naming its line', async (_name, where, bad, status, message) => {
    const before = await snapshot(round);
    const recs = good();
    const at = where === 'first' ? 0 : where === 'middle' ? 1 : 3;
    recs.splice(at, 0, bad(h.h2.id)); // h2 × A2 repeats no good record
    const header = 'hospitalId,itemCode,quantity,preferredManufacturerId';
    const payload = [header, ...recs.map((r) => (r.split(',').length === 3 ? `${r},` : r))].join('\n');
    const p = expectProblem(await bulk(round, a.h, payload), status, 'validation');
    expect(p.errors).toEqual([{ line: at + 2, message: expect.stringMatching(message) }]);
    expect(await snapshot(round)).toEqual(before);
  });

  it.each([['first', 0], ['middle', 1], ['last', 2]] as const)('NDJSON: a bad record on the %s line names its line', async (_w, at) => {
    const before = await snapshot(round);
    const recs = [
      { hospitalId: h.h1.id, itemCode: 'A1', quantity: 1 }, { hospitalId: h.h2.id, itemCode: 'A1', quantity: 2 },
      { hospitalId: h.h1.id, itemCode: 'A2', quantity: 3 },
    ].map((x) => JSON.stringify(x));
    recs[at] = JSON.stringify({ hospitalExternalId: 'EXT-out', itemCode: 'A1', quantity: 4 });
    const p = expectProblem(await bulk(round, op, recs.join('\n') + '\n', NDJSON), 422, 'validation');
    expect(p.errors).toEqual([{ line: at + 1, message: expect.stringMatching(/outside/) }]);
    recs[at] = '{"hospitalId": "x", ';
    const q = expectProblem(await bulk(round, op, recs.join('\n'), NDJSON), 400, 'validation');
    expect(q.errors).toEqual([{ line: at + 1, message: expect.stringMatching(/JSON/) }]);
    recs[at] = JSON.stringify({ hospitalId: h.h1.id, itemCode: 'A1', quantity: 2.5 });
    expect(expectProblem(await bulk(round, op, recs.join('\n'), NDJSON), 400, 'validation').errors[0].line).toBe(at + 1);
    expect(await snapshot(round)).toEqual(before);
  });

  it('names every bad line, and an unknown column', async () => {
    const before = await snapshot(round);
    const p = expectProblem(await bulk(round, a.h, `hospitalId,itemCode,quantity\n${h.h1.id},A1,1\n${h.h1.id},NO1,1\n${h.h1.id},A2,1\nnobody,A1,1\n`), 422, 'validation');
    expect(p.errors.map((e: any) => e.line)).toEqual([3, 5]);
    const q = expectProblem(await bulk(round, a.h, `hospitalId,itemCode,quantity,colour\n${h.h1.id},A1,1,red\n`), 400, 'validation');
    expect(q.errors).toEqual([{ line: 1, message: expect.stringMatching(/unknown column colour/) }]); // the header line
    const r = expectProblem(await bulk(round, a.h, `${JSON.stringify({ hospitalId: h.h1.id, itemCode: 'A1', quantity: 1, qty: 2 })}\n`, NDJSON), 400, 'validation');
    expect(r.errors).toEqual([{ line: 1, message: expect.stringMatching(/unknown column qty/) }]);
    expectProblem(await bulk(round, a.h, 'hospitalId,itemCode,quantity\n'), 422, 'validation');
    expect(await snapshot(round)).toEqual(before);
  });

  it('refuses a key repeated within one upload, naming both lines', async () => {
    const before = await snapshot(round);
    const p = expectProblem(await bulk(round, a.h,
      `hospitalId,hospitalExternalId,itemCode,quantity\n${h.h1.id},,A1,1\n${h.h2.id},,A1,2\n,EXT-h1,A1,3\n`), 422, 'validation');
    expect(p.errors).toHaveLength(1);
    expect(p.errors[0]).toMatchObject({ line: 4 });
    expect(p.errors[0].message).toMatch(/\bline 2\b/);
    const nd = [{ hospitalId: h.h2.id, itemCode: 'A2', quantity: 1 }, { hospitalId: h.h1.id, itemCode: 'A2', quantity: 1 },
      { hospitalId: h.h2.id, itemCode: 'A2', quantity: 9 }].map((x) => JSON.stringify(x)).join('\n');
    const q = expectProblem(await bulk(round, op, nd, NDJSON), 422, 'validation');
    expect(q.errors).toEqual([{ line: 3, message: expect.stringMatching(/\bline 1\b/) }]);
    expect(await snapshot(round)).toEqual(before);
  });

  it("writes a round's first upload with a plain insert: a repeated key still names both lines, and a later upload replaces", async () => {
    const fresh = await newRound('demand');
    const p = expectProblem(await bulk(fresh, a.h,
      `hospitalId,itemCode,quantity\n${h.h1.id},A1,1\n${h.h2.id},A2,2\n${h.h1.id},A1,3\n`), 422, 'validation');
    expect(p.errors).toEqual([{ line: 4, message: expect.stringMatching(/\bline 2\b/) }]);
    expect(await count(t.db, DEMAND, 'round_id = $1', [fresh])).toBe(0);

    const first = await bulk(fresh, a.h, `hospitalId,itemCode,quantity\n${h.h1.id},A1,10\n${h.h2.id},A2,20\n`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(await snapshot(fresh)).toEqual([
      { hospital_id: h.h1.id, item_code: 'A1', quantity: 10, preferred_manufacturer_id: null },
      { hospital_id: h.h2.id, item_code: 'A2', quantity: 20, preferred_manufacturer_id: null },
    ].sort((x, y) => x.hospital_id.localeCompare(y.hospital_id)));
    const second = await bulk(fresh, a.h, `hospitalId,itemCode,quantity,preferredManufacturerId\n${h.h1.id},A1,11,${m.id}\n${h.h1.id},A2,12,\n`);
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(await qty(fresh, h.h1.id, 'A1')).toEqual({ quantity: 11, preferred_manufacturer_id: m.id });
    expect(await qty(fresh, h.h1.id, 'A2')).toEqual({ quantity: 12, preferred_manufacturer_id: null });
    expect(await qty(fresh, h.h2.id, 'A2')).toEqual({ quantity: 20, preferred_manufacturer_id: null });
  });

  it('lets an upload win over a key another request writes while it runs (the first-upload insert falls back to an upsert)', async () => {
    const fresh = await newRound('demand');
    let upload: Promise<any> | undefined;
    await t.db.transaction(async (tx) => {
      // Another request's row, not yet committed. On PostgreSQL the upload sees an empty round, inserts, and
      // waits on this key; PGlite has one connection, so there the upload runs after this commits and upserts.
      await tx.query(`INSERT INTO demand (round_no, item_no, hospital_no, quantity)
        SELECT r.no, i.no, h.no, 7 FROM rounds r JOIN items i ON i.round_id = r.id AND i.code = 'A1', organizations h
         WHERE r.id = $1 AND h.id = $2`, [fresh, h.h1.id]);
      upload = bulk(fresh, a.h, `hospitalId,itemCode,quantity\n${h.h1.id},A1,70\n${h.h2.id},A1,80\n`);
      if (t.db.kind !== 'postgres') return;
      for (let i = 0; ; i++) {
        const waiting = await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO demand%'`);
        if (waiting[0].n > 0) break;
        if (i > 200) throw new Error('the upload never waited on the uncommitted row');
        await new Promise((r) => setTimeout(r, 25));
      }
    });
    const res = await upload!;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await qty(fresh, h.h1.id, 'A1')).toEqual({ quantity: 70, preferred_manufacturer_id: null });
    expect(await qty(fresh, h.h2.id, 'A1')).toEqual({ quantity: 80, preferred_manufacturer_id: null });
  });

  it('takes CSV or NDJSON only (415) and refuses bodies above the bulk limit (413)', async () => {
    const before = await snapshot(round);
    const json = JSON.stringify([{ hospitalId: h.h1.id, itemCode: 'A1', quantity: 1 }]);
    expectProblem(await bulk(round, a.h, json, 'application/json'), 415);
    expectProblem(await bulk(round, a.h, `hospitalId,itemCode,quantity\n${h.h1.id},A1,1\n`, 'text/plain'), 415);
    expectProblem(await bulk(round, a.h, '<demand/>', 'application/xml'), 415);
    expect(await snapshot(round)).toEqual(before);

    const small = await testApp({ config: { bulkBodyLimit: 1000 } });
    try {
      const sc = client(small.app);
      const sa = await org(sc, { kind: 'alliance', name: 'A', regionCode: '440000', regionCodes: ['440000'] });
      const sh = await org(sc, { kind: 'hospital', name: 'h', regionCode: '440103' });
      const id = (await sc.post('/v1/rounds', sa.h, {
        name: 'R', rules: { preset: 'nvbp' }, bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: '2026-03-20T00:00:00Z', contractMonths: 12,
      })).body.id;
      expect((await sc.post(`/v1/rounds/${id}/items`, sa.h, {
        code: 'A1', genericName: 'x', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
        referenceStrength: { value: '20', unit: 'mg' }, maxUnitPrice: '3', baselineUnitPrice: '2.5',
      })).status).toBe(201);
      expect((await sc.post(`/v1/rounds/${id}/publish`, sa.h)).status).toBe(200);
      const line = `${sh.id},A1,1\n`;
      const big = 'hospitalId,itemCode,quantity\n' + line.repeat(Math.ceil(2000 / line.length));
      expect(big.length).toBeGreaterThan(1000);
      expectProblem(await sc.raw('POST', `/v1/rounds/${id}/demand/bulk`, sa.h, big, CSV), 413);
      expect(await count(small.db, DEMAND)).toBe(0);
      const fits = await sc.raw('POST', `/v1/rounds/${id}/demand/bulk`, sa.h, `hospitalId,itemCode,quantity\n${line}`, CSV);
      expect(fits.status, JSON.stringify(fits.body)).toBe(200);
      expect(await count(small.db, DEMAND)).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('is for the round\'s alliance and the operator, in demand state', async () => {
    const before = await count(t.db, DEMAND);
    const csv = `hospitalId,itemCode,quantity\n${h.h1.id},A1,1\n`;
    expectProblem(await bulk(round, {}, csv), 401, 'unauthorized');
    for (const who of [h.h1.h, m.h]) expectProblem(await bulk(round, who, csv), 403, 'forbidden');
    expectProblem(await bulk(round, b.h, csv), 404, 'not-found');
    expectProblem(await bulk(round, h.out.h, csv), 404, 'not-found');
    expectProblem(await bulk(draft, h.h1.h, csv), 404, 'not-found');
    expectProblem(await bulk('rnd_missing', a.h, csv), 404, 'not-found');
    // 404/403 come before the body is read: a wrong content type does not change the answer.
    expectProblem(await bulk(round, b.h, '{}', 'application/json'), 404, 'not-found');
    expectProblem(await bulk(round, m.h, '{}', 'application/json'), 403, 'forbidden');
    expectProblem(await bulk(draft, a.h, csv), 409, 'invalid-state');
    expectProblem(await bulk(draft, op, csv), 409, 'invalid-state');
    expect(await count(t.db, DEMAND)).toBe(before);
    expect((await c.post(`/v1/rounds/${round}/start-bidding`, a.h)).status).toBe(200);
    expectProblem(await bulk(round, a.h, csv), 409, 'invalid-state');
    expect(await count(t.db, DEMAND)).toBe(before);
  });
});
