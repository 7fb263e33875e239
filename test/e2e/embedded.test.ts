import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newOpeningKeyPair } from '../../src/bids/custody.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { client, op, org, testApp, type TestApp } from '../helpers.js';

/** The embedded mode (PGlite), also when the suite runs on PostgreSQL: the smoke suite of ENGINEERING.md. */
describe('embedded mode', () => {
  it('generates the keys into the data directory once and reads them back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jicai-embedded-'));
    const first = loadConfig({ JICAI_DATA_DIR: dir });
    expect(first.generatedMasterKey).toBe(true);
    expect(first.databaseUrl).toBeNull();
    expect(readFileSync(join(dir, 'master-key'), 'utf8').trim()).toBe(first.masterKey);
    // Embedded mode keeps the opening key pair beside the database, for trials only (SECURITY.md).
    expect(first.openingPrivateKey).not.toBeNull();
    expect(first.openingKeyInDataDir).toBe(true);
    expect(readFileSync(join(dir, 'opening-key.pem'), 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
    const again = loadConfig({ JICAI_DATA_DIR: dir });
    expect(again.generatedMasterKey).toBe(false);
    expect(again.masterKey).toBe(first.masterKey);
    expect(again.openingKey.id).toBe(first.openingKey.id);
  });

  it('refuses to invent keys in production mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jicai-prod-'));
    expect(() => loadConfig({ JICAI_DATA_DIR: dir, DATABASE_URL: 'postgres://x/y' })).toThrow(/JICAI_MASTER_KEY is required/);
    const prod = { JICAI_DATA_DIR: dir, DATABASE_URL: 'postgres://x/y', JICAI_MASTER_KEY: 'k'.repeat(20) };
    expect(() => loadConfig(prod)).toThrow(/JICAI_OPENING_PUBLIC_KEY is required when DATABASE_URL is set/);
    expect(() => loadConfig({ ...prod, JICAI_OPENING_PUBLIC_KEY: 'short' })).toThrow(/JICAI_OPENING_PUBLIC_KEY is not an X25519 key/);
    const pair = newOpeningKeyPair(), other = newOpeningKeyPair();
    // An API process: the public part alone, so it can open nothing.
    const api = loadConfig({ ...prod, JICAI_OPENING_PUBLIC_KEY: pair.publicBase64 });
    expect(api.openingPrivateKey).toBeNull();
    expect(api.openingKeyInDataDir).toBe(false);
    const worker = loadConfig({ ...prod, JICAI_OPENING_PUBLIC_KEY: pair.publicBase64, JICAI_OPENING_PRIVATE_KEY: pair.privatePem });
    expect(worker.openingPrivateKey).not.toBeNull();
    expect(worker.openingKey.id).toBe(api.openingKey.id);
    expect(() => loadConfig({ ...prod, JICAI_OPENING_PUBLIC_KEY: pair.publicBase64, JICAI_OPENING_PRIVATE_KEY: other.privatePem })).toThrow(/not the private part/);
    expect(existsSync(join(dir, 'opening-key.pem'))).toBe(false);
    expect(existsSync(join(dir, 'master-key'))).toBe(false);
  });

  it('applies the migrations to an on-disk PGlite database, twice without harm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jicai-pglite-'));
    const db = await createDb({ databaseUrl: null, dataDir: join(dir, 'pglite') });
    await runMigrations(db);
    await runMigrations(db);
    const tables = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
    expect(tables[0].n).toBeGreaterThanOrEqual(15);
    await db.close();
    rmSync(dir, { recursive: true, force: true }); // 40 MB a run otherwise left in the temp directory
  });

  describe('serves the API on PGlite', () => {
    let t: TestApp;
    beforeAll(async () => { t = await testApp({ pglite: true }); });
    afterAll(async () => { await t?.close(); });

    it('answers health and runs a round to publication', async () => {
      const c = client(t.app);
      expect((await c.get('/health', {})).body).toEqual({ status: 'ok', db: 'ok', queue: 'in-process' });
      const a = await org(c, { kind: 'alliance', name: 'A', regionCode: '110000', regionCodes: ['110000'] });
      const r = await c.post('/v1/rounds', a.h, { name: 'R', rules: { preset: 'pilot-4+7' }, bidOpensAt: '2026-04-01T00:00:00Z', bidClosesAt: '2026-04-02T00:00:00Z', contractMonths: 12 });
      expect(r.status).toBe(201);
      expect(r.body.rules.maxWinners).toEqual([[1, 1]]);
      expect((await c.post(`/v1/rounds/${r.body.id}/publish`, a.h)).body.state).toBe('demand');
      const v = await c.get('/v1/audit/verify', op);
      expect(v.body.ok).toBe(true);
    });
  });
});
