import postgres from 'postgres';
import { createDb } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';

export const TEMPLATE = `jicai_tpl_${process.pid}`;

/** With DATABASE_URL: one migrated template database; each test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function setup({ provide }: { provide: (k: string, v: string) => void }) {
  const url = process.env.DATABASE_URL;
  if (!url) return;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
  await admin.unsafe(`CREATE DATABASE ${TEMPLATE}`);
  const u = new URL(url);
  u.pathname = `/${TEMPLATE}`;
  const db = await createDb({ databaseUrl: u.toString(), max: 2 }); // runMigrations holds one connection for its lock
  await runMigrations(db);
  await db.close();
  provide('template', TEMPLATE);
  return async () => {
    // Only our own template by force; leftover test databases only when idle, so runs in parallel keep theirs
    // ('_' is a LIKE wildcard: unescaped, 'jicai_t_%' also matched other runs' jicai_tpl_* templates).
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`).catch(() => {});
    const dbs = await admin.unsafe<{ datname: string }[]>(`SELECT datname FROM pg_database WHERE datname LIKE 'jicai\\_t\\_%'`);
    for (const d of dbs) await admin.unsafe(`DROP DATABASE IF EXISTS ${d.datname}`).catch(() => {});
    await admin.end();
  };
}
