import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, client, count, expectProblem, op, org, testApp, type Client, type TestApp } from '../helpers.js';

/** API.md "Conventions" and "Platform": health, documents, errors, auth, idempotency, pagination. */

const hospital = (name: string, extra: Record<string, unknown> = {}) => ({ kind: 'hospital', name, regionCode: '440103', ...extra });

/** Every error is RFC 9457 problem+json: type ending in the slug, title, status, detail; never a stack. */
function expectProblemShape(res: { status: number; body: any; headers: any }, status: number, slug: string) {
  const b = expectProblem(res, status, slug);
  expect(b.type).toBe(`/problems/${slug}`);
  expect(b.status).toBe(status);
  expect(typeof b.title).toBe('string');
  expect(b.title.length).toBeGreaterThan(0);
  expect(typeof b.detail).toBe('string');
  expect(b.detail.length).toBeGreaterThan(0);
  for (const k of Object.keys(b)) expect(['type', 'title', 'status', 'detail', 'errors']).toContain(k);
  expect(JSON.stringify(b)).not.toMatch(/\bat .*\.(ts|js):\d+|stack|SELECT|INSERT/);
  return b;
}

describe('GET /health', () => {
  it('answers ok with the database and queue up', async () => {
    const t = await testApp();
    try {
      const res = await client(t.app).get('/health', {});
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', db: 'ok', queue: process.env.REDIS_URL ? 'ok' : 'in-process' });
    } finally { await t.close(); }
  });

  it('answers 503 when the database is down', async () => {
    const t = await testApp();
    try {
      await t.db.close();
      const res = await client(t.app).get('/health', {});
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: 'degraded', db: 'down' });
    } finally { await t.close().catch(() => {}); }
  });

  it('answers 503 when Redis is down, without hanging', async () => {
    const t = await testApp({ config: { redisUrl: 'redis://127.0.0.1:1' } });
    try {
      const started = Date.now();
      const res = await client(t.app).get('/health', {});
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'degraded', db: 'ok', queue: 'down' });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally { await t.close(); }
  });
});

