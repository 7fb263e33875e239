import { fileURLToPath } from 'node:url';
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzleLite } from 'drizzle-orm/pglite';
import { migrate as migrateLite } from 'drizzle-orm/pglite/migrator';
import { ormOver, type Db } from './client.js';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Applies the drizzle-kit migrations; the same SQL in both modes. */
export async function runMigrations(db: Db, folder = migrationsFolder): Promise<void> {
  const d = db.driver;
  if (d.kind === 'postgres') {
    // Several API instances may start at once: one migrates, the others wait.
    const lock = await d.sql.reserve();
    try {
      await lock.unsafe('SELECT pg_advisory_lock(727274)');
      await migratePg(ormOver(d.sql) as Parameters<typeof migratePg>[0], { migrationsFolder: folder });
    } finally {
      await lock.unsafe('SELECT pg_advisory_unlock(727274)').catch(() => {});
      lock.release();
    }
  } else {
    await migrateLite(drizzleLite(d.pg), { migrationsFolder: folder });
  }
}
