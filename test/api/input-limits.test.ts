import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES } from '../../src/http/bulk.js';
import { count, expectProblem, op } from '../helpers.js';
import { award, bid, maker, open, round, world, type World } from './round-fixture.js';

/** Issue #16 items 7 and 8 (kept from main): bulk line limits and the JSON depth limit, on every route. */
describe('input limits', () => {
  let w: World;
  beforeAll(async () => { w = await world(); });
  afterAll(async () => { await w?.t.close(); });

  const csv = (body: string) => w.t.app.inject({ method: 'POST', url: '/v1/organizations/bulk', headers: { ...op, 'content-type': 'text/csv' }, payload: body });

  it('refuses a 16 MB single line naming the line, echoing no more than a truncated value', async () => {
    const before = await count(w.t.db, 'organizations');
    const huge = 'hospital,' + 'x'.repeat(16 * 1024 * 1024) + ',440106,H1\n';
    const started = Date.now();
    const res = await csv(`kind,name,regionCode,externalId\nhospital,ok,440106,H0\n${huge}hospital,ok2,440106,H2\n`);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    const body = JSON.parse(res.body) as { errors: { line: number; message: string }[] };
    expect(body.errors).toEqual([{ line: 3, message: `line longer than ${MAX_LINE_BYTES} bytes` }]);
    expect(res.body.length).toBeLessThan(2000);
    expect(await count(w.t.db, 'organizations')).toBe(before);
    // A long value inside the limit is echoed truncated.
    const long = await csv(`kind,name,regionCode,externalId,${'q'.repeat(60_000)}\nhospital,ok,440106,H5\n`);
    expect([400, 422], long.body.slice(0, 300)).toContain(long.statusCode);
    const e = JSON.parse(long.body) as { errors: { line: number; message: string }[] };
    expect(e.errors[0].line).toBe(1);
    expect(e.errors[0].message).toMatch(/^unknown column q+…?/);
    expect(e.errors[0].message.length).toBeLessThan(200);
  }, 60_000);

  it('answers a 20,000-deep JSON body with 400 on every route that reads a body, an Idempotency-Key too', async () => {
    const m = await maker(w);
    // Usage and deliveries are written while a round is awarded (state is checked before a streamed body is read).
    const awarded = await round(w);
    await bid(w, m, awarded, 'ATV20', '20');
    await open(w, awarded);
    await award(w, awarded);
    const r = await round(w);
    const doc = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const ids: Record<string, string> = { id: r.id, itemCode: 'ATV20' };
    const statuses: Record<string, number> = {};
    const wrong: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops).filter((x) => ['post', 'put', 'patch'].includes(x))) {
        const url = path.replace(/\{(\w+)\}/g, (_, k: string) => (path.startsWith('/v1/organizations/') && k === 'id' ? m.id : path.startsWith('/v1/products/') ? m.products[0]
          : /usage|deliveries/.test(path) && k === 'id' ? awarded.id : ids[k] ?? 'x'));
        // The caller who may use the route, so the answer is about the body (404 and 403 come first: API.md order).
        const who = /bids|region-preferences|objections$|enquiries$|deliveries|\/v1\/products$/.test(path) ? m.h : /demand\/\{itemCode\}|usage/.test(path) ? w.hospitals.gz1.h
          : /\/v1\/rounds(\/|$)/.test(path) ? w.alliance.h : op;
        const res = await w.t.app.inject({ method: method.toUpperCase() as 'POST', url, headers: { ...who, 'content-type': 'application/json', 'idempotency-key': `deep-${method}-${path}` }, payload: deep });
        statuses[`${method.toUpperCase()} ${path}`] = res.statusCode;
        if (res.statusCode !== 400) wrong.push(`${method} ${path}: ${res.body.slice(0, 200)}`);
        else expectProblem({ status: res.statusCode, body: JSON.parse(res.body), headers: res.headers }, 400, 'validation');
      }
    }
    expect(wrong, wrong.join("\n")).toEqual([]);
    expect(Object.keys(statuses).length).toBeGreaterThanOrEqual(10);
    // No idempotency key was claimed by a body that never parsed.
    expect(await count(w.t.db, 'idempotency_keys', `key LIKE 'deep-%'`)).toBe(0);
  }, 60_000);
});