describe('platform conventions', () => {
  let t: TestApp;
  let c: Client;
  beforeAll(async () => { t = await testApp(); c = client(t.app); });
  afterAll(async () => { await t?.close(); });

  describe('GET /openapi.json, GET /docs', () => {
    it('serves the committed OpenAPI document and the docs without a token', async () => {
      const res = await c.get('/openapi.json', {});
      expect(res.status).toBe(200);
      expect(res.body.openapi).toBe('3.1.0');
      const committed = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
      expect(res.body, 'openapi/openapi.json differs from the served document: run npm run openapi').toEqual(committed);
      const docs = await t.app.inject({ method: 'GET', url: '/docs' });
      expect([200, 302]).toContain(docs.statusCode);
      const page = docs.statusCode === 302 ? await t.app.inject({ method: 'GET', url: String(docs.headers.location) }) : docs;
      expect(page.statusCode).toBe(200);
      expect(String(page.headers['content-type'])).toMatch(/text\/html/);
    });
  });

  describe('errors and authentication (every route)', () => {
    it('answers an unknown route with 404 not-found', async () => {
      expectProblemShape(await c.get('/v1/nothing-here', op), 404, 'not-found');
      expectProblemShape(await c.post('/v1/organizations/x/nothing', op, {}), 404, 'not-found');
    });

    it('answers 401 without a token, with a bad token and with a revoked token', async () => {
      expectProblemShape(await c.get('/v1/organizations', {}), 401, 'unauthorized');
      expectProblemShape(await c.get('/v1/organizations', bearer('jk_not-a-token')), 401, 'unauthorized');
      expectProblemShape(await c.get('/v1/organizations', { authorization: 'Basic dXNlcjpwYXNz' }), 401, 'unauthorized');
      expectProblemShape(await c.post('/v1/organizations', {}, hospital('no token')), 401, 'unauthorized');
      const o = await c.post('/v1/organizations', op, hospital('revoked'));
      const tok = await c.post(`/v1/organizations/${o.body.id}/tokens`, op, { name: 'x' });
      expect((await c.get('/v1/organizations', bearer(tok.body.token))).status).toBe(200);
      expect((await c.del(`/v1/tokens/${tok.body.id}`, op)).status).toBe(204);
      expectProblemShape(await c.get('/v1/organizations', bearer(tok.body.token)), 401, 'unauthorized');
      expect(await count(t.db, 'organizations', 'name = $1', ['no token'])).toBe(0);
    });

    it('answers malformed JSON with 400 validation and writes nothing', async () => {
      const before = await count(t.db, 'organizations');
      expectProblemShape(await c.raw('POST', '/v1/organizations', op, '{"kind": "hospital", "name": ', 'application/json'), 400, 'validation');
      expectProblemShape(await c.raw('POST', '/v1/organizations', op, '[1, 2', 'application/json'), 400, 'validation');
      expect(await count(t.db, 'organizations')).toBe(before);
    });

    it('answers a schema violation with 400 validation naming the paths', async () => {
      const before = await count(t.db, 'organizations');
      const b = expectProblemShape(await c.post('/v1/organizations', op, { kind: 'pharmacy', name: '', regionCode: '440103', colour: 'red' }), 400, 'validation');
      const paths = b.errors.map((e: any) => e.path);
      expect(paths).toEqual(expect.arrayContaining(['/kind', '/name', '/colour']));
      for (const e of b.errors) expect(typeof e.message).toBe('string');
      const missing = expectProblemShape(await c.post('/v1/organizations', op, { kind: 'hospital', name: 'x' }), 400, 'validation');
      expect(missing.errors.map((e: any) => e.path)).toContain('/regionCode');
      expect(await count(t.db, 'organizations')).toBe(before);
    });

    it('answers 415 for a body that is not JSON on a JSON route', async () => {
      const before = await count(t.db, 'organizations');
      const csv = 'kind,name,regionCode\nhospital,csv,440103\n';
      expectProblemShape(await c.raw('POST', '/v1/organizations', op, csv, 'text/csv'), 415, 'unsupported-media-type');
      expectProblemShape(await c.raw('POST', '/v1/organizations', op, '{"kind":"hospital"}', 'text/plain'), 415, 'unsupported-media-type');
      expectProblemShape(await c.raw('POST', '/v1/organizations', op, '<org/>', 'application/xml'), 415, 'unsupported-media-type');
      expect(await count(t.db, 'organizations')).toBe(before);
    });

    it('answers 413 for a JSON body over 1 MiB', async () => {
      const before = await count(t.db, 'organizations');
      const res = await c.post('/v1/organizations', op, hospital('x'.repeat(1024 * 1024 + 10)));
      expectProblemShape(res, 413, 'payload-too-large');
      expect(await count(t.db, 'organizations')).toBe(before);
    });
  });

  describe('Idempotency-Key (every POST)', () => {
    it('replays an Idempotency-Key with the same body and refuses it with another', async () => {
      const key = { 'idempotency-key': 'create-idem-1' };
      const first = await c.post('/v1/organizations', op, hospital('idem'), key);
      expect(first.status).toBe(201);
      const again = await c.post('/v1/organizations', op, hospital('idem'), key);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(await count(t.db, 'organizations', 'name = $1', ['idem'])).toBe(1);
      expectProblemShape(await c.post('/v1/organizations', op, hospital('idem other'), key), 422, 'idempotency-conflict');
      expect(await count(t.db, 'organizations', 'name = $1', ['idem other'])).toBe(0);
      // A 4xx answer is replayed as well, and still writes nothing.
      const bad = { 'idempotency-key': 'create-idem-bad' };
      const r1 = await c.post('/v1/organizations', op, hospital('bad', { regionCode: '990000' }), bad);
      expectProblem(r1, 422, 'validation');
      const r2 = await c.post('/v1/organizations', op, hospital('bad', { regionCode: '990000' }), bad);
      expect(r2.status).toBe(422);
      expect(r2.body).toEqual(r1.body);
      expect(await count(t.db, 'organizations', 'name = $1', ['bad'])).toBe(0);
    });

    it('scopes Idempotency-Keys to the caller organization', async () => {
      const m1 = await org(c, { kind: 'manufacturer', name: 'idem m1', regionCode: '310000' });
      const m2 = await org(c, { kind: 'manufacturer', name: 'idem m2', regionCode: '310000' });
      const product = (n: string) => ({
        genericName: 'idem', dosageForm: 'tablet', category: 'drug', strength: { value: '10', unit: 'mg' },
        packSize: 10, approvalNumber: n, qualityTier: 'originator',
      });
      const key = { 'idempotency-key': 'shared-key' };
      expect((await c.post('/v1/organizations', op, hospital('shared key'), key)).status).toBe(201);
      const a = await c.post('/v1/products', m1.h, product('A'), key);
      const b = await c.post('/v1/products', m2.h, product('B'), key);
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(a.body.id).not.toBe(b.body.id);
      expect(b.body).toMatchObject({ manufacturerId: m2.id, approvalNumber: 'B' });
      expect((await c.post('/v1/products', m1.h, product('A'), key)).body.id).toBe(a.body.id);
      expect(await count(t.db, 'products', "generic_name = 'idem'")).toBe(2);
    });

    it('runs one of several simultaneous requests with the same key; the others replay or wait', async () => {
      const body = { kind: 'hospital', name: '并发医院', regionCode: '110105' };
      const results = await Promise.all(Array.from({ length: 8 }, () => c.post('/v1/organizations', op, body, { 'idempotency-key': 'same-key' })));
      expect(await count(t.db, 'organizations', "name = '并发医院'")).toBe(1);
      const created = results.filter((r) => r.status === 201);
      expect(created.length).toBeGreaterThanOrEqual(1);
      // Every 201 is the one organization; anything else is 409 idempotency-in-progress.
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      for (const r of results.filter((x) => x.status !== 201)) {
        expect(r.status).toBe(409);
        expect(r.body.type).toBe('/problems/idempotency-in-progress');
      }
      const later = await c.post('/v1/organizations', op, body, { 'idempotency-key': 'same-key' });
      expect(later.status).toBe(201);
      expect(later.body.id).toBe(created[0].body.id);
      expect(later.headers['idempotent-replayed']).toBe('true');
    });

    it('takes over a stale in-flight claim, and refuses another body while a claim is held', async () => {
      // A claim left "in flight" by a crashed request is taken over once it is stale.
      await t.db.query(`INSERT INTO idempotency_keys (scope, key, request_hash, status, headers, body, created_at)
                        VALUES ('operator', 'stale', 'x', 0, '{}', '', now() - interval '5 minutes')`);
      const r = await c.post('/v1/organizations', op, { kind: 'hospital', name: 'H', regionCode: '110105' }, { 'idempotency-key': 'stale' });
      expect(r.status).toBe(201);
      const fresh = await t.db.query(`INSERT INTO idempotency_keys (scope, key, request_hash, status, headers, body)
                        VALUES ('operator', 'busy', 'x', 0, '{}', '') RETURNING 1`);
      expect(fresh).toHaveLength(1);
      const busy = await c.post('/v1/organizations', op, { kind: 'hospital', name: 'H2', regionCode: '110105' }, { 'idempotency-key': 'busy' });
      expect(busy.status).toBe(422); // another body holds the key
      expect(await count(t.db, 'organizations', "name = 'H2'")).toBe(0);
    });
  });

  describe('paging (every list)', () => {
    it('pages lists with limit and an opaque cursor', async () => {
      for (let i = 0; i < 5; i++) await c.post('/v1/organizations', op, hospital(`page ${i}`));
      const total = await count(t.db, 'organizations');
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await c.get(`/v1/organizations?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, op);
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data.map((o: any) => o.id));
        cursor = res.body.nextCursor;
        if (cursor !== null) expect(res.body.data).toHaveLength(2);
        pages++;
      } while (cursor !== null && pages < 100);
      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      const first = await c.get('/v1/organizations?limit=2', op);
      expect(typeof first.body.nextCursor).toBe('string');
      const all = await c.get('/v1/organizations', op);
      expect(all.body.data).toHaveLength(total);
      expect(all.body.nextCursor).toBeNull();
    });

    it('refuses bad limits and forged cursors with 400', async () => {
      expectProblemShape(await c.get('/v1/organizations?limit=0', op), 400, 'validation');
      expectProblemShape(await c.get('/v1/organizations?limit=1001', op), 400, 'validation');
      expectProblemShape(await c.get('/v1/organizations?limit=two', op), 400, 'validation');
      expect((await c.get('/v1/organizations?limit=1000', op)).status).toBe(200);
      expectProblemShape(await c.get('/v1/organizations?cursor=not-a-cursor', op), 400, 'validation');
      const wrongShape = Buffer.from(JSON.stringify({ id: 'x' })).toString('base64url');
      expectProblemShape(await c.get(`/v1/organizations?cursor=${wrongShape}`, op), 400, 'validation');
      expectProblemShape(await c.get('/v1/products?cursor=%7B%7D', op), 400, 'validation');
    });
  });
});
