import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, count, op, testApp, type Client, type TestApp } from '../helpers.js';

describe('Idempotency-Key under concurrency', () => {
  let t: TestApp;
  let c: Client;
  beforeAll(async () => { t = await testApp(); c = client(t.app); });
  afterAll(async () => { await t?.close(); });

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
