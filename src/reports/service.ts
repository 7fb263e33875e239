/**
 * Report requests and reads. A request writes the report and its job (an
 * outbox row) in one transaction (ENGINEERING.md "Two modes"), so a report
 * asked for is never lost between the database and the queue; the job
 * (jobs/processors/report.ts) writes the file. Only the requesting
 * organization and the operator see a report; anyone else gets 404.
 */
import type { Readable } from 'node:stream';
import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import type { AppContext, Principal } from '../context.js';
import { reports } from '../db/schema.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { invalidState, notFound } from '../http/problem.js';
import { newId } from '../ids.js';
import { enqueue } from '../outbox/service.js';
import { guardMonitoring, guardResults } from '../rounds/lifecycle.js';
import { periodAt, periodText } from '../rules/monitoring.js';
import { phaseOf, visibleRound } from '../rounds/service.js';
import { CONTENT_TYPES, REPORT_JOB, type ReportFormat, type ReportRow } from './model.js';
import type { Report, ReportInput } from './schemas.js';
import { readChunks } from './store.js';

export const toReport = (r: ReportRow): Report => ({
  id: r.id, roundId: r.roundId, kind: r.kind, format: r.format, asOf: r.asOf, status: r.status, progress: r.progress,
  ...(r.status === 'failed' ? { error: r.error ?? 'the report failed' } : {}),
  createdAt: r.createdAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null,
});

export async function requestReport(ctx: AppContext, p: Principal, roundId: string, input: ReportInput): Promise<Report> {
  const row = await ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId);
    const now = ctx.clock.now();
    let asOf = input.asOf ?? null;
    if (input.kind === 'round_summary') guardResults(phaseOf(r));
    else {
      guardMonitoring(phaseOf(r));
      // The month is fixed when the report is asked for (as GET /monitoring would answer now), not when the job runs.
      asOf ??= periodText(periodAt(now));
    }
    const id = newId('rep');
    const [created] = await tx.orm.insert(reports).values({
      id, roundId, requesterId: p.orgId, kind: input.kind, format: input.format, asOf, createdAt: now,
    }).returning();
    await enqueue(tx, REPORT_JOB, { reportId: id }, now);
    return created;
  });
  ctx.jobs.kick();
  return toReport(row);
}

/** The report if the caller may see it (its organization asked, or the operator), else 404. */
export async function visibleReport(ctx: AppContext, p: Principal, id: string): Promise<ReportRow> {
  const [row] = await ctx.db.orm.select().from(reports).where(eq(reports.id, id));
  if (!row || (p.role !== 'operator' && row.requesterId !== p.orgId)) throw notFound('Report');
  return row;
}

export async function listReports(ctx: AppContext, p: Principal, q: { roundId?: string; limit?: number; cursor?: string }) {
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 2);
  const where: (SQL | undefined)[] = [];
  if (p.role !== 'operator') where.push(eq(reports.requesterId, p.orgId!));
  if (q.roundId) where.push(eq(reports.roundId, q.roundId));
  if (after) {
    const at = new Date(String(after[0]));
    where.push(or(lt(reports.createdAt, at), and(eq(reports.createdAt, at), lt(reports.id, String(after[1])))));
  }
  const rows = await ctx.db.orm.select().from(reports).where(and(...where))
    .orderBy(desc(reports.createdAt), desc(reports.id)).limit(limit + 1);
  return toPage(rows, limit, (r) => [r.createdAt.toISOString(), r.id], toReport);
}

export interface ReportFile { contentType: string; filename: string; size: number | null; body: Readable }

/** The document of a finished report, streamed from its chunks; 409 until it is done. */
export async function reportFile(ctx: AppContext, p: Principal, id: string): Promise<ReportFile> {
  const row = await visibleReport(ctx, p, id);
  if (row.status !== 'done' || !row.generation) {
    throw invalidState(row.status === 'failed' ? `The report failed: ${row.error ?? 'unknown error'}` : `The report is ${row.status}; its file exists once it is done`);
  }
  const format = row.format as ReportFormat;
  return {
    contentType: CONTENT_TYPES[format], filename: `${row.kind}-${row.roundId}-${row.id}.${format}`, size: row.size,
    body: readChunks(ctx.db, row.id, row.generation),
  };
}
