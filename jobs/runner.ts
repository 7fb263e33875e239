/**
 * Embedded mode (no Redis): the processors run in this process from the
 * outbox. A pass runs every due row, one at a time; a timer wakes the runner
 * for the next due row (at most a minute away, so rows written by another
 * process are found too), and `kick()` right after a commit.
 */
import { and, asc, eq, lte, min } from 'drizzle-orm';
import type { AppContext } from '../src/context.js';
import { outbox } from '../src/db/schema.js';
import type { Jobs } from '../src/http/health.js';
import { backoffMs, execute } from './execute.js';
import type { Processors } from './processors/types.js';

const MAX_SLEEP_MS = 60_000;

export class Runner implements Jobs {
  readonly kind = 'in-process' as const;
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private ctx: AppContext | null = null;

  constructor(private readonly processors: Processors, private readonly opts: { timers?: boolean } = {}) {}

  /** Starts running jobs for `ctx` (its database and clock); rows left `running` by a crash are pending again. */
  async start(ctx: AppContext): Promise<void> {
    this.ctx = ctx;
    await ctx.db.orm.update(outbox).set({ state: 'pending' }).where(eq(outbox.state, 'running'));
    this.kick();
  }

  async ping(): Promise<void> {}

  kick(): void {
    if (this.closed || !this.ctx) return;
    if (this.pass) { this.again = true; return; }
    // A pass that fails (the database gone for a moment) is tried again at the next timer or kick.
    this.pass = this.loop().catch(() => {}).finally(() => {
      this.pass = null;
      if (this.again) { this.again = false; this.kick(); } else void this.arm();
    });
  }

  /** Runs every job due on the context's clock, until none is left (after a pass in progress); tests call it after moving the clock. */
  async runDue(): Promise<void> {
    await this.idle();
    const pass = this.loop();
    this.pass = pass.catch(() => {});
    try { await pass; } finally { if (this.pass !== null) this.pass = null; }
  }

  /** One pass at a time: two passes would both claim the same row. */
  private async loop(): Promise<void> {
    const ctx = this.ctx!;
    for (;;) {
      const due = await ctx.db.orm.select({ id: outbox.id, version: outbox.version }).from(outbox)
        .where(and(eq(outbox.state, 'pending'), lte(outbox.runAt, ctx.clock.now()))).orderBy(asc(outbox.runAt), asc(outbox.id)).limit(20);
      if (!due.length || this.closed) return;
      for (const job of due) {
        if (this.closed) return;
        await execute(ctx, this.processors, job.id, job.version, { resume: false, retryAt: (attempt) => new Date(ctx.clock.now().getTime() + backoffMs(ctx.config.jobBackoffMs, attempt)) });
      }
    }
  }

  /** Waits for the running pass (a test or a shutdown). */
  async idle(): Promise<void> {
    while (this.pass) await this.pass;
  }

  private async arm(): Promise<void> {
    if (this.closed || !this.ctx || this.opts.timers === false) return;
    if (this.timer) clearTimeout(this.timer);
    const [{ next }] = await this.ctx.db.orm.select({ next: min(outbox.runAt) }).from(outbox).where(eq(outbox.state, 'pending'));
    const wait = next ? Math.max(0, Math.min(MAX_SLEEP_MS, next.getTime() - this.ctx.clock.now().getTime())) : MAX_SLEEP_MS;
    this.timer = setTimeout(() => this.kick(), wait);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle();
  }
}
