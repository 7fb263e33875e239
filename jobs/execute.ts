/**
 * One attempt at one outbox job, the same in both modes: claim the row (its
 * version must still be the one queued, so a rescheduled or cancelled job
 * does nothing), run the processor, record the outcome on the row.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { AppContext } from '../src/context.js';
import { outbox } from '../src/db/schema.js';
import { RETRY, type Processors } from './processors/types.js';

export type Outcome = 'done' | 'stale' | 'retry' | 'failed';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 2000);

/**
 * `resume`: a row already `running` may be claimed (BullMQ hands a stalled job, whose worker died, to another).
 * The embedded runner claims pending rows only, one pass at a time, and resets `running` rows when it starts.
 */
export async function execute(
  ctx: AppContext, processors: Processors, id: number, version: number, opts: { retryAt?: (attempt: number) => Date; resume?: boolean } = {},
): Promise<Outcome> {
  const db = ctx.db;
  const [row] = await db.orm.update(outbox).set({ state: 'running', attempts: sql`${outbox.attempts} + 1` })
    .where(and(eq(outbox.id, id), eq(outbox.version, version), inArray(outbox.state, opts.resume === false ? ['pending'] : ['pending', 'running'])))
    .returning();
  if (!row) return 'stale';
  const processor = processors[row.kind];
  const finalAttempt = row.attempts >= RETRY.attempts || !processor;
  try {
    if (!processor) throw new Error(`no processor for jobs of kind ${row.kind}`);
    const result = await processor.run(ctx, row.payload, { outboxId: id, attempt: row.attempts, finalAttempt });
    await db.orm.update(outbox).set({ state: 'done', result: result ?? null, finishedAt: ctx.clock.now(), lastError: null })
      .where(and(eq(outbox.id, id), eq(outbox.version, version)));
    return 'done';
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    if (!finalAttempt) {
      await db.orm.update(outbox).set({ state: 'pending', lastError: message(error), ...(opts.retryAt ? { runAt: opts.retryAt(row.attempts) } : {}) })
        .where(and(eq(outbox.id, id), eq(outbox.version, version)));
      return 'retry';
    }
    // The failure is recorded where users see it first, then the row ends: whoever waits on the row finds both.
    try {
      await processor?.failed?.(ctx, row.payload, error);
    } finally {
      await db.orm.update(outbox).set({ state: 'failed', lastError: message(error), finishedAt: ctx.clock.now() })
        .where(and(eq(outbox.id, id), eq(outbox.version, version)));
    }
    return 'failed';
  }
}

/** The delay before retry `attempt` + 1: base, 2 × base, 4 × base, … (BullMQ's exponential backoff with the same base). */
export const backoffMs = (base: number, attempt: number) => base * 2 ** (attempt - 1);
