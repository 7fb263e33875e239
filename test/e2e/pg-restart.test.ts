import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownCluster, type Cluster } from './pg-cluster.js';
import { http, must, startApi, waitFor, type Proc, openingKeys } from './processes.js';

/**
 * PostgreSQL restarted under a running API (its own cluster, not the shared one): while it is down every
 * request that needs it fails with 503 problem+json `unavailable` and Retry-After, and writes nothing;
 * once it is back the same API process answers again, without a restart.
 * PG mode only (it needs the PostgreSQL server binaries): skipped without DATABASE_URL.
 */
const MASTER = 'pg-restart-master-key-0123456789';
// Without Redis the API runs its jobs itself, opening included: it holds both parts of the opening key.
const KEYS = openingKeys();

describe.skipIf(!process.env.DATABASE_URL)('fault: PostgreSQL restarted while the API runs (needs DATABASE_URL: PG mode)', () => {
  let pg: Cluster | null = null;
  let api: (Proc & { url: string }) | null = null;
  let dataDir = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'jicai-pgr-'));
    pg = await ownCluster();
    api = await startApi('api', { DATABASE_URL: pg.url, JICAI_MASTER_KEY: MASTER, ...KEYS.worker, JICAI_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  }, 150_000);
  afterAll(async () => {
    await api?.stop();
    pg?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const organizations = async () => {
    const sql = postgres(pg!.url, { max: 1, onnotice: () => {} });
    try { return (await sql`SELECT count(*)::int AS n FROM organizations`)[0].n as number; } finally { await sql.end(); }
  };

  it('answers 503 unavailable while it is down, writes nothing, and recovers by itself', async () => {
    const h = http(api!.url);
    must(await h.post('/v1/organizations', MASTER, { kind: 'hospital', name: 'before', regionCode: '440103' }), 201, 'write before');
    expect((await h.get('/health', null)).body).toMatchObject({ status: 'ok', db: 'ok' });
    const before = await organizations();

    pg!.stop('fast');
    const down = [
      await h.get('/v1/organizations', MASTER),
      await h.post('/v1/organizations', MASTER, { kind: 'hospital', name: 'during', regionCode: '440103' }),
      await h.get('/v1/rounds', MASTER),
      await h.post('/v1/organizations', MASTER, { kind: 'manufacturer', name: 'during 2', regionCode: '310000' }),
    ];
    for (const res of down) {
      expect(res.status, `${res.text}\n${api!.output().slice(-2000)}`).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toMatch(/\/unavailable$/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at .*\.ts/);
    }
    const health = await h.get('/health', null);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'degraded', db: 'down' });

    pg!.start();
    // The same API process: the pool reconnects on the next requests.
    const t0 = Date.now();
    await waitFor('the API to answer again', async () => (await h.get('/v1/organizations', MASTER)).status === 200, 30_000, 200);
    const recoveredMs = Date.now() - t0;
    must(await h.post('/v1/organizations', MASTER, { kind: 'hospital', name: 'after', regionCode: '440103' }), 201, 'write after');
    expect((await h.get('/health', null)).body).toMatchObject({ status: 'ok', db: 'ok' });
    expect(await organizations()).toBe(before + 1); // nothing from the refused writes
    expect(api!.child.exitCode).toBeNull();
    console.info(`pg-restart: API answered again ${recoveredMs} ms after PostgreSQL was back`);
  }, 150_000);
});
