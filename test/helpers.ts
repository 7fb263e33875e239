import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { ManualClock } from '../src/clock.js';
import type { Config } from '../src/config.js';
import type { AppContext } from '../src/context.js';
import { createDb, type Db } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { jobSide, type JobSide } from '../jobs/index.js';
import { processors as allProcessors } from '../jobs/processors/index.js';
import type { Processors } from '../jobs/processors/types.js';

export const MASTER = 'test-master-key-0123456789abcdef';
export const op = { authorization: `Bearer ${MASTER}` };

export interface TestApp { app: FastifyInstance; ctx: AppContext; clock: ManualClock; db: Db; jobs: JobSide; close(): Promise<void>; url: string | null }

declare module 'vitest' { interface ProvidedContext { template: string } }

/**
 * A fresh app on a fresh database: a clone of the migrated template on the
 * real PostgreSQL when DATABASE_URL is set, else an in-memory PGlite.
 */
export async function testApp(opts: { pglite?: boolean; config?: Partial<Config>; processors?: Processors } = {}): Promise<TestApp> {
  const base = process.env.DATABASE_URL;
  let db: Db;
  let url: string | null = null;
  let name = `pglite_${randomBytes(6).toString('hex')}`;
  let drop = async () => {};
  if (base && !opts.pglite) {
    name = `jicai_t_${randomBytes(6).toString('hex')}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('template')}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
    db = await createDb({ databaseUrl: url, max: 10 });
    drop = async () => {
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await a.end();
    };
  } else {
    db = await createDb({ databaseUrl: null });
    await runMigrations(db);
  }
  const config: Config = {
    port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'jicai-')), logLevel: 'silent',
    databaseUrl: url, redisUrl: url ? process.env.REDIS_URL ?? null : null, queuePrefix: `jicai-test-${name}`, jobBackoffMs: 50, masterKey: MASTER, bidKek: randomBytes(32),
    bodyLimit: 1024 * 1024, bulkBodyLimit: 64 * 1024 * 1024, generatedMasterKey: false,
    maxUploadRows: 5_000_000, rateLimit: { max: 1_000_000, windowMs: 60_000 }, requestTimeoutMs: 60_000, trustProxy: false, ...opts.config,
  };
  const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
  // The real job side of the mode: BullMQ workers in this process on real Redis (a prefix per test database), else the
  // in-process runner; its timers are off, since the clock is manual: a test runs due jobs with jobs.runDue or a kick.
  const jobs = jobSide({
    redisUrl: config.redisUrl, prefix: config.queuePrefix, backoffMs: config.jobBackoffMs, processors: { ...allProcessors, ...opts.processors }, work: true, timers: false, pollMs: 200,
  });
  const ctx: AppContext = { db, config, clock, jobs };
  const app = await buildApp(ctx, { logger: process.env.TEST_LOG ? { level: 'error' } : false });
  await app.ready();
  await jobs.start(ctx);
  return {
    app, ctx, clock, db, url, jobs,
    async close() { await app.close(); await jobs.close(); await db.close(); await drop(); },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Small API client over app.inject for tests. */
export function client(app: FastifyInstance) {
  const call = async (method: string, url: string, headers: Record<string, string>, payload?: unknown, extra: Record<string, string> = {}) => {
    const res = await app.inject({
      method: method as any, url, headers: { ...headers, ...extra },
      ...(payload === undefined ? {} : typeof payload === 'string' ? { payload } : { payload: payload as any }),
    });
    let body: any = undefined;
    try { body = res.body ? JSON.parse(res.body) : undefined; } catch { body = res.body; }
    return { status: res.statusCode, body, headers: res.headers };
  };
  return {
    get: (url: string, h: Record<string, string>) => call('GET', url, h),
    post: (url: string, h: Record<string, string>, body?: unknown, extra?: Record<string, string>) => call('POST', url, h, body, extra),
    put: (url: string, h: Record<string, string>, body?: unknown) => call('PUT', url, h, body),
    patch: (url: string, h: Record<string, string>, body?: unknown) => call('PATCH', url, h, body),
    del: (url: string, h: Record<string, string>) => call('DELETE', url, h),
    raw: (method: string, url: string, h: Record<string, string>, payload: string, contentType: string) =>
      call(method, url, { ...h, 'content-type': contentType }, payload),
  };
}
export type Client = ReturnType<typeof client>;

/** Creates an organization and a token for it. */
export async function org(c: Client, input: Record<string, unknown>): Promise<{ id: string; h: Record<string, string> }> {
  const o = await c.post('/v1/organizations', op, input);
  if (o.status !== 201) throw new Error(`org: ${o.status} ${JSON.stringify(o.body)}`);
  const t = await c.post(`/v1/organizations/${o.body.id}/tokens`, op, { name: 'test' });
  if (t.status !== 201) throw new Error(`token: ${t.status} ${JSON.stringify(t.body)}`);
  return { id: o.body.id, h: bearer(t.body.token) };
}

export function expectProblem(res: { status: number; body: any; headers: any }, status: number, slug?: string) {
  if (res.status !== status || !String(res.headers['content-type']).startsWith('application/problem+json')
      || (slug && !String(res.body?.type).endsWith(`/${slug}`))) {
    throw new Error(`expected problem ${status} ${slug ?? ''}, got ${res.status} ${res.headers['content-type']} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** Rows of a table, for "nothing was written" checks. */
export async function count(db: Db, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return r[0].n;
}

/**
 * The high-volume tables hold integer keys only; tests read them through these
 * views with string ids (`count(db, DEMAND, 'round_id = $1', [id])`).
 */
export const DEMAND = `(SELECT r.id AS round_id, h.id AS hospital_id, i.code AS item_code, d.quantity, m.id AS preferred_manufacturer_id
  FROM demand d JOIN rounds r ON r.no = d.round_no JOIN organizations h ON h.no = d.hospital_no
  JOIN items i ON i.round_id = r.id AND i.no = d.item_no LEFT JOIN organizations m ON m.no = d.preferred_no) demand`;
export const AGREEMENTS = `(SELECT r.id AS round_id, h.id AS hospital_id, i.code AS item_code, m.id AS manufacturer_id, g.agreed_quantity
  FROM agreements g JOIN rounds r ON r.no = g.round_no JOIN organizations h ON h.no = g.hospital_no
  JOIN items i ON i.round_id = r.id AND i.no = g.item_no JOIN organizations m ON m.no = g.manufacturer_no) agreements`;
export const ALLOCATIONS = `(SELECT r.id AS round_id, i.code AS item_code, a.unit FROM allocations a JOIN rounds r ON r.no = a.round_no
  JOIN items i ON i.round_id = r.id AND i.no = a.item_no) allocations`;
