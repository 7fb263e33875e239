/**
 * The `report` job: writes one report's file (src/reports/generate.ts) into
 * report_chunks under a generation of its own, then in one statement makes
 * that generation the report's file, unless another run finished first. A
 * job run twice (a relay that added it twice, a stalled worker's job handed
 * on) therefore stores one file; the losing run removes its chunks. Progress
 * is written to the report as it goes: queued → running (progress) → done,
 * or failed with the error once the last attempt failed.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { AppContext } from '../../src/context.js';
import { reports } from '../../src/db/schema.js';
import { generate } from '../../src/reports/generate.js';
import { ChunkSink } from '../../src/reports/store.js';
import type { Processor } from './types.js';

const reportIdOf = (payload: Record<string, unknown>) => String(payload.reportId);

/** Progress is written when it moves on by 5 points or after a second, not on every batch. */
function progressWriter(ctx: AppContext, id: string) {
  let last = 0;
  let at = Date.now();
  return async (percent: number) => {
    const p = Math.max(1, Math.min(99, Math.round(percent)));
    if (p <= last || (p - last < 5 && Date.now() - at < 1000)) return;
    last = p;
    at = Date.now();
    await ctx.db.query(`UPDATE reports SET progress = $2 WHERE id = $1 AND status = 'running' AND progress < $2`, [id, p]);
  };
}

export const reportProcessor: Processor = {
  // Reports stream from the database and write back to it; two at a time per worker keeps its memory flat.
  concurrency: 2,
  async run(ctx, payload, run) {
    const id = reportIdOf(payload);
    const [report] = await ctx.db.query<{ id: string }>(
      `UPDATE reports SET status = 'running', progress = 1, started_at = coalesce(started_at, $2), error = NULL
        WHERE id = $1 AND status <> 'done' RETURNING id`, [id, ctx.clock.now()]);
    if (!report) return { reportId: id, file: 'already written' };
    const [row] = await ctx.db.orm.select().from(reports).where(eq(reports.id, id));
    const generation = randomUUID();
    const sink = new ChunkSink(ctx.db, id, generation);
    try {
      await generate(ctx, row, sink, progressWriter(ctx, id));
      const won = await ctx.db.transaction(async (tx) => {
        const [done] = await tx.query<{ id: string }>(
          `UPDATE reports SET status = 'done', progress = 100, generation = $2, size = $3, finished_at = $4, error = NULL
            WHERE id = $1 AND status <> 'done' RETURNING id`, [id, generation, sink.bytes, ctx.clock.now()]);
        // The file is the winning generation; chunks of runs that died or lost go.
        await tx.query('DELETE FROM report_chunks WHERE report_id = $1 AND generation <> (SELECT generation FROM reports WHERE id = $1)', [id]);
        return done !== undefined;
      });
      return { reportId: id, bytes: sink.bytes, file: won ? 'written' : 'already written' };
    } catch (e) {
      sink.destroy();
      await ctx.db.query('DELETE FROM report_chunks WHERE report_id = $1 AND generation = $2', [id, generation]);
      // A retry follows: the report waits again (the error shows once the last attempt failed).
      if (!run.finalAttempt) await ctx.db.query(`UPDATE reports SET status = 'queued', progress = 0 WHERE id = $1 AND status = 'running'`, [id]);
      throw e;
    }
  },
  async failed(ctx, payload, error) {
    await ctx.db.query(`UPDATE reports SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1 AND status <> 'done'`,
      [reportIdOf(payload), error.message.slice(0, 2000), ctx.clock.now()]);
  },
};
