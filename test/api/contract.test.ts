import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import operations from '../../src/http/plugins/operations.js';
import { NOT_YET_SERVED, OPERATIONS, TAGS, shapeOf } from '../../src/http/operations.js';
import { clientTypes } from '../../scripts/client.js';
import { testApp, type TestApp } from '../helpers.js';

/** Issue #17: the OpenAPI document as a contract: every operation named and described, every 4xx a problem. */

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

describe('the OpenAPI document (src/http/operations.ts)', () => {
  let t: TestApp;
  let doc: any;
  beforeAll(async () => { t = await testApp(); doc = t.app.swagger(); });
  afterAll(async () => { await t?.close(); });

  /** `METHOD /v1/x/:` of every documented operation (hidden routes are not in the document). */
  const served = () => Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ key: shapeOf(`${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`), op: item[m] })));

  it('has an entry for every served route, with operationId, summary, description and one tag', () => {
    const missing = served().filter((s) => !s.op.operationId).map((s) => s.key);
    expect(missing, 'routes without an entry in src/http/operations.ts').toEqual([]);
    for (const { op } of served()) {
      expect(op.summary.length).toBeGreaterThan(0);
      expect(op.description.length).toBeGreaterThan(0);
      expect(op.tags).toHaveLength(1);
    }
    const ids = served().map((s) => s.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists entries for routes not served only in NOT_YET_SERVED', () => {
    const servedKeys = new Set(served().map((s) => s.key));
    const unserved = Object.keys(OPERATIONS).filter((k) => !servedKeys.has(shapeOf(k)));
    const allowed = new Set(NOT_YET_SERVED.map(shapeOf));
    expect(unserved.filter((k) => !allowed.has(shapeOf(k)))).toEqual([]);
    for (const k of NOT_YET_SERVED) expect(OPERATIONS[k], k).toBeDefined();
  });

  it('names operations uniquely, in lower camel case, and tags them with documented tags', () => {
    const ids = Object.values(OPERATIONS).map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z]+$/);
    expect(doc.tags.map((x: { name: string }) => x.name)).toEqual(TAGS.map((x) => x.name));
    for (const tag of doc.tags) expect(tag.description.length).toBeGreaterThan(0);
    // The names integrators build on; renaming one breaks their code.
    expect(Object.fromEntries(['POST /v1/rounds/:id/open', 'PUT /v1/rounds/:id/bids/:itemCode', 'GET /v1/rounds/:id/agreements',
      'PUT /v1/rounds/:id/usage', 'GET /v1/reports/:id/file'].map((k) => [k, OPERATIONS[k].operationId]))).toEqual({
      'POST /v1/rounds/:id/open': 'openRound', 'PUT /v1/rounds/:id/bids/:itemCode': 'submitBid', 'GET /v1/rounds/:id/agreements': 'listAgreements',
      'PUT /v1/rounds/:id/usage': 'reportUsage', 'GET /v1/reports/:id/file': 'downloadReport',
    });
  });

  it('answers every 4xx with the Problem schema as application/problem+json, each code listed', () => {
    for (const { key, op } of served()) {
      const codes = Object.keys(op.responses);
      expect(codes, key).not.toContain('4XX');
      const problems = codes.filter((c) => c.startsWith('4'));
      if (key !== 'GET /health') expect(problems.length, key).toBeGreaterThan(0);
      for (const c of problems) {
        expect(op.responses[c].content, `${key} ${c}`).toEqual(PROBLEM);
        expect(op.responses[c].description.length).toBeGreaterThan(0);
      }
      // Every route with a token answers 401 and is rate limited; bodies are checked (400, 413, 415).
      if (op.security?.length !== 0 && key !== 'GET /v1/rounds/:/ocds') expect(codes, key).toContain('401');
      if (/^(POST|PUT|PATCH) /.test(key)) expect(codes, key).toEqual(expect.arrayContaining(['400', '413', '415']));
    }
    const bid = doc.paths['/v1/rounds/{id}/bids/{itemCode}'].put.responses;
    expect(Object.keys(bid).filter((c) => c.startsWith('4'))).toEqual(['400', '401', '403', '404', '409', '413', '415', '422', '429']);
    expect(bid['422'].description).toContain('price-above-ceiling');
    expect(bid['409'].description).toContain('bidding-closed');
  });

  it('names servers, licence and contact', () => {
    expect(doc.servers.length).toBeGreaterThan(0);
    expect(doc.info.license.name.length).toBeGreaterThan(0);
    expect(doc.info.contact.name.length).toBeGreaterThan(0);
  });
});

describe('the operations plugin', () => {
  it('documents a table route and notes a 4xx it answers outside the document', async () => {
    const app = Fastify({ logger: false });
    await app.register(operations);
    let status = 403;
    app.get('/v1/products', async (_req, reply) => reply.code(status).send({ type: '/problems/x', title: 'x', status, detail: 'x' }));
    app.get('/unlisted', async () => ({}));
    await app.ready();
    await app.inject({ url: '/v1/products' });
    status = 401;
    await app.inject({ url: '/v1/products' });
    await app.inject({ url: '/v1/products', method: 'HEAD' });
    await app.inject({ url: '/unlisted' });
    expect([...app.undocumentedAnswers]).toEqual(['GET /v1/products 403']);
    await app.close();
  });
});

describe('the typed client (src/client)', () => {
  it('is generated from the committed document: src/client/schema.d.ts equals a fresh npm run client', async () => {
    const committed = readFileSync(new URL('../../src/client/schema.d.ts', import.meta.url), 'utf8');
    expect(committed === await clientTypes(), 'src/client/schema.d.ts is stale: run npm run openapi && npm run client').toBe(true);
  });
});
