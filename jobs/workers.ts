/**
 * Production: BullMQ workers, one per job kind, each running the outbox job
 * its BullMQ job names. Retries follow the outbox row's attempts (the same
 * count in both modes): a retry throws so BullMQ backs off, the last failure
 * is unrecoverable. A worker killed mid-job leaves its job active until
 * BullMQ's stall check hands it to another worker; the row's version check
 * and the processors' idempotence make the second run harmless.
 */
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { eq } from 'drizzle-orm';
import type { AppContext } from '../src/context.js';
import { outbox } from '../src/db/schema.js';
import { execute } from './execute.js';
import type { Processors } from './processors/types.js';

export interface Workers { workers: Worker[]; close(force?: boolean): Promise<void> }

export function startWorkers(ctx: AppContext, processors: Processors, o: { prefix: string; connection: ConnectionOptions; lockMs?: number }): Workers {
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
    // Stored on each job as processedBy (bull-board shows it): which process ran it.
    name: `${hostname()}:${process.pid}`,
    // A job whose worker died is handed on after lockMs (30 s) without a lock renewal, twice at most.
    lockDuration: o.lockMs ?? 30_000, stalledInterval: Math.max(500, Math.round((o.lockMs ?? 30_000) / 2)), maxStalledCount: 2,
  }));
  for (const w of workers) w.on('error', () => {});
  return {
    workers,
    // close() lets active jobs finish (BullMQ waits for them) and takes no new ones; force: without waiting.
    async close(force = false) { await Promise.all(workers.map((w) => w.close(force))); },
  };
}
