import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createDb } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { buildDist } from '../scripts/build.mjs';
import { BUILT_DIR } from './built.js';

export const TEMPLATE = `jicai_tpl_${process.pid}`;
/**
 * Test databases are named jicai_t<pid of the run>_<random>: a run drops its own and those of runs that are no
 * longer alive, never another live run's (an idle database of a live run may be one a worker has just cloned
 * and not yet connected to; dropping it failed that file with a 500).
 */
export const RUN_PREFIX = `jicai_t${process.pid}_`;
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/**
 * With DATABASE_URL: one migrated template database; each test file clones it (CREATE DATABASE … TEMPLATE);
 * the one PGlite smoke suite migrates its own in-memory database.
 * Without: one migrated PGlite data directory; each test app opens a copy of it, so no file pays for the
 * migrations again (copying 40 MB is a fraction of migrating, and the embedded mode is on disk too).
 */
export default async function setup({ provide }: { provide: (k: string, v: string) => void }) {
  // The process tests run the built entry points (test/built.ts).
  await buildDist({ outdir: BUILT_DIR });
  const url = process.env.DATABASE_URL;
  if (!url) {
    const root = mkdtempSync(join(tmpdir(), 'jicai-pglite-tpl-'));
    const lite = await createDb({ databaseUrl: null, dataDir: join(root, 'data') });
    await runMigrations(lite);
    await lite.close();
    provide('pgliteTemplate', join(root, 'data'));
    return () => rmSync(root, { recursive: true, force: true });
  }
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
  await admin.unsafe(`CREATE DATABASE ${TEMPLATE}`);
  const u = new URL(url);
  u.pathname = `/${TEMPLATE}`;
  const db = await createDb({ databaseUrl: u.toString(), max: 2 }); // runMigrations holds one connection for its lock
  await runMigrations(db);
  await db.close();
  provide('template', TEMPLATE);
  provide('testDbPrefix', RUN_PREFIX);
  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`).catch(() => {});
    const dbs = await admin.unsafe<{ datname: string }[]>(`SELECT datname FROM pg_database WHERE datname ~ '^jicai_t[0-9]+_'`);
    for (const { datname } of dbs) {
      const pid = Number(/^jicai_t([0-9]+)_/.exec(datname)![1]);
      if (pid === process.pid || !alive(pid)) await admin.unsafe(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
    }
    await admin.end();
  };
}
