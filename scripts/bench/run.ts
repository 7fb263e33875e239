/**
 * npm run bench: national-scale benchmarks on the real PostgreSQL and Redis,
 * written to docs/benchmarks.md. Every module measures against its national
 * round (scripts/bench/national.ts builds it); each returns a section of the
 * document and the issue targets it checks.
 *   BENCH_ONLY=bids,agreements  runs only those modules (the national round is always built).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { DIR, buildEntries, psql, type Section } from './common.js';
import { BIDS, DB, HOSPITALS, ITEMS, national } from './national.js';
import * as bids from './bids.js';
import * as agreements from './agreements.js';
import * as layout from './layout.js';
import * as embedded from './embedded.js';
import * as load from './load.js';
import * as monitoring from './monitoring.js';
import * as reports from './reports.js';
import * as simulation from './simulation.js';

/** The modules after the national round, in the order they run (each may add data the next ones see). */
const MODULES: Record<string, { run: (n: Awaited<ReturnType<typeof national>>) => Promise<Section | Section[]> }> = {
  agreements, simulation, layout, bids, monitoring, reports, load, embedded,
};

const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const started = Date.now();
// The API and the workers run as built JavaScript, as `npm start` and `npm run worker` run them.
await buildEntries();
/**
 * The machine's speed, for comparing runs across machines (the same code ran 3× slower on one machine than on another):
 * PostgreSQL summing 10,000,000 integers, and Node running a plain loop, each the best of 3.
 */
const calibration = (() => {
  const best = (f: () => number) => Math.min(f(), f(), f());
  const pgMs = best(() => { const t0 = performance.now(); psql('postgres', 'SELECT sum(i) FROM generate_series(1, 10000000) i'); return performance.now() - t0; });
  const nodeMs = best(() => { const t0 = performance.now(); let x = 0; for (let i = 0; i < 3e8; i++) x += i % 7; return x < 0 ? 0 : performance.now() - t0; });
  return `PostgreSQL \`SELECT sum(i) FROM generate_series(1, 10000000) i\` ${pgMs.toFixed(0)} ms; Node, 3 × 10^8 iterations of a plain loop, ${nodeMs.toFixed(0)} ms (best of 3).`;
})();
const n = await national();
const sections: Section[] = [...n.sections];
function write(partial: boolean) {
  const cpu = cpus()[0]?.model ?? 'unknown';
  const pg = psql('postgres', 'SHOW server_version').trim();
  const targets = sections.flatMap((s) => s.targets);
  const md = `# Benchmarks
${partial ? `\n**Partial run**: the modules after ${done.at(-1) ?? 'the national round'} had not run yet.\n` : ''}

Written by \`npm run bench\` (scripts/bench/run.ts) on ${new Date().toISOString().slice(0, 10)} in ${((Date.now() - started) / 60_000).toFixed(0)} minutes.
Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; PostgreSQL ${pg} and Redis on the same machine;
the API runs as its own process, built as \`npm start\` builds it (\`node dist/src/server.js\`, LOG_LEVEL=warn), against a fresh database \`${DB}\`.
Speed of this machine: ${calibration}
Rerun: \`npm run bench\` (needs PostgreSQL on 127.0.0.1:5432 and Redis on 6379; BENCH_HOSPITALS, BENCH_ITEMS, BENCH_BIDS and the modules' own
variables scale it; BENCH_ONLY picks modules). Every figure is from one run on a 2-core machine that also runs PostgreSQL and the load generator.

## Targets
| target | measured | |
|---|---|---|
${targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'met' : '**not met**'} |`).join('\n')}

${sections.map((s) => `## ${s.title}\n${s.body}\n`).join('\n')}`;
  // Only a full national-scale run (the defaults) replaces the committed results; other runs go to .bench/.
  const full = HOSPITALS === 50_000 && ITEMS === 60 && BIDS === 1000 && !only;
  const target = full ? 'docs/benchmarks.md' : `${DIR}/benchmarks.md`;
  mkdirSync('docs', { recursive: true });
  writeFileSync(target, md);
  console.log(`wrote ${target}`);
}

const done: string[] = [];
for (const [name, m] of Object.entries(MODULES)) {
  if (only && !only.has(name)) continue;
  console.log(`— ${name}`);
  const out = await m.run(n);
  sections.push(...(Array.isArray(out) ? out : [out]));
  done.push(name);
  // Written after every module, so a run stopped part-way keeps what it measured (marked as partial).
  write(done.length < Object.keys(MODULES).length && !only);
}
await n.api.stop();

write(false);
process.exit(0);
