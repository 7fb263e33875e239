/**
 * Writes a report's document in its format into a stream (the chunk sink):
 * json is the document object, csv the kind's one table, xlsx a sheet per
 * section, html the charts and the same tables. Progress is reported as it goes.
 */
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { AppContext } from '../context.js';
import { D } from '../rules/decimal.js';
import { loadRound } from '../rounds/service.js';
import { writeCsv } from './formats/csv.js';
import { writeHtml } from './formats/html.js';
import { barChart, pairedChart } from './formats/svg.js';
import { writeXlsx } from './formats/xlsx.js';
import { roundSummary, summaryCsvSheet, summarySheets } from './round-summary.js';
import { agreementSheet, monitoringDocument, monitoringSheets } from './monitoring.js';
import { monthlyUsage, prepareMonitoring } from '../monitoring/service.js';
import { FORMATS, type ReportFormat, type ReportRow } from './model.js';

export type Progress = (percent: number) => Promise<void>;

export async function generate(ctx: AppContext, report: ReportRow, out: Writable, progress: Progress): Promise<void> {
  const format = report.format as ReportFormat;
  if (!FORMATS.includes(format)) throw new Error(`report format "${report.format}" is not one of ${FORMATS.join(', ')}`);
  const r = await loadRound(ctx.db, report.roundId);
  if (!r) throw new Error(`round ${report.roundId} of report ${report.id} does not exist`);
  if (report.kind === 'round_summary') {
    const s = await roundSummary(ctx.db, r);
    await progress(20);
    // Sections come in this order; progress moves on per section (the Hospitals sheet is the large one).
    const steps: Record<string, number> = { Summary: 25, Items: 30, Winners: 35, Regions: 45, Hospitals: 95 };
    const onBatch = async (sheet: string) => { await progress(steps[sheet] ?? 50); };
    if (format === 'json') {
      out.write(JSON.stringify(s));
    } else if (format === 'csv') {
      await writeCsv(out, summaryCsvSheet(s));
    } else if (format === 'xlsx') {
      await writeXlsx(out, await summarySheets(ctx.db, r, s), { onBatch, at: report.createdAt });
      return;
    } else {
      const title = `集采结果报告 · ${r.name}`;
      await writeHtml(out, {
        title,
        meta: [`Round summary ${r.id} · 状态 ${r.state} · 品种 ${s.round.items} · 中选品种 ${s.round.awardedItems} · 平均降幅 ${pct(s.round.averageDrop)} · 加权降幅 ${pct(s.round.weightedDrop)}`],
        charts: [barChart({
          id: 'chart-price-drop', title: '各品种降价幅度 (priceDrop)', max: 1,
          bars: s.items.map((i) => ({ label: i.itemCode, value: i.priceDrop === null ? null : Number(i.priceDrop), text: pct(i.priceDrop) })),
        })],
        sheets: await summarySheets(ctx.db, r, s),
      }, onBatch);
    }
    out.end();
    await finished(out);
    return;
  }
  if (report.kind === 'monitoring') {
    if (!report.asOf) throw new Error(`monitoring report ${report.id} has no asOf`);
    const asOf = report.asOf;
    if (format === 'csv') {
      // One line per agreement (3,000,000 nationally), batch by batch; progress by the agreements written.
      // The count from the agreed totals the monitoring module keeps (not a scan of the agreements).
      await prepareMonitoring(ctx.db, r);
      const [{ n }] = await ctx.db.query<{ n: number }>('SELECT coalesce(sum(agreements), 0)::int AS n FROM monitoring_agreed WHERE round_no = $1', [r.no]);
      await progress(5);
      await writeCsv(out, agreementSheet(ctx.db, r, asOf), async (done) => { await progress(5 + (90 * done) / Math.max(1, n)); });
    } else {
      const d = await monitoringDocument(ctx.db, r, asOf);
      await progress(30);
      const steps: Record<string, number> = { Items: 40, Regions: 45, Manufacturers: 50, Hospitals: 70, Alerts: 95 };
      const onBatch = async (sheet: string) => { await progress(steps[sheet] ?? 60); };
      if (format === 'json') out.write(JSON.stringify(d));
      else if (format === 'xlsx') {
        await writeXlsx(out, await monitoringSheets(ctx.db, r, d, { alerts: true }), { onBatch, at: report.createdAt });
        return;
      } else {
        const months = await monthlyUsage(ctx.db, r, asOf);
        await writeHtml(out, {
          title: `集采执行监测报告 · ${r.name}`,
          meta: [`Monitoring ${r.id} · 截至 ${d.asOf} · 已执行 ${d.monthsElapsed} / ${r.contractMonths} 个月 · 预警 ${Object.entries(d.alertCounts).map(([t, c]) => `${t} ${c}`).join(', ')}`],
          charts: [
            barChart({
              id: 'chart-completion', title: '各品种约定采购量完成率 (completion)',
              max: Math.max(1, ...d.byItem.map((i) => Number(i.completion ?? 0))),
              bars: d.byItem.map((i) => ({ label: i.key, value: i.completion === null ? null : Number(i.completion), text: pct(i.completion) })),
            }),
            pairedChart({
              id: 'chart-monthly', title: '每月累计使用量与应完成量 (used / expected)', legend: ['累计使用量 used', '应完成量 expected'],
              pairs: months.map((m) => ({ label: m.period, a: m.cumulativeUsed, b: Number(m.expected) })),
            }),
          ],
          sheets: await monitoringSheets(ctx.db, r, d, { alerts: false }),
        }, onBatch);
      }
    }
    out.end();
    await finished(out);
    return;
  }
  throw new Error(`report kind "${report.kind}" is not one this server makes`);
}

/** 0.3500 → "35.00%" (the figure itself stays the 4-place ratio in the tables). */
export const pct = (ratio: string | null) => (ratio === null ? '—' : `${new D(ratio).times(100).toFixed(2)}%`);
