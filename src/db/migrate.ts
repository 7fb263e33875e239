import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js';
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzleLite } from 'drizzle-orm/pglite';
import { migrate as migrateLite } from 'drizzle-orm/pglite/migrator';
import type { Db } from './client.js';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Applies the drizzle-kit migrations; the same SQL in both modes. */
export async function runMigrations(db: Db): Promise<void> {
  if (db.kind === 'postgres') {
    const sql = (db as any).sql;
    // Several API instances may start at once: one migrates, the others wait.
    const lock = await sql.reserve();
    try {
      await lock.unsafe('SELECT pg_advisory_lock(727274)');
      await migratePg(drizzlePg(sql), { migrationsFolder });
    } finally {
      await lock.unsafe('SELECT pg_advisory_unlock(727274)').catch(() => {});
      lock.release();
    }
  } else {
    await migrateLite(drizzleLite((db as any).pg), { migrationsFolder });
  }
}
