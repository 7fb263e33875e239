import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, op, type H } from '../helpers.js';
import { award, bid, maker, open, round, world, type Maker, type World } from './round-fixture.js';
import { MODE_ONLY, CALLERS, MATRIX, expected, keyOf, servedRoutes, type Caller, type Row } from './authz-matrix.js';

/**
 * Walks the app's route table against the authorisation matrix (test/api/authz-matrix.ts): a served route without
 * a row fails; a row whose route is not served is skipped only when it is listed as served in one mode only.
 */

interface Fixture {
  w: World;
  makers: { manufacturer: Maker; otherManufacturer: Maker };
  headers: Record<Caller, H>;
  rounds: { awarded: string; opened: string; bidding: string };
}

let f: Fixture;
let served: Set<string>;

async function build(): Promise<Fixture> {
  const w = await world();
  const manufacturer = await maker(w);
  const otherManufacturer = await maker(w);
  const revoked = await w.c.post(`/v1/organizations/${w.hospitals.gz1.id}/tokens`, op, { name: 'to revoke' });
  expect((await w.c.del(`/v1/tokens/${revoked.body.id}`, op)).status).toBe(204);
  const headers: Record<Caller, H> = {
    none: {}, bad: bearer('jk_not_a_token_0123456789'), revoked: bearer(revoked.body.token), operator: op,
    alliance: w.alliance.h, otherAlliance: w.otherAlliance.h, hospitalIn: w.hospitals.gz1.h, hospitalOut: w.hospitals.sc.h,
    manufacturer: manufacturer.h, otherManufacturer: otherManufacturer.h,
  };
  const demand: [keyof World['hospitals'], string, number][] = [['gz1', 'ATV20', 1000], ['nj', 'ATV20', 500]];
  const bidBoth = async (r: Awaited<ReturnType<typeof round>>) => {
    await bid(w, manufacturer, r, 'ATV20', '20.00');
    await bid(w, otherManufacturer, r, 'ATV20', '22.00');
  };
  const awarded = await round(w, { demand });
  await bidBoth(awarded);
  await open(w, awarded);
  // Past any notice period before the award.
  w.t.clock.set(new Date(w.t.clock.now().getTime() + 60 * 86_400_000));
  await award(w, awarded);
  // A notice period long enough to outlast the clock moves below, so objections can be filed and decided.
  const opened = await round(w, { demand, rules: { preset: 'nvbp', noticeMinutes: 30 * 24 * 60 } });
  await bidBoth(opened);
  await open(w, opened);
  // Last: the clock stays inside its bid window (and inside the opened round's notice period).
  const bidding = await round(w, { demand });
  await bidBoth(bidding);
  return { w, makers: { manufacturer, otherManufacturer }, headers, rounds: { awarded: awarded.id, opened: opened.id, bidding: bidding.id } };
}

/** The row's path with its ids: a fresh draft round per row, sub-resources created first. */
async function pathOf(row: Row, caller: Caller, draft: string | null): Promise<string> {
  const { w, makers, rounds } = f;
  const roundId = row.round === 'draft' ? draft! : rounds[row.round ?? 'awarded'];
  let id = roundId;
  if (row.scope === 'org') id = makers.manufacturer.id;
  if (row.path.startsWith('/v1/products/')) id = makers.manufacturer.products[0];
  if (row.needs === 'token') {
    const t = await w.c.post(`/v1/organizations/${makers.manufacturer.id}/tokens`, op, { name: `for ${caller}` });
    expect(t.status).toBe(201);
    id = t.body.id;
  }
  const sub: Record<string, string> = { itemCode: 'ATV20' };
  if (row.needs === 'report') {
    const r = await w.c.post(`/v1/rounds/${rounds.awarded}/reports`, w.alliance.h, { kind: 'round_summary', format: 'json' });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    id = r.body.id;
  }
  if (row.needs === 'objection') {
    const o = await w.c.post(`/v1/rounds/${rounds.opened}/objections`, makers.manufacturer.h,
      { itemCode: 'ATV20', manufacturerId: makers.otherManufacturer.id, reason: 'the authorisation matrix' });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    sub.oid = o.body.id;
  }
  if (row.needs === 'enquiry') {
    const e = await w.c.post(`/v1/rounds/${rounds.bidding}/enquiries`, makers.manufacturer.h, { itemCode: 'ATV20', question: 'Which pack sizes?' });
    expect(e.status, JSON.stringify(e.body)).toBe(201);
    sub.eid = e.body.id;
  }
  return row.path.replace(':id', encodeURIComponent(id)).replace(/:(itemCode|oid|eid)/g, (_m, k: string) => encodeURIComponent(sub[k]));
}

async function freshDraft(): Promise<string> {
  const r = await round(f.w, { state: 'draft' });
  return r.id;
}

describe('authorization matrix', () => {
  beforeAll(async () => {
    f = await build();
    served = servedRoutes(f.w.t.app);
  }, 120_000);
  afterAll(async () => { await f?.w.t.close(); });

  it('every served route has a row; every row names a served route (or one of another mode)', () => {
    const rows = new Set(MATRIX.map(keyOf));
    const missing = [...served].filter((k) => !rows.has(k));
    expect(missing, 'served routes without a row in test/api/authz-matrix.ts').toEqual([]);
    const unknown = [...rows].filter((k) => !served.has(k) && !MODE_ONLY.includes(k));
    expect(unknown, 'rows of routes not served').toEqual([]);
  });

  for (const row of MATRIX) {
    it(`${keyOf(row)}${row.round ? ` (${row.round} round)` : ''}: ${row.who}`, async () => {
      if (!served.has(keyOf(row))) {
        // A route of the other mode: here nobody reaches it, the operator included.
        expect(MODE_ONLY).toContain(keyOf(row));
        const res = await f.w.t.app.inject({ method: row.method, url: row.path, headers: f.headers.operator });
        expect(res.statusCode).toBe(404);
        return;
      }
      const draft = row.round === 'draft' ? await freshDraft() : null;
      // Refused callers first: they must write nothing the permitted ones then depend on.
      const order = [...CALLERS].sort((a, b) => Number(expected(row, a) === 'ok') - Number(expected(row, b) === 'ok'));
      const wrong: string[] = [];
      for (const caller of order) {
        const want = expected(row, caller);
        const url = await pathOf(row, caller, draft);
        const res = await f.w.t.app.inject({ method: row.method, url, headers: f.headers[caller] });
        const problem = String(res.headers['content-type']).startsWith('application/problem+json');
        const ok = want === 'ok'
          ? res.statusCode < 500 && ![401, 403, 404].includes(res.statusCode) && (res.statusCode < 400 || problem)
          : res.statusCode === want && problem;
        if (!ok) wrong.push(`${caller}: expected ${want}, got ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
      expect(wrong, `${row.method} ${row.path}`).toEqual([]);
    });
  }
});
