/**
 * Writing jobs: a service adds an outbox row inside its own transaction
 * (ENGINEERING.md "Two modes"), then asks the process's job side to look
 * (`ctx.jobs.kick()`, after commit). Reading a job's outcome is waiting on its row.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { outbox, type OutboxState } from '../db/schema.js';

export type OutboxRow = typeof outbox.$inferSelect;

/** Adds a job to run now (or at `runAt`); returns its id. */
export async function enqueue(tx: Queryable, kind: string, payload: Record<string, unknown>, now: Date, runAt: Date = now): Promise<number> {
  const [row] = await tx.orm.insert(outbox).values({ kind, payload, runAt, createdAt: now }).returning({ id: outbox.id });
  return row.id;
}

/**
 * The one job named `key` runs at `runAt`: added if new, else moved (a new
 * version, so a copy already queued for the old time does nothing) and made
 * pending again unless it already ran.
 */
export async function schedule(tx: Queryable, key: string, kind: string, payload: Record<string, unknown>, runAt: Date, now: Date): Promise<void> {
  await tx.orm.insert(outbox).values({ kind, key, payload, runAt, createdAt: now })
    .onConflictDoUpdate({
      target: outbox.key,
      set: { runAt, payload, version: sql`${outbox.version} + 1`, state: 'pending', attempts: 0, lastError: null },
      setWhere: sql`${outbox.state} IN ('pending', 'cancelled', 'failed')`,
    });
}

/** Withdraws the job named `key` if it has not run (a new version: a copy already queued does nothing). */
export async function unschedule(tx: Queryable, key: string): Promise<void> {
  await tx.orm.update(outbox).set({ state: 'cancelled', version: sql`${outbox.version} + 1` })
    .where(and(eq(outbox.key, key), eq(outbox.state, 'pending')));
}

const FINAL: readonly OutboxState[] = ['done', 'failed', 'cancelled'];

/**
 * Waits until a job has finished (done, failed or cancelled); null when `timeoutMs` passes first. An
 * official waits on it (POST /open): a primary-key read every 25 ms costs nothing beside the opening,
 * where pauses growing to 200 ms answered up to 200 ms after the job had finished (190 ms of a 0.69 s
 * national opening).
 */
export async function waitForJob(db: Queryable, id: number, timeoutMs: number): Promise<OutboxRow | null> {
  const until = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 25)) {
    const [row] = await db.orm.select().from(outbox).where(eq(outbox.id, id));
    if (row && FINAL.includes(row.state)) return row;
    if (Date.now() + pause > until) return null;
    await new Promise((r) => setTimeout(r, pause));
  }
}
