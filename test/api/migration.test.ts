import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { ephemeralOpeningKeys as openingKeys, type Config } from '../../src/config.js';
import { createDb, type Db } from '../../src/db/client.js';
import { migrationsFolder, runMigrations } from '../../src/db/migrate.js';
import { noJobs } from '../../src/http/health.js';

/**
 * Migrations carry existing data over (issue: national-scale storage). The
 * fixture was written by the code as it stood before compact keys (commit
 * dd0fa2c): rounds in every state (a city-level award too), its data dumped
 * and its API answers recorded. Here a database at migration 0000 gets that
 * data, every later migration runs, and the same reads must answer as before.
 */
const FIXTURE = new URL('../fixtures/migration-0000/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('expected.json', FIXTURE), 'utf8')) as {
  master: string; kek: string; rounds: Record<string, string>; tokens: Record<string, string>;
  expected: Record<string, Record<string, { status: number; body: unknown }>>;
};

/** A migrations folder holding only migration 0000, as a database created before compact keys has applied. */
function firstMigrationOnly(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jicai-m0-'));
  cpSync(join(migrationsFolder, '0000_init.sql'), join(dir, '0000_init.sql'));
  cpSync(join(migrationsFolder, 'meta'), join(dir, 'meta'), { recursive: true });
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8'));
  journal.entries = journal.entries.slice(0, 1);
  writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify(journal));
  return dir;
}

describe('migrations from the schema before compact keys', () => {
  let db: Db;
  let app: FastifyInstance;
  let drop = async () => {};

  beforeAll(async () => {
    const base = process.env.DATABASE_URL;
    if (base) {
      // A database of its own, not the migrated test template.
      const name = `${inject('testDbPrefix')}mig_${randomBytes(4).toString('hex')}`; // the run's prefix: see test/global-setup.ts
      const admin = postgres(base, { max: 1, onnotice: () => {} });
      await admin.unsafe(`CREATE DATABASE ${name}`);
      await admin.end();
      const u = new URL(base);
      u.pathname = `/${name}`;
      db = await createDb({ databaseUrl: u.toString(), max: 4 });
      drop = async () => {
        const a = postgres(base, { max: 1, onnotice: () => {} });
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
        await a.end();
      };
    } else {
      db = await createDb({ databaseUrl: null });
    }
    await runMigrations(db, firstMigrationOnly());
    const statements = readFileSync(new URL('data.sql', FIXTURE), 'utf8').split('\n').filter((l) => l.trim());
    await db.transaction(async (tx) => { for (const s of statements) await tx.query(s); });
    await runMigrations(db);
    const config: Config = {
      port: 0, host: '127.0.0.1', dataDir: tmpdir(), logLevel: 'silent', databaseUrl: null, redisUrl: null, queuePrefix: 'jicai', jobBackoffMs: 50,
      masterKey: fixture.master, ...openingKeys(), bodyLimit: 1 << 20, bulkBodyLimit: 1 << 26, generatedMasterKey: false,
      maxUploadRows: 1000, rateLimit: { max: 1000, windowMs: 60_000 }, requestTimeoutMs: 60_000, trustProxy: false,
    };
    app = await buildApp({ db, config, clock: new ManualClock(new Date('2026-03-01T00:00:00Z')), jobs: noJobs() }, { logger: false });
    await app.ready();
  }, 120_000);
  afterAll(async () => { await app?.close(); await db?.close(); await drop(); });

  const reader = (who: string) => ({ authorization: `Bearer ${who === 'operator' ? fixture.master : fixture.tokens[who]}` });
  const reads: [string, (id: string) => string, string][] = [
    ['round', (id) => `/v1/rounds/${id}`, 'operator'],
    ['items', (id) => `/v1/rounds/${id}/items`, 'alliance'],
    ['demandAlliance', (id) => `/v1/rounds/${id}/demand`, 'alliance'],
    ['demandHospital', (id) => `/v1/rounds/${id}/demand`, 'hospital'],
    ['bidsMaker', (id) => `/v1/rounds/${id}/bids`, 'maker0'],
    ['results', (id) => `/v1/rounds/${id}/results`, 'alliance'],
    ['allocations', (id) => `/v1/rounds/${id}/allocations`, 'alliance'],
    ...['alliance', 'hospital', 'maker0', 'maker2', 'operator'].map((who) =>
      [`agreements_${who}`, (id: string) => `/v1/rounds/${id}/agreements`, who] as [string, (id: string) => string, string]),
    ['ocds', (id) => `/v1/rounds/${id}/ocds`, 'operator'],
    ['verify', (id) => `/v1/audit/verify?roundId=${id}`, 'operator'],
  ];

  /** What the contract added to a read since the fixture was recorded, with the values a migrated round takes (issue #15: scheduling, notice period). */
  const since = (name: string, e: { status: number; body: unknown }) => {
    if (name !== 'round') return e;
    const body = e.body as { rules: Record<string, unknown> };
    return { ...e, body: { ...body, autoStartBidding: false, autoOpen: false, noticeEndsAt: null, rules: { ...body.rules, noticeMinutes: 0 } } };
  };

  /**
   * The OCDS export gained `contracts` after award (issue #12): one per award, over the contract months, with no
   * transactions since the fixture has no usage. Checked here, then left out of the comparison with the recorded export.
   */
  const withoutContracts = (pkg: { releases: { awards?: { id: string }[]; contracts?: { awardID: string; implementation: { transactions: unknown[] } }[] }[] }) => ({
    ...pkg,
    releases: pkg.releases.map(({ contracts, ...release }) => {
      if (contracts !== undefined) {
        expect(contracts.map((c) => c.awardID).sort()).toEqual((release.awards ?? []).map((a) => a.id).sort());
        for (const c of contracts) expect(c.implementation.transactions).toEqual([]);
      }
      return release;
    }),
  });

  it.each(Object.keys(fixture.rounds))('answers every read of the %s round as before', async (state) => {
    const id = fixture.rounds[state];
    for (const [name, path, who] of reads) {
      const res = await app.inject({ method: 'GET', url: path(id), headers: reader(who) });
      const body = name === 'ocds' ? withoutContracts(JSON.parse(res.body)) : JSON.parse(res.body);
      expect({ read: name, status: res.statusCode, body }).toEqual({ read: name, ...since(name, fixture.expected[state][name]) });
    }
  });

  it('gives every demand line its hospital\'s city (migration 0010), which award groups by', async () => {
    const [c] = await db.query<{ lines: number; wrong: number }>(
      `SELECT count(*)::int AS lines, count(*) FILTER (WHERE d.city IS DISTINCT FROM h.city)::int AS wrong
         FROM demand d JOIN organizations h ON h.no = d.hospital_no`);
    expect(c.lines).toBeGreaterThan(0);
    expect(c.wrong).toBe(0);
  });

  it('keeps integer numbers in id order and the identities counting on from them', async () => {
    const orgs = await db.query<{ id: string; no: number }>('SELECT id, no FROM organizations ORDER BY no');
    expect(orgs.map((o) => o.id)).toEqual([...orgs.map((o) => o.id)].sort());
    const res = await app.inject({ method: 'POST', url: '/v1/organizations', headers: reader('operator'),
      payload: { kind: 'hospital', name: 'after migration', regionCode: '440106' } });
    expect(res.statusCode).toBe(201);
    const [fresh] = await db.query<{ no: number }>('SELECT no FROM organizations WHERE id = $1', [JSON.parse(res.body).id]);
    expect(fresh.no).toBe(orgs.length + 1);
  });
});
