import { connect } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMAND, MASTER, client, count, expectProblem, op, org, testApp, type TestApp } from '../helpers.js';

/**
 * Limits every answer is under (issue: reliability and security): the rate
 * limit per token (shared through Redis between API instances in production),
 * security headers, a deadline for a request to arrive, records per upload.
 */
describe('rate limit per token', () => {
  let a: TestApp, b: TestApp;
  beforeAll(async () => {
    // Two API instances with one namespace: on PostgreSQL with Redis they share the counts, as production instances do.
    const shared = { rateLimit: { max: 5, windowMs: 60_000 }, queuePrefix: `jicai-rl-${Date.now()}` };
    a = await testApp({ config: shared });
    b = await testApp({ config: shared });
  });
  afterAll(async () => { await a?.close(); await b?.close(); });

  it('answers 429 problem+json rate-limited with Retry-After once a token has used its window, other tokens unaffected', async () => {
    const c = client(a.app);
    const h = await org(c, { kind: 'alliance', name: 'A', regionCode: '440000', regionCodes: ['440000'] }); // 2 operator requests
    for (let i = 0; i < 5; i++) expect((await c.get('/v1/organizations/' + h.id, h.h)).status).toBe(200);
    const over = await c.get('/v1/organizations/' + h.id, h.h);
    const p = expectProblem(over, 429, 'rate-limited');
    expect(p.detail).toMatch(/At most 5 requests per 60 s/);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // Another token (the operator's key: 2 requests so far) has its own window; the health probe has none.
    expect((await c.get('/v1/organizations/' + h.id, op)).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await c.get('/health', {})).status).not.toBe(429);
  });

  it('counts bad tokens too, and across instances when they share Redis (in memory, each instance on its own)', async () => {
    const ca = client(a.app), cb = client(b.app);
    const key = { authorization: 'Bearer unknown-token-for-the-rate-limit-test' };
    for (let i = 0; i < 3; i++) expectProblem(await ca.get('/v1/rounds', key), 401, 'unauthorized');
    for (let i = 0; i < 2; i++) expectProblem(await cb.get('/v1/rounds', key), 401, 'unauthorized');
    const next = await cb.get('/v1/rounds', key);
    if (a.jobs.kind === 'redis') expectProblem(next, 429, 'rate-limited');
    else expectProblem(next, 401, 'unauthorized'); // embedded mode is one process: b has seen 2 of its 5
  });
});

describe('headers, request deadline and upload size', () => {
  let t: TestApp;
  beforeAll(async () => { t = await testApp({ config: { requestTimeoutMs: 1500, maxUploadRows: 3 } }); });
  afterAll(async () => { await t?.close(); });

  it('sends security headers with every answer; the docs UI sets its own policy', async () => {
    const res = await client(t.app).get('/v1/rounds', op);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.headers['strict-transport-security']).toBeDefined();
    const err = await client(t.app).get('/v1/rounds/none', op);
    expect(err.headers['x-content-type-options']).toBe('nosniff');
    const docs = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(String(docs.headers['content-security-policy'])).not.toMatch(/default-src 'none'/);
  });

  it('answers a request whose body does not arrive in time with 408 problem+json and closes the connection', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        // Headers promise 1,000 bytes; 10 arrive, then nothing.
        socket.write(`POST /v1/organizations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"kind": "`);
      });
      let data = '';
      socket.on('data', (d) => { data += d.toString(); });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/application\/problem\+json/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ type: '/problems/request-timeout', status: 408 });
  });

  it('refuses an upload with more records than the limit, naming the first record over it, and writes nothing', async () => {
    const c = client(t.app);
    const a = await org(c, { kind: 'alliance', name: 'A', regionCode: '440000', regionCodes: ['440000'] });
    const hs = [];
    for (let i = 0; i < 4; i++) hs.push(await org(c, { kind: 'hospital', name: `h${i}`, regionCode: '440103' }));
    const r = (await c.post('/v1/rounds', a.h, { name: 'R', rules: { preset: 'nvbp' }, bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: '2026-03-20T00:00:00Z', contractMonths: 12 })).body.id;
    expect((await c.post(`/v1/rounds/${r}/items`, a.h, { code: 'A1', genericName: 'x', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
      referenceStrength: { value: '20', unit: 'mg' }, maxUnitPrice: '3', baselineUnitPrice: '2.5' })).status).toBe(201);
    expect((await c.post(`/v1/rounds/${r}/publish`, a.h)).status).toBe(200);
    const csv = 'hospitalId,itemCode,quantity\n' + hs.map((h) => `${h.id},A1,5`).join('\n') + '\n';
    // A real socket, the body streamed: the limit is met while the upload arrives.
    await t.app.ready();
    const res = await request(t.app.server).post(`/v1/rounds/${r}/demand/bulk`).set(a.h).set('content-type', 'text/csv').send(csv);
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: '/problems/payload-too-large', errors: [{ line: 5, message: 'record 4 of the upload' }] });
    expect(await count(t.db, DEMAND, 'round_id = $1', [r])).toBe(0);
    const fits = await request(t.app.server).post(`/v1/rounds/${r}/demand/bulk`).set(a.h).set('content-type', 'text/csv')
      .send('hospitalId,itemCode,quantity\n' + hs.slice(0, 3).map((h) => `${h.id},A1,5`).join('\n') + '\n');
    expect(fits.status, JSON.stringify(fits.body)).toBe(200);
    expect(await count(t.db, DEMAND, 'round_id = $1', [r])).toBe(3);
  });
});
