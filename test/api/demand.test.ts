import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMAND, count, expectProblem, invalid, op } from '../helpers.js';
import { item, maker, round, world, type Maker, type World } from './round-fixture.js';

/**
 * API.md "Demand": PUT /v1/rounds/{id}/demand/{itemCode}, GET /v1/rounds/{id}/demand and
 * POST /v1/rounds/{id}/demand/bulk (CSV header = line 1; NDJSON first record = line 1), on the
 * shared world: alliance (440000, 320000, 110000), hospitals gz1 440103 and nj 320102 inside it,
 * sc 510104 outside it, and another alliance.
 */

const CSV = 'text/csv';
const NDJSON = 'application/x-ndjson';
const BULK_ITEMS = () => [item('A1'), item('A2')];

describe('demand API', () => {
  let w: World;
  let m: Maker;
  /** A round in demand with three items, one in draft and one in bidding (single lines). */
  let round3: string, draft: string, bidding: string;

  const lines = (r: string, where = 'true', params: unknown[] = []) => count(w.t.db, DEMAND, `round_id = $1 AND ${where}`, [r, ...params]);
  const stored = async (r: string, hospital: string, item: string) =>
    (await w.t.db.query<{ quantity: number; preferred_manufacturer_id: string | null }>(
      `SELECT quantity, preferred_manufacturer_id FROM ${DEMAND} WHERE round_id = $1 AND hospital_id = $2 AND item_code = $3`, [r, hospital, item]))[0];

  beforeAll(async () => {
    w = await world();
    m = await maker(w);
    round3 = (await round(w, { items: [item('ATV10'), item('ATV20'), item('ATV40')], state: 'demand' })).id;
    draft = (await round(w, { state: 'draft' })).id;
    bidding = (await round(w, { state: 'bidding' })).id;
  });
  afterAll(async () => { await w?.t.close(); });

  describe('PUT /v1/rounds/{id}/demand/{itemCode}', () => {
    it('stores a hospital\'s demand and replaces it on the next PUT', async () => {
      const r = await w.api.put(`/v1/rounds/${round3}/demand/ATV20`, w.hospitals.gz1.h, { quantity: 10000 });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toEqual({ hospitalId: w.hospitals.gz1.id, itemCode: 'ATV20', quantity: 10000, preferredManufacturerId: null });
      const again = await w.api.put(`/v1/rounds/${round3}/demand/ATV20`, w.hospitals.gz1.h, { quantity: 12500, preferredManufacturerId: m.id });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ hospitalId: w.hospitals.gz1.id, itemCode: 'ATV20', quantity: 12500, preferredManufacturerId: m.id });
      expect(await lines(round3, 'hospital_id = $2', [w.hospitals.gz1.id])).toBe(1);
      expect(await stored(round3, w.hospitals.gz1.id, 'ATV20')).toEqual({ quantity: 12500, preferred_manufacturer_id: m.id });
      // Dropping the preference clears it.
      expect((await w.api.put(`/v1/rounds/${round3}/demand/ATV20`, w.hospitals.gz1.h, { quantity: 12500 })).body.preferredManufacturerId).toBeNull();
      expect(await stored(round3, w.hospitals.gz1.id, 'ATV20')).toEqual({ quantity: 12500, preferred_manufacturer_id: null });
      expect((await w.api.put(`/v1/rounds/${round3}/demand/ATV10`, w.hospitals.nj.h, { quantity: 1 })).status).toBe(200);
      expect((await w.api.put(`/v1/rounds/${round3}/demand/ATV20`, w.hospitals.nj.h, { quantity: 1000000000 })).status).toBe(200);
    });

    it('hides a draft round from hospitals (404) and refuses demand once bidding (409)', async () => {
      expectProblem(await w.api.put(`/v1/rounds/${draft}/demand/ATV20`, w.hospitals.gz1.h, { quantity: 5 }), 404, 'not-found');
      expectProblem(await w.api.put(`/v1/rounds/${bidding}/demand/ATV20`, w.hospitals.gz1.h, { quantity: 5 }), 409, 'invalid-state');
      expect(await lines(draft)).toBe(0);
      expect(await lines(bidding)).toBe(0);
    });

    it('answers 404 to a hospital outside the regions, and for an unknown item or round', async () => {
      const before = await count(w.t.db, DEMAND);
      expectProblem(await w.api.put(`/v1/rounds/${round3}/demand/ATV20`, w.hospitals.sc.h, { quantity: 5 }), 404, 'not-found');
      expectProblem(await w.api.put(`/v1/rounds/${round3}/demand/NOPE`, w.hospitals.gz1.h, { quantity: 5 }), 404, 'not-found');
      expectProblem(await w.api.put(`/v1/rounds/rnd_missing/demand/ATV20`, w.hospitals.gz1.h, { quantity: 5 }), 404, 'not-found');
      expect(await count(w.t.db, DEMAND)).toBe(before);
    });

    it('is for hospitals only: 401 and 403', async () => {
      const before = await count(w.t.db, DEMAND);
      expectProblem(await w.api.put(`/v1/rounds/${round3}/demand/ATV20`, {}, { quantity: 5 }), 401, 'unauthorized');
      for (const who of [w.alliance.h, m.h, op]) expectProblem(await w.api.put(`/v1/rounds/${round3}/demand/ATV20`, who, { quantity: 5 }), 403, 'forbidden');
      expectProblem(await w.api.put(`/v1/rounds/${round3}/demand/ATV20`, w.otherAlliance.h, { quantity: 5 }), 404, 'not-found');
      expect(await count(w.t.db, DEMAND)).toBe(before);
    });

    it.each([
      ['0', { quantity: 0 }], ['-1', { quantity: -1 }], ['1.5', { quantity: 1.5 }], ['"5"', { quantity: '5' }],
      ['1e12', { quantity: 1e12 }], ['missing', {}], ['null', { quantity: null }], ['with an unknown field', { quantity: 5, note: 'x' }],
    ])('refuses quantity %s with 400 and writes nothing', async (_name, input) => {
      const before = await stored(round3, w.hospitals.gz1.id, 'ATV20');
      const n = await count(w.t.db, DEMAND);
      expectProblem(await w.api.put(`/v1/rounds/${round3}/demand/ATV20`, w.hospitals.gz1.h, invalid(input)), 400, 'validation');
      expectProblem(await w.api.put(`/v1/rounds/${round3}/demand/ATV40`, w.hospitals.gz1.h, invalid(input)), 400, 'validation');
      expect(await stored(round3, w.hospitals.gz1.id, 'ATV20')).toEqual(before);
      expect(await count(w.t.db, DEMAND)).toBe(n);
    });

    it('refuses a body that is not JSON', async () => {
      const n = await count(w.t.db, DEMAND);
      expectProblem(await w.api.raw('PUT', `/v1/rounds/${round3}/demand/ATV40`, w.hospitals.gz1.h, '{"quantity": 5', 'application/json'), 400, 'validation');
      expectProblem(await w.api.raw('PUT', `/v1/rounds/${round3}/demand/ATV40`, w.hospitals.gz1.h, 'quantity\n5\n', 'text/csv'), 415);
      expect(await count(w.t.db, DEMAND)).toBe(n);
    });

    it('refuses a preferred manufacturer that is no manufacturer with 422', async () => {
      const n = await count(w.t.db, DEMAND);
      for (const pref of [w.hospitals.nj.id, w.alliance.id, 'org_nobody']) {
        const p = expectProblem(await w.api.put(`/v1/rounds/${round3}/demand/ATV40`, w.hospitals.gz1.h, { quantity: 5, preferredManufacturerId: pref }), 422, 'validation');
        expect(p.errors).toContainEqual(expect.objectContaining({ path: '/preferredManufacturerId' }));
      }
      expect(await count(w.t.db, DEMAND)).toBe(n);
      expect(await stored(round3, w.hospitals.gz1.id, 'ATV40')).toBeUndefined();
    });
  });

  describe('GET /v1/rounds/{id}/demand', () => {
    it('gives the alliance, the operator and manufacturers totals per item', async () => {
      const expected = [
        { itemCode: 'ATV10', hospitals: 1, quantity: 1 },
        { itemCode: 'ATV20', hospitals: 2, quantity: 1000012500 },
        { itemCode: 'ATV40', hospitals: 0, quantity: 0 },
      ];
      for (const who of [w.alliance.h, op, m.h]) {
        const r = await w.api.get(`/v1/rounds/${round3}/demand`, who);
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ data: expected, nextCursor: null });
      }
      const page = await w.api.get(`/v1/rounds/${round3}/demand?limit=2`, w.alliance.h);
      expect(page.body.data).toEqual(expected.slice(0, 2));
      expect((await w.api.get(`/v1/rounds/${round3}/demand?limit=2&cursor=${page.body.nextCursor}`, w.alliance.h)).body.data).toEqual(expected.slice(2));
    });

    it('gives a hospital its own lines only', async () => {
      const r = await w.api.get(`/v1/rounds/${round3}/demand`, w.hospitals.nj.h);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([
        { hospitalId: w.hospitals.nj.id, itemCode: 'ATV10', quantity: 1, preferredManufacturerId: null },
        { hospitalId: w.hospitals.nj.id, itemCode: 'ATV20', quantity: 1000000000, preferredManufacturerId: null },
      ]);
      const own = await w.api.get(`/v1/rounds/${round3}/demand`, w.hospitals.gz1.h);
      expect(own.body.data).toEqual([{ hospitalId: w.hospitals.gz1.id, itemCode: 'ATV20', quantity: 12500, preferredManufacturerId: null }]);
    });

    it('is for participants only', async () => {
      expectProblem(await w.api.get(`/v1/rounds/${round3}/demand`, {}), 401, 'unauthorized');
      for (const who of [w.otherAlliance.h, w.hospitals.sc.h]) expectProblem(await w.api.get(`/v1/rounds/${round3}/demand`, who), 404, 'not-found');
      for (const who of [w.hospitals.gz1.h, m.h]) expectProblem(await w.api.get(`/v1/rounds/${draft}/demand`, who), 404, 'not-found');
      expect((await w.api.get(`/v1/rounds/${draft}/demand`, w.alliance.h)).body.data).toEqual([{ itemCode: 'ATV20', hospitals: 0, quantity: 0 }]);
    });

    it('refuses bad paging with 400', async () => {
      for (const q of ['limit=0', 'limit=1001', 'cursor=garbage']) {
        expectProblem(await w.api.get(`/v1/rounds/${round3}/demand?${q}`, w.alliance.h), 400, 'validation');
      }
    });
  });
  describe('POST /v1/rounds/{id}/demand/bulk', () => {
    let rb: string, draftB: string;
    const bulk = (r: string, who: Record<string, string>, payload: string, type = CSV) =>
      w.api.raw('POST', `/v1/rounds/${r}/demand/bulk`, who, payload, type);
    /** Every demand row of the rb, for "nothing was written" checks. */
    const snapshot = (r: string) => w.t.db.query(
      `SELECT hospital_id, item_code, quantity, preferred_manufacturer_id FROM ${DEMAND} WHERE round_id = $1 ORDER BY hospital_id, item_code`, [r]);
    const qty = stored;
    /** GET /demand's totals per item that has demand (what opening and OCDS read). */
    const totals = async (r: string) => ((await w.api.get(`/v1/rounds/${r}/demand`, w.alliance.h)).body.data as { itemCode: string; hospitals: number }[])
      .filter((t) => t.hospitals > 0);

    beforeAll(async () => {
      rb = (await round(w, { items: BULK_ITEMS(), state: 'demand' })).id;
      draftB = (await round(w, { items: BULK_ITEMS(), state: 'draft' })).id;
    });

    it('takes CSV with hospitalId from the alliance and replaces existing keys', async () => {
      expect((await w.api.put(`/v1/rounds/${rb}/demand/A1`, w.hospitals.gz1.h, { quantity: 5, preferredManufacturerId: m.id })).status).toBe(200);
      const r = await bulk(rb, w.alliance.h, `hospitalId,itemCode,quantity\n${w.hospitals.gz1.id},A1,100\n${w.hospitals.nj.id},A1,200\n`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toEqual({ rows: 2 });
      expect(await qty(rb, w.hospitals.gz1.id, 'A1')).toEqual({ quantity: 100, preferred_manufacturer_id: null });
      expect(await qty(rb, w.hospitals.nj.id, 'A1')).toEqual({ quantity: 200, preferred_manufacturer_id: null });
      expect(await count(w.t.db, DEMAND, 'round_id = $1', [rb])).toBe(2);
    });

    it('takes CSV with hospitalExternalId and a preferred manufacturer from the operator', async () => {
      const r = await bulk(rb, op, `hospitalExternalId,itemCode,quantity,preferredManufacturerId\r\nEXT-gz1,A2,10,${m.id}\r\nEXT-nj,A2,20,\r\n`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toEqual({ rows: 2 });
      expect(await qty(rb, w.hospitals.gz1.id, 'A2')).toEqual({ quantity: 10, preferred_manufacturer_id: m.id });
      expect(await qty(rb, w.hospitals.nj.id, 'A2')).toEqual({ quantity: 20, preferred_manufacturer_id: null });
    });

    it('takes NDJSON, mixing both hospital columns', async () => {
      const body = [
        { hospitalId: w.hospitals.gz1.id, itemCode: 'A1', quantity: 300 },
        { hospitalExternalId: 'EXT-nj', itemCode: 'A2', quantity: '25', preferredManufacturerId: m.id },
      ].map((x) => JSON.stringify(x)).join('\n');
      const r = await bulk(rb, w.alliance.h, body, NDJSON);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toEqual({ rows: 2 });
      expect(await qty(rb, w.hospitals.gz1.id, 'A1')).toEqual({ quantity: 300, preferred_manufacturer_id: null });
      expect(await qty(rb, w.hospitals.nj.id, 'A2')).toEqual({ quantity: 25, preferred_manufacturer_id: m.id });
      expect(await count(w.t.db, DEMAND, 'round_id = $1', [rb])).toBe(4);
      expect((await w.api.get(`/v1/rounds/${rb}/demand`, w.alliance.h)).body.data).toEqual([
        { itemCode: 'A1', hospitals: 2, quantity: 500 },
        { itemCode: 'A2', hospitals: 2, quantity: 35 },
      ]);
      const ev = (await w.api.get(`/v1/rounds/${rb}/audit?limit=1000`, w.alliance.h)).body.data;
      expect(ev.filter((e: any) => e.type === 'demand.uploaded').map((e: any) => e.data)).toEqual([{ rows: 2 }, { rows: 2 }, { rows: 2 }]);
    });

    const good = () => [`${w.hospitals.gz1.id},A1,7`, `${w.hospitals.nj.id},A1,8`, `${w.hospitals.gz1.id},A2,9`];
    it.each([
      ['unknown item', 'first', (id: string) => `${id},ZZ,5`, 422, /unknown item ZZ/],
      ['unknown hospital', 'middle', () => 'org_nobody,A1,5', 422, /unknown hospital org_nobody/],
      ['hospital outside the regions', 'last', () => `${w.hospitals.sc.id},A1,5`, 422, /outside/],
      ['manufacturer as hospital', 'middle', () => `${m.id},A1,5`, 422, /unknown hospital/],
      ['unknown preferred manufacturer', 'last', (id: string) => `${id},A2,5,${w.hospitals.nj.id}`, 422, /unknown manufacturer/],
      ['negative quantity', 'first', (id: string) => `${id},A2,-5`, 400, /at least 1/],
      ['zero quantity', 'middle', (id: string) => `${id},A2,0`, 400, /at least 1/],
      ['non-integer quantity', 'last', (id: string) => `${id},A2,1.5`, 400, /whole number/],
      ['huge quantity', 'middle', (id: string) => `${id},A2,1000000000000`, 400, /at most/],
      ['missing quantity', 'first', (id: string) => `${id},A2,`, 400, /quantity is required/],
      ['wrong number of columns', 'last', (id: string) => `${id},A2,5,x,y`, 400, /columns/],
    ])('CSV: %s on the %s record fails the whole upload, naming its line', async (_name, where, bad, status, message) => {
      const before = await snapshot(rb);
      const recs = good();
      const at = where === 'first' ? 0 : where === 'middle' ? 1 : 3;
      recs.splice(at, 0, bad(w.hospitals.nj.id)); // h2 × A2 repeats no good record
      const header = 'hospitalId,itemCode,quantity,preferredManufacturerId';
      const payload = [header, ...recs.map((r) => (r.split(',').length === 3 ? `${r},` : r))].join('\n');
      const p = expectProblem(await bulk(rb, w.alliance.h, payload), status, 'validation');
      expect(p.errors).toEqual([{ line: at + 2, message: expect.stringMatching(message) }]);
      expect(await snapshot(rb)).toEqual(before);
    });

    it.each([['first', 0], ['middle', 1], ['last', 2]] as const)('NDJSON: a bad record on the %s line names its line', async (_w, at) => {
      const before = await snapshot(rb);
      const recs = [
        { hospitalId: w.hospitals.gz1.id, itemCode: 'A1', quantity: 1 }, { hospitalId: w.hospitals.nj.id, itemCode: 'A1', quantity: 2 },
        { hospitalId: w.hospitals.gz1.id, itemCode: 'A2', quantity: 3 },
      ].map((x) => JSON.stringify(x));
      recs[at] = JSON.stringify({ hospitalExternalId: 'EXT-sc', itemCode: 'A1', quantity: 4 });
      const p = expectProblem(await bulk(rb, op, recs.join('\n') + '\n', NDJSON), 422, 'validation');
      expect(p.errors).toEqual([{ line: at + 1, message: expect.stringMatching(/outside/) }]);
      recs[at] = '{"hospitalId": "x", ';
      const q = expectProblem(await bulk(rb, op, recs.join('\n'), NDJSON), 400, 'validation');
      expect(q.errors).toEqual([{ line: at + 1, message: expect.stringMatching(/JSON/) }]);
      recs[at] = JSON.stringify({ hospitalId: w.hospitals.gz1.id, itemCode: 'A1', quantity: 2.5 });
      expect(expectProblem(await bulk(rb, op, recs.join('\n'), NDJSON), 400, 'validation').errors[0].line).toBe(at + 1);
      expect(await snapshot(rb)).toEqual(before);
    });

    it('names every bad line, and an unknown column', async () => {
      const before = await snapshot(rb);
      const p = expectProblem(await bulk(rb, w.alliance.h, `hospitalId,itemCode,quantity\n${w.hospitals.gz1.id},A1,1\n${w.hospitals.gz1.id},NO1,1\n${w.hospitals.gz1.id},A2,1\nnobody,A1,1\n`), 422, 'validation');
      expect(p.errors.map((e: any) => e.line)).toEqual([3, 5]);
      const q = expectProblem(await bulk(rb, w.alliance.h, `hospitalId,itemCode,quantity,colour\n${w.hospitals.gz1.id},A1,1,red\n`), 400, 'validation');
      expect(q.errors).toEqual([{ line: 1, message: expect.stringMatching(/unknown column colour/) }]); // the header line
      const r = expectProblem(await bulk(rb, w.alliance.h, `${JSON.stringify({ hospitalId: w.hospitals.gz1.id, itemCode: 'A1', quantity: 1, qty: 2 })}\n`, NDJSON), 400, 'validation');
      expect(r.errors).toEqual([{ line: 1, message: expect.stringMatching(/unknown column qty/) }]);
      expectProblem(await bulk(rb, w.alliance.h, 'hospitalId,itemCode,quantity\n'), 422, 'validation');
      expect(await snapshot(rb)).toEqual(before);
    });

    it('refuses a key repeated within one upload, naming both lines', async () => {
      const before = await snapshot(rb);
      const p = expectProblem(await bulk(rb, w.alliance.h,
        `hospitalId,hospitalExternalId,itemCode,quantity\n${w.hospitals.gz1.id},,A1,1\n${w.hospitals.nj.id},,A1,2\n,EXT-gz1,A1,3\n`), 422, 'validation');
      expect(p.errors).toHaveLength(1);
      expect(p.errors[0]).toMatchObject({ line: 4 });
      expect(p.errors[0].message).toMatch(/\bline 2\b/);
      const nd = [{ hospitalId: w.hospitals.nj.id, itemCode: 'A2', quantity: 1 }, { hospitalId: w.hospitals.gz1.id, itemCode: 'A2', quantity: 1 },
        { hospitalId: w.hospitals.nj.id, itemCode: 'A2', quantity: 9 }].map((x) => JSON.stringify(x)).join('\n');
      const q = expectProblem(await bulk(rb, op, nd, NDJSON), 422, 'validation');
      expect(q.errors).toEqual([{ line: 3, message: expect.stringMatching(/\bline 1\b/) }]);
      expect(await snapshot(rb)).toEqual(before);
    });

    it("writes a rb's first upload with a plain insert: a repeated key still names both lines, and a later upload replaces", async () => {
      const fresh = (await round(w, { items: BULK_ITEMS(), state: 'demand' })).id;
      const p = expectProblem(await bulk(fresh, w.alliance.h,
        `hospitalId,itemCode,quantity\n${w.hospitals.gz1.id},A1,1\n${w.hospitals.nj.id},A2,2\n${w.hospitals.gz1.id},A1,3\n`), 422, 'validation');
      expect(p.errors).toEqual([{ line: 4, message: expect.stringMatching(/\bline 2\b/) }]);
      expect(await count(w.t.db, DEMAND, 'round_id = $1', [fresh])).toBe(0);

      // Lines out of key order (nj was registered after gz1): the insert sorts them; the totals are those streamed.
      const first = await bulk(fresh, w.alliance.h, `hospitalId,itemCode,quantity\n${w.hospitals.nj.id},A2,20\n${w.hospitals.gz1.id},A1,10\n${w.hospitals.gz1.id},A2,5\n`);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(await totals(fresh)).toEqual([{ itemCode: 'A1', hospitals: 1, quantity: 10 }, { itemCode: 'A2', hospitals: 2, quantity: 25 }]);
      expect(await snapshot(fresh)).toEqual([
        { hospital_id: w.hospitals.gz1.id, item_code: 'A1', quantity: 10, preferred_manufacturer_id: null },
        { hospital_id: w.hospitals.gz1.id, item_code: 'A2', quantity: 5, preferred_manufacturer_id: null },
        { hospital_id: w.hospitals.nj.id, item_code: 'A2', quantity: 20, preferred_manufacturer_id: null },
      ].sort((x, y) => x.hospital_id.localeCompare(y.hospital_id)));
      const second = await bulk(fresh, w.alliance.h, `hospitalId,itemCode,quantity,preferredManufacturerId\n${w.hospitals.gz1.id},A1,11,${m.id}\n${w.hospitals.gz1.id},A2,12,\n`);
      expect(second.status, JSON.stringify(second.body)).toBe(200);
      expect(await qty(fresh, w.hospitals.gz1.id, 'A1')).toEqual({ quantity: 11, preferred_manufacturer_id: m.id });
      expect(await qty(fresh, w.hospitals.gz1.id, 'A2')).toEqual({ quantity: 12, preferred_manufacturer_id: null });
      expect(await qty(fresh, w.hospitals.nj.id, 'A2')).toEqual({ quantity: 20, preferred_manufacturer_id: null });
      // An upsert's totals are summed from the round's demand.
      expect(await totals(fresh)).toEqual([{ itemCode: 'A1', hospitals: 1, quantity: 11 }, { itemCode: 'A2', hospitals: 2, quantity: 32 }]);
    });

    it('lets an upload win over a key another request writes while it runs (the first-upload insert falls back to an upsert)', async () => {
      const fresh = (await round(w, { items: BULK_ITEMS(), state: 'demand' })).id;
      let upload: Promise<any> | undefined;
      await w.t.db.transaction(async (tx) => {
        // Another request's row, not yet committed. On PostgreSQL the upload sees an empty rb, inserts, and
        // waits on this key; PGlite has one connection, so there the upload runs after this commits and upserts.
        // And a key the upload does not give (nj, A2): it shows whether the totals were summed after the fallback.
        await tx.query(`INSERT INTO demand (round_no, item_no, hospital_no, quantity, city)
          SELECT r.no, i.no, h.no, 7, h.city FROM rounds r JOIN items i ON i.round_id = r.id, organizations h
           WHERE r.id = $1 AND ((i.code = 'A1' AND h.id = $2) OR (i.code = 'A2' AND h.id = $3))`, [fresh, w.hospitals.gz1.id, w.hospitals.nj.id]);
        upload = bulk(fresh, w.alliance.h, `hospitalId,itemCode,quantity\n${w.hospitals.gz1.id},A1,70\n${w.hospitals.nj.id},A1,80\n`);
        if (w.t.db.kind !== 'postgres') return;
        for (let i = 0; ; i++) {
          const waiting = await w.t.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO demand%'`);
          if (waiting[0].n > 0) break;
          if (i > 200) throw new Error('the upload never waited on the uncommitted row');
          await new Promise((r) => setTimeout(r, 25));
        }
      });
      const res = await upload!;
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(await qty(fresh, w.hospitals.gz1.id, 'A1')).toEqual({ quantity: 70, preferred_manufacturer_id: null });
      expect(await qty(fresh, w.hospitals.nj.id, 'A1')).toEqual({ quantity: 80, preferred_manufacturer_id: null });
      // Fallen back to an upsert, the totals are summed from the round's demand, not taken from the stream.
      expect(await totals(fresh)).toEqual([{ itemCode: 'A1', hospitals: 2, quantity: 150 }, { itemCode: 'A2', hospitals: 1, quantity: 7 }]);
    });

    it('takes CSV or NDJSON only (415) and refuses bodies above the bulk limit (413)', async () => {
      const before = await snapshot(rb);
      const json = JSON.stringify([{ hospitalId: w.hospitals.gz1.id, itemCode: 'A1', quantity: 1 }]);
      expectProblem(await bulk(rb, w.alliance.h, json, 'application/json'), 415);
      expectProblem(await bulk(rb, w.alliance.h, `hospitalId,itemCode,quantity\n${w.hospitals.gz1.id},A1,1\n`, 'text/plain'), 415);
      expectProblem(await bulk(rb, w.alliance.h, '<demand/>', 'application/xml'), 415);
      expect(await snapshot(rb)).toEqual(before);

      const small = await world({ config: { bulkBodyLimit: 1000 } });
      try {
        const id = (await round(small, { items: [item('A1')], state: 'demand' })).id;
        const line = `${small.hospitals.gz1.id},A1,1\n`;
        const big = 'hospitalId,itemCode,quantity\n' + line.repeat(Math.ceil(2000 / line.length));
        expect(big.length).toBeGreaterThan(1000);
        expectProblem(await small.api.raw('POST', `/v1/rounds/${id}/demand/bulk`, small.alliance.h, big, CSV), 413);
        expect(await count(small.t.db, DEMAND)).toBe(0);
        const fits = await small.api.raw('POST', `/v1/rounds/${id}/demand/bulk`, small.alliance.h, `hospitalId,itemCode,quantity\n${line}`, CSV);
        expect(fits.status, JSON.stringify(fits.body)).toBe(200);
        expect(await count(small.t.db, DEMAND)).toBe(1);
      } finally {
        await small.t.close();
      }
    });

    it('is for the rb\'s alliance and the operator, in demand state', async () => {
      const before = await count(w.t.db, DEMAND);
      const csv = `hospitalId,itemCode,quantity\n${w.hospitals.gz1.id},A1,1\n`;
      expectProblem(await bulk(rb, {}, csv), 401, 'unauthorized');
      for (const who of [w.hospitals.gz1.h, m.h]) expectProblem(await bulk(rb, who, csv), 403, 'forbidden');
      expectProblem(await bulk(rb, w.otherAlliance.h, csv), 404, 'not-found');
      expectProblem(await bulk(rb, w.hospitals.sc.h, csv), 404, 'not-found');
      expectProblem(await bulk(draftB, w.hospitals.gz1.h, csv), 404, 'not-found');
      expectProblem(await bulk('rnd_missing', w.alliance.h, csv), 404, 'not-found');
      // 404/403 come before the body is read: a wrong content type does not change the answer.
      expectProblem(await bulk(rb, w.otherAlliance.h, '{}', 'application/json'), 404, 'not-found');
      expectProblem(await bulk(rb, m.h, '{}', 'application/json'), 403, 'forbidden');
      expectProblem(await bulk(draftB, w.alliance.h, csv), 409, 'invalid-state');
      expectProblem(await bulk(draftB, op, csv), 409, 'invalid-state');
      expect(await count(w.t.db, DEMAND)).toBe(before);
      expect((await w.api.post(`/v1/rounds/${rb}/start-bidding`, w.alliance.h)).status).toBe(200);
      expectProblem(await bulk(rb, w.alliance.h, csv), 409, 'invalid-state');
      expect(await count(w.t.db, DEMAND)).toBe(before);
    });
  });
});
