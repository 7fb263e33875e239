/**
 * Reports at national scale (issue #13): the round_summary xlsx of the
 * awarded national round (60 items, 50,000 hospitals: the Hospitals sheet is
 * the large one) and the monitoring csv (one line per agreement, 3,000,000),
 * each made by a real worker process (`node dist/jobs/main.js`, as
 * `npm run worker`), timed from the request to done, with the worker's peak
 * RSS sampled from /proc; then each file downloaded through the API.
 * BENCH_REPORT_FORMATS adds other round_summary formats (e.g. json,html).
 */
import { spawn } from 'node:child_process';
import { fmtInt, nodeArgs, rssMiB, rssPeak, seconds, type Section, type Target } from './common.js';
import type { National } from './national.js';

interface Measured { label: string; ms: number; rssMiB: number; bytes: number; lines: number | null; downloadMs: number }

async function startWorker(n: National) {
  const proc = spawn(process.execPath, nodeArgs('jobs/main.ts'), { env: { ...process.env, ...n.env, JICAI_OPENING_PRIVATE_KEY: n.openingPrivatePem }, stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => proc.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d) => { if (String(d).includes('jicai worker:')) resolve(); });
    proc.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  proc.stdout!.resume();
  return proc;
}

/** Streams the file and counts its bytes and lines (never holding it). */
async function download(n: National, id: string) {
  const started = Date.now();
  const res = await fetch(`${n.api.url}/v1/reports/${id}/file`, { headers: { authorization: `Bearer ${n.alliance.token}` } });
  if (!res.ok || !res.body) throw new Error(`GET file: ${res.status}`);
  let bytes = 0, lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  return { bytes, lines, ms: Date.now() - started };
}

async function measure(n: National, workerPid: number, label: string, body: Record<string, unknown>): Promise<Measured> {
  const peak = rssPeak(workerPid);
  peak.reset();
  const started = Date.now();
  const { id } = await n.alliance.api('POST', `/v1/rounds/${n.roundId}/reports`, body);
  let report: { status: string; progress: number; error?: string };
  for (;;) {
    report = await n.alliance.api('GET', `/v1/reports/${id}`);
    if (report.status === 'done' || report.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const ms = Date.now() - started;
  const rss = peak.stop();
  if (report.status !== 'done') throw new Error(`${label}: ${report.status} ${report.error}`);
  const file = await download(n, id);
  console.log(`${label}: ${seconds(ms)} s, worker peak RSS ${rss.toFixed(0)} MiB, ${fmtInt(file.bytes)} bytes`);
  return { label, ms, rssMiB: rss, bytes: file.bytes, lines: body.format === 'csv' ? file.lines : null, downloadMs: file.ms };
}

export async function run(n: National): Promise<Section> {
  const worker = await startWorker(n);
  const idle = rssMiB(worker.pid!);
  const asOf = '2026-12';
  const rows: Measured[] = [];
  rows.push(await measure(n, worker.pid!, 'round_summary xlsx', { kind: 'round_summary', format: 'xlsx' }));
  const monitoring = await measure(n, worker.pid!, 'monitoring csv', { kind: 'monitoring', format: 'csv', asOf });
  rows.push(monitoring);
  for (const format of (process.env.BENCH_REPORT_FORMATS ?? '').split(',').filter(Boolean)) {
    rows.push(await measure(n, worker.pid!, `round_summary ${format}`, { kind: 'round_summary', format }));
  }
  await new Promise<void>((resolve) => { worker.once('exit', () => resolve()); worker.kill('SIGTERM'); });
  const agreements = n.hospitalIds.length * n.itemCodes.length;
  const [xlsx] = rows;
  const targets: Target[] = [
    { target: 'round_summary xlsx (national) ≤ 30 s, worker RSS < 512 MB', measured: `${seconds(xlsx.ms)} s, ${xlsx.rssMiB.toFixed(0)} MiB`, met: xlsx.ms <= 30_000 && xlsx.rssMiB < 512 },
    {
      target: `monitoring csv (${fmtInt(agreements)} agreement lines) ≤ 60 s, worker RSS < 512 MB`,
      measured: `${seconds(monitoring.ms)} s, ${monitoring.rssMiB.toFixed(0)} MiB, ${fmtInt((monitoring.lines ?? 1) - 1)} lines`,
      met: monitoring.ms <= 60_000 && monitoring.rssMiB < 512 && monitoring.lines === agreements + 1,
    },
  ];
  return {
    title: 'Reports at national scale',
    body: `Reports of the awarded national round (${fmtInt(n.hospitalIds.length)} hospitals, ${n.itemCodes.length} items), each made by one worker process
(\`npm run worker\`, idle RSS ${idle.toFixed(0)} MiB) on the run's PostgreSQL and Redis, timed from POST /v1/rounds/{id}/reports to the report's
\`done\` (polled every 100 ms), with the worker's peak RSS (VmRSS sampled every 50 ms); then the file streamed back through GET /v1/reports/{id}/file.
The monitoring csv is at asOf ${asOf} over the usage the monitoring module uploaded before.

| report | request → done | worker peak RSS | file | download |
|---|---|---|---|---|
${rows.map((r) => `| ${r.label} | ${seconds(r.ms)} s | ${r.rssMiB.toFixed(0)} MiB | ${fmtInt(r.bytes)} bytes${r.lines !== null ? `, ${fmtInt(r.lines)} lines` : ''} | ${seconds(r.downloadMs)} s |`).join('\n')}

The xlsx is exceljs's streaming WorkbookWriter (shared strings off, rows committed as written, the zip written into 256 KiB chunk rows of
report_chunks as it is made); the csv streams the agreements through one server-side cursor (5,000 rows per fetch), in key order joined to their usage by its primary key, into the same chunks.`,
    targets,
  };
}
