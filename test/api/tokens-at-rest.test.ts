import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { spkiOf } from '../../src/bids/custody.js';
import { noJobs } from '../../src/http/health.js';
import { bearer, client, count, MASTER, op } from '../helpers.js';
import { maker, round, world, type World } from './round-fixture.js';
import { builtEntry } from '../built.js';

/** SECURITY.md "Nothing secret at rest" and "Revocation". */
describe('tokens', () => {
  let w: World;
  let other: FastifyInstance;
  beforeAll(async () => {
    w = await world();
    // A second API instance on the same database: its own Fastify app and its own authenticator.
    other = await buildApp({ db: w.t.db, clock: w.t.clock, jobs: noJobs(), config: { ...w.t.ctx.config, openingPrivateKey: null } }, { logger: false });
    await other.ready();
  });
  afterAll(async () => { await other?.close(); await w?.t.close(); });

  /** Every row of every table as text. */
  async function dump(): Promise<string> {
    const tables = await w.t.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    let out = '';
    for (const { table_name } of tables) out += JSON.stringify(await w.t.db.query(`SELECT * FROM "${table_name}"`));
    return out;
  }

  it('stores a new token nowhere in plaintext; an Idempotency-Key replay answers without it, also after revocation', async () => {
    const m = await maker(w);
    const key = { 'idempotency-key': 'token-once' };
    const first = await w.c.post(`/v1/organizations/${m.id}/tokens`, op, { name: 'ci' }, key);
    expect(first.status).toBe(201);
    const token: string = first.body.token;
    expect(token.length).toBeGreaterThan(20);
    expect(await dump()).not.toContain(token);
    const replay = await w.c.post(`/v1/organizations/${m.id}/tokens`, op, { name: 'ci' }, key);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual({ id: first.body.id, organizationId: m.id, name: 'ci', createdAt: first.body.createdAt });
    expect(await count(w.t.db, 'tokens', 'organization_id = $1', [m.id])).toBe(2);
    expect((await w.c.del(`/v1/tokens/${first.body.id}`, op)).status).toBe(204);
    const after = await w.c.post(`/v1/organizations/${m.id}/tokens`, op, { name: 'ci' }, key);
    expect(after.body.token).toBeUndefined();
    expect(JSON.stringify(after.body)).not.toContain(token);
  });

  it('purges idempotency keys after 24 hours', async () => {
    await w.c.post('/v1/organizations', op, { kind: 'hospital', name: 'idem old', regionCode: '440106' }, { 'idempotency-key': 'old-one' });
    await w.c.post('/v1/organizations', op, { kind: 'hospital', name: 'idem new', regionCode: '440106' }, { 'idempotency-key': 'new-one' });
    await w.t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-one'`);
    await w.t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '23 hours' WHERE key = 'new-one'`);
    // The other instance has not purged yet: its first idempotent request does.
    await client(other).post('/v1/organizations', op, { kind: 'hospital', name: 'idem third', regionCode: '440106' }, { 'idempotency-key': 'third' });
    expect(await count(w.t.db, 'idempotency_keys', `key = 'old-one'`)).toBe(0);
    expect(await count(w.t.db, 'idempotency_keys', `key = 'new-one'`)).toBe(1);
  });

  it('revokes at once on every instance: a revoked token places no bid on another one', async () => {
    const r = await round(w);
    const m = await maker(w);
    const t = await w.c.post(`/v1/organizations/${m.id}/tokens`, op, { name: 'bidder' });
    const h = bearer(t.body.token);
    const place = (app: FastifyInstance) => client(app).put(`/v1/rounds/${r.id}/bids/ATV20`, h, { productId: m.products[0], packagePrice: '2' });
    expect((await place(other)).status).toBe(200); // the other instance has seen the token
    expect((await w.c.del(`/v1/tokens/${t.body.id}`, op)).status).toBe(204);
    expect((await place(other)).status).toBe(401);
    expect((await place(w.t.app)).status).toBe(401);
  });

  const freePort = () => new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });

  // Two processes need a database both can reach: PostgreSQL (PGlite lives in one process).
  it.runIf(!!process.env.DATABASE_URL)('revokes at once across two processes', async () => {
    const port = await freePort();
    const proc: ChildProcess = spawn(process.execPath, builtEntry('src/server.ts'), {
      env: {
        ...process.env, DATABASE_URL: w.t.url!, REDIS_URL: '', PORT: String(port), LOG_LEVEL: 'silent', JICAI_MASTER_KEY: MASTER,
        JICAI_OPENING_PUBLIC_KEY: spkiOf(w.t.ctx.config.openingKey.publicKey).toString('base64'), JICAI_OPENING_PRIVATE_KEY: '',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 200; i++) {
        try { if ((await fetch(url + '/health')).ok) break; } catch { /* not yet */ }
        await new Promise((res) => setTimeout(res, 100));
      }
      const m = await maker(w);
      const t = await w.c.post(`/v1/organizations/${m.id}/tokens`, op, { name: 'bidder' });
      const probe = async () => (await fetch(`${url}/v1/rounds`, { headers: bearer(t.body.token) })).status;
      expect(await probe()).toBe(200);
      expect(await probe()).toBe(200);
      expect((await w.c.del(`/v1/tokens/${t.body.id}`, op)).status).toBe(204);
      expect(await probe()).toBe(401);
    } finally {
      proc.kill('SIGTERM');
    }
  }, 60_000);
});
