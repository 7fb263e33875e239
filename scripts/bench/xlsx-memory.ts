/**
 * Why the xlsx writer is exceljs's streaming WorkbookWriter without shared
 * strings: peak RSS of each way of writing the same sheet (rows like the
 * national Hospitals and Alerts sheets: ids, a Chinese name, numbers with
 * formats), each variant in a process of its own.
 *   npx tsx scripts/bench/xlsx-memory.ts [rows]   (default 300,000)
 */
import { spawnSync } from 'node:child_process';
import { PassThrough, Writable } from 'node:stream';
import ExcelJS from 'exceljs';

const VARIANTS = ['workbook-in-memory', 'stream-shared-strings', 'stream-inline-strings'] as const;
type Variant = (typeof VARIANTS)[number];

/** A sink that takes its time like the chunk rows do (a write every 256 KiB acknowledged on the next turn). */
const sink = () => new Writable({ highWaterMark: 256 * 1024, write(_c, _e, cb) { setImmediate(cb); } });

async function child(variant: Variant, rows: number) {
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  const started = Date.now();
  const row = (i: number) => [`org_${String(i).padStart(12, '0')}abcdef`, `医院${i}`, `${440100 + (i % 99)}`, 60, 100 + (i % 9900), 50 + (i % 4950), (i % 10000) / 7];
  const fmt = (r: ExcelJS.Row) => { r.getCell(5).numFmt = '#,##0'; r.getCell(6).numFmt = '#,##0'; r.getCell(7).numFmt = '#,##0.0000'; };
  if (variant === 'workbook-in-memory') {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Hospitals');
    for (let i = 0; i < rows; i++) fmt(ws.addRow(row(i)));
    const out = new PassThrough();
    out.resume();
    await wb.xlsx.write(out);
  } else {
    const out = sink();
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: variant === 'stream-shared-strings' });
    const ws = wb.addWorksheet('Hospitals');
    for (let i = 0; i < rows; i++) {
      const r = ws.addRow(row(i));
      fmt(r);
      r.commit();
      if (i % 1000 === 999 && out.writableNeedDrain) await new Promise((res) => out.once('drain', res));
    }
    ws.commit();
    await wb.commit();
  }
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(JSON.stringify({ variant, rows, ms: Date.now() - started, peakMiB: Math.round(peak / 2 ** 20) }));
}

const [, , a, b] = process.argv;
if (a && VARIANTS.includes(a as Variant)) {
  await child(a as Variant, Number(b));
} else {
  const rows = Number(a ?? 300_000);
  console.log('| variant | rows | time | peak RSS |\n|---|---|---|---|');
  for (const v of VARIANTS) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench/xlsx-memory.ts', v, String(rows)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      const m = JSON.parse(line);
      console.log(`| ${v} | ${rows.toLocaleString('en')} | ${(m.ms / 1000).toFixed(1)} s | ${m.peakMiB} MiB |`);
    } catch {
      console.log(`| ${v} | ${rows.toLocaleString('en')} | failed | ${(r.stderr.split('\n').find((l) => /heap|memory/i.test(l)) ?? 'exit ' + r.status).trim()} |`);
    }
  }
}
