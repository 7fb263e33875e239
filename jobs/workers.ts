/**
 * Production: BullMQ workers, one per job kind, each running the outbox job
 * its BullMQ job names. Retries follow the outbox row's attempts (the same
 * count in both modes): a retry throws so BullMQ backs off, the last failure
 * is unrecoverable. A worker killed mid-job leaves its job active until
 * BullMQ's stall check hands it to another worker; the row's version check
 * and the processors' idempotence make the second run harmless.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { eq } from 'drizzle-orm';
import type { AppContext } from '../src/context.js';
import { outbox } from '../src/db/schema.js';
import { execute } from './execute.js';
import type { Processors } from './processors/types.js';

export interface Workers { workers: Worker[]; close(): Promise<void> }

export function startWorkers(ctx: AppContext, processors: Processors, o: { prefix: string; connection: Redis }): Workers {
  const workers = Object.entries(processors).map(([kind, p]) => new Worker(kind, async (job) => {
    const { outboxId, version } = job.data as { outboxId: number; version: number };
    const outcome = await execute(ctx, processors, outboxId, version);
    if (outcome === 'retry' || outcome === 'failed') {
      const [row] = await ctx.db.orm.select({ lastError: outbox.lastError }).from(outbox).where(eq(outbox.id, outboxId));
      const msg = row?.lastError ?? 'job failed';
      throw outcome === 'failed' ? new UnrecoverableError(msg) : new Error(msg);
    }
    return outcome;
  }, {
    connection: o.connection, prefix: o.prefix, concurrency: p.concurrency ?? 1,
    // A job whose worker died is handed on after 30 s without a lock renewal, twice at most.
    lockDuration: 30_000, stalledInterval: 15_000, maxStalledCount: 2,
  }));
  for (const w of workers) w.on('error', () => {});
  return {
    workers,
    // close() lets active jobs finish (BullMQ waits for them) and takes no new ones. Without Redis no job can finish (nor
    // would a graceful close ever return): close at once, and BullMQ hands any active job on once Redis is back.
    async close() { await Promise.all(workers.map((w) => w.close(o.connection.status !== 'ready'))); },
  };
}
