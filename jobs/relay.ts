/**
 * Production: moves outbox rows to BullMQ. Each row becomes the job
 * `<id>-v<version>` (BullMQ keeps one job per id, so a row relayed twice is
 * one job), delayed until its `run_at`; a row whose version moved on (a
 * reschedule, a cancel) has its older copy removed. A row counts as relayed
 * only once Redis took it, so nothing is lost while Redis is down: the relay
 * tries again at its next poll. Any process may run it (API instances for
 * low latency after their own commits, workers as the steady poller).
 */
import { asc, sql } from 'drizzle-orm';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AppContext } from '../src/context.js';
import { outbox } from '../src/db/schema.js';
import type { Jobs } from '../src/http/health.js';
import { jobIdOf } from './queues.js';

const POLL_MS = 1000;
const BATCH = 500;

export class Relay implements Jobs {
  readonly kind = 'redis' as const;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private closed = false;
  private ctx: AppContext | null = null;

  /** Redis came back after a loss of connection: what it held may be gone (a restart without persistence). */
  private reconnected = false;
  private lost = false;

  constructor(private readonly queues: Map<string, Queue>, private readonly redis: Redis, private readonly pollMs = POLL_MS) {
    redis.on('close', () => { this.lost = true; });
    redis.on('ready', () => {
      if (!this.lost) return;
      this.lost = false;
      this.reconnected = true;
      this.kick();
    });
  }

  start(ctx: AppContext): void {
    this.ctx = ctx;
    this.kick();
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
  }

  async ping(): Promise<void> {
    const pong = await Promise.race([
      this.redis.ping(),
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('redis timeout')), 1000)),
    ]);
    if (pong !== 'PONG') throw new Error('redis did not answer PONG');
  }

  kick(): void {
    if (this.closed || !this.ctx) return;
    if (this.running) { this.again = true; return; }
    this.running = this.relay().catch(() => 0).finally(() => {
      this.running = null;
      if (this.again) { this.again = false; this.kick(); }
    });
  }

  /** One pass: relays what is waiting (in batches); returns how many rows it relayed. Redis down: throws, rows stay. */
  async relay(): Promise<number> {
    const ctx = this.ctx!;
    let n = 0;
    if (this.reconnected) {
      // Relay every unfinished row again: a job Redis still has is not added twice (same job id), one it lost is.
      await ctx.db.query(`UPDATE outbox SET relayed_version = NULL WHERE state IN ('pending', 'running') AND relayed_version IS NOT NULL`);
      this.reconnected = false;
    }
    for (;;) {
      const rows = await ctx.db.orm.select({
        id: outbox.id, kind: outbox.kind, version: outbox.version, relayedVersion: outbox.relayedVersion, state: outbox.state, runAt: outbox.runAt,
      }).from(outbox).where(sql`${outbox.relayedVersion} IS DISTINCT FROM ${outbox.version}`).orderBy(asc(outbox.id)).limit(BATCH);
      for (const r of rows) {
        const queue = this.queues.get(r.kind);
        // A kind this process has no queue for waits for a process that has one.
        if (!queue) continue;
        {
          // The older copy of a rescheduled or cancelled job; an active one cannot be removed and will find itself stale.
          if (r.relayedVersion !== null) await queue.remove(jobIdOf(r.id, r.relayedVersion)).catch(() => 0);
          if (r.state === 'pending' || r.state === 'running') {
            const delay = Math.max(0, r.runAt.getTime() - ctx.clock.now().getTime());
            await queue.add(r.kind, { outboxId: r.id, version: r.version }, { jobId: jobIdOf(r.id, r.version), delay });
          }
        }
        await ctx.db.query('UPDATE outbox SET relayed_version = $2 WHERE id = $1 AND version = $2', [r.id, r.version]);
        n++;
      }
      if (rows.length < BATCH) return n;
    }
  }

  /** Waits for a running pass (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }
}
