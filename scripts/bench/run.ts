/**
 * npm run bench: national-scale benchmarks on the real PostgreSQL and Redis,
 * written to docs/benchmarks.md. See that file for what each figure means.
 *   BENCH_HOSPITALS (50000), BENCH_ITEMS (60), BENCH_BIDS (1000), BENCH_BID_SECONDS (15), BENCH_BID_RUNS (3)
 */
import { createReadStream, createWriteStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { PROVINCES, REDIS_URL, apiClient, freshDatabase, psql, rssPeak, seconds, startServer } from './common.js';

const HOSPITALS = Number(process.env.BENCH_HOSPITALS ?? 50_000);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 60);
const BIDS = Number(process.env.BENCH_BIDS ?? 1000);
const BID_SECONDS = Number(process.env.BENCH_BID_SECONDS ?? 15);
const CONNECTIONS = 64;
const MANUFACTURERS = 64;
const DIR = '.bench';
mkdirSync(DIR, { recursive: true });

const MASTER = 'bench-master-key-' + randomBytes(8).toString('hex');
const dbUrl = freshDatabase('jicai_bench');
const apiEnv = {
  DATABASE_URL: dbUrl, REDIS_URL, JICAI_MASTER_KEY: MASTER, JICAI_BID_KEK: randomBytes(32).toString('hex'),
  PORT: '3901', LOG_LEVEL: 'warn', JICAI_DATA_DIR: DIR,
};
const api = await startServer('src/server.ts', apiEnv);
const pid = api.proc.pid!;
const op = apiClient(api.url, MASTER);
const out: Record<string, string | number> = {};
const log = (k: string, v: string | number) => { out[k] = v; console.log(`${k}: ${v}`); };

async function bulk(path: string, token: string, file: string, type: string) {
  const res = await fetch(api.url + path, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body: createReadStream(file) as any, duplex: 'half',
  } as any);
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 1000)}`);
  return JSON.parse(text);
}

async function token(orgId: string) { return (await op('POST', `/v1/organizations/${orgId}/tokens`, { name: 'bench' })).token as string; }

// ---- organizations: one alliance over every province, hospitals by bulk upload, manufacturers with products
const alliance = await op('POST', '/v1/organizations', { kind: 'alliance', name: '全国联盟', regionCode: '110000', regionCodes: PROVINCES.map((p) => p + '0000') });
const allianceApi = apiClient(api.url, await token(alliance.id));
const hospFile = `${DIR}/hospitals.csv`;
{
  const w = createWriteStream(hospFile);
  w.write('kind,name,regionCode,externalId\n');
  for (let i = 0; i < HOSPITALS; i++) {
    const p = PROVINCES[i % PROVINCES.length];
    const city = String(1 + (Math.floor(i / PROVINCES.length) % 15)).padStart(2, '0');
    const county = String(1 + (i % 9)).padStart(2, '0');
    if (!w.write(`hospital,医院${i},${p}${city}${county},H${i}\n`)) await once(w, 'drain');
  }
  w.end(); await once(w, 'finish');
}
let t0 = Date.now();
await bulk('/v1/organizations/bulk', MASTER, hospFile, 'text/csv');
log('hospitals', HOSPITALS);
log('hospital bulk upload (s)', seconds(Date.now() - t0));

const itemCodes = Array.from({ length: ITEMS }, (_, i) => `ITEM${String(i).padStart(3, '0')}`);
const makers: { id: string; token: string; api: ReturnType<typeof apiClient>; products: string[] }[] = [];
for (let m = 0; m < MANUFACTURERS; m++) {
  const o = await op('POST', '/v1/organizations', { kind: 'manufacturer', name: `药企${m}`, regionCode: '310000' });
  const tk = await token(o.id);
  const mApi = apiClient(api.url, tk);
  const products: string[] = [];
  for (let i = 0; i < ITEMS; i++) {
    const p = await mApi('POST', '/v1/products', {
      genericName: `generic-${i}`, dosageForm: 'tablet', category: 'drug', strength: { value: m % 2 ? '20' : '10', unit: 'mg' },
      packSize: 28, approvalNumber: `H${m}-${i}`, qualityTier: 'consistency_passed',
    });
    await allianceApi('POST', `/v1/products/${p.id}/verify`);
    products.push(p.id);
  }
  makers.push({ id: o.id, token: tk, api: mApi, products });
}

async function makeRound(name: string, closesInMs: number) {
  const now = Date.now();
  const r = await allianceApi('POST', '/v1/rounds', {
    name, rules: { preset: 'nvbp' }, bidOpensAt: new Date(now - 1000).toISOString(), bidClosesAt: new Date(now + closesInMs).toISOString(), contractMonths: 24,
  });
  for (let i = 0; i < ITEMS; i++) {
    await allianceApi('POST', `/v1/rounds/${r.id}/items`, {
      code: itemCodes[i], genericName: `generic-${i}`, dosageForm: 'tablet', category: 'drug', unit: 'tablet',
      referenceStrength: { value: '20', unit: 'mg' }, maxUnitPrice: '5.0000', baselineUnitPrice: '4.0000',
    });
  }
  await allianceApi('POST', `/v1/rounds/${r.id}/publish`);
  return r.id as string;
}

// ---- demand: the same 3,000,000-row file through psql \copy and through the API
const SCALE_WINDOW_MS = 15 * 60_000; // closed only when everything before opening is done (we wait for it below)
const roundA = await makeRound('national scale', SCALE_WINDOW_MS);
const hospitalIds = psql('jicai_bench', `SELECT id FROM organizations WHERE kind = 'hospital' ORDER BY external_id`).trim().split('\n');
const demandFile = `${DIR}/demand.csv`;
{
  const w = createWriteStream(demandFile);
  w.write('hospitalId,itemCode,quantity\n');
  for (const h of hospitalIds) {
    let chunk = '';
    for (const code of itemCodes) chunk += `${h},${code},${100 + ((h.charCodeAt(h.length - 1) * 7919 + code.charCodeAt(6)) % 9900)}\n`;
    if (!w.write(chunk)) await once(w, 'drain');
  }
  w.end(); await once(w, 'finish');
}
const rows = hospitalIds.length * ITEMS;
log('demand rows', rows);
log('demand file (MB)', (statSync(demandFile).size / 1e6).toFixed(0));

psql('jicai_bench', `CREATE TABLE copy_baseline (round_id text NOT NULL DEFAULT '${roundA}', item_code text NOT NULL, hospital_id text NOT NULL,
  quantity integer NOT NULL, preferred_manufacturer_id text, PRIMARY KEY (round_id, item_code, hospital_id))`);
t0 = Date.now();
const u = new URL(dbUrl);
execFileSync('psql', ['-h', u.hostname, '-U', 'postgres', '-d', 'jicai_bench', '-qc',
  `\\copy copy_baseline (hospital_id, item_code, quantity) FROM '${demandFile}' WITH (FORMAT csv, HEADER true)`]);
const psqlMs = Date.now() - t0;
psql('jicai_bench', 'DROP TABLE copy_baseline');
log('psql \\copy into a table shaped like demand (s)', seconds(psqlMs));
log('psql \\copy rows/s', Math.round(rows / (psqlMs / 1000)));

const rssBefore = rssPeak(pid);
t0 = Date.now();
const up = await bulk(`/v1/rounds/${roundA}/demand/bulk`, await token(alliance.id), demandFile, 'text/csv');
const apiMs = Date.now() - t0;
log('API demand upload (s)', seconds(apiMs));
log('API demand rows', up.rows);
log('API demand rows/s', Math.round(rows / (apiMs / 1000)));
log('API / psql rows/s ratio', (psqlMs / apiMs).toFixed(2));
log('API peak RSS while streaming (MiB)', rssBefore.stop().toFixed(0));

// ---- 1,000 sealed bids on the national round
await allianceApi('POST', `/v1/rounds/${roundA}/start-bidding`);
t0 = Date.now();
for (let b = 0; b < BIDS; b++) {
  const i = b % ITEMS, m = Math.floor(b / ITEMS);
  const price = (20 + ((b * 37) % 100) / 10).toFixed(2); // per pack of 28: comparable 0.71–1.07 (10 mg ×1.7)
  await makers[m].api('PUT', `/v1/rounds/${roundA}/bids/${itemCodes[i]}`, { productId: makers[m].products[i], packagePrice: price });
}
log('bids on the national round', BIDS);

// ---- bid throughput: 64 connections, each a manufacturer cycling over the items
const roundC = await makeRound('bid throughput', 60 * 60_000);
await allianceApi('POST', `/v1/rounds/${roundC}/start-bidding`);
function cannon(url: string, pathOf: (i: number) => string) {
  let next = 0;
  return autocannon({
    url, connections: CONNECTIONS, duration: BID_SECONDS, method: 'PUT',
    setupClient: (client: any) => {
      const m = makers[next++ % makers.length];
      client.setRequests(itemCodes.map((_code, i) => ({
        method: 'PUT', path: pathOf(i),
        headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ productId: m.products[i], packagePrice: (20 + (i % 10)).toFixed(2) }),
      })));
    },
  } as any);
}
// Alternating runs, so that both routes see the same spells of this shared machine; the medians are reported.
// PostgreSQL here runs without autovacuum, so the tables the runs churn are vacuumed between runs, as autovacuum would.
const RUNS = Number(process.env.BENCH_BID_RUNS ?? 3);
const bareRuns: any[] = [];
const bidRuns: any[] = [];
for (let k = 0; k < RUNS; k++) {
  psql('jicai_bench', 'VACUUM (ANALYZE) bids, audit_pending, audit_events');
  const bare = await startServer('scripts/bench/bare-server.ts', { DATABASE_URL: dbUrl, PORT: '3902' });
  bareRuns.push(await cannon(bare.url, (i) => `/bare/${itemCodes[i]}`));
  await bare.stop();
  psql('jicai_bench', 'VACUUM (ANALYZE) bids, audit_pending, audit_events');
  bidRuns.push(await cannon(api.url, (i) => `/v1/rounds/${roundC}/bids/${itemCodes[i]}`));
  console.log(`run ${k + 1}: bare ${Math.round(bareRuns[k].requests.average)} req/s, bids ${Math.round(bidRuns[k].requests.average)} req/s p99 ${bidRuns[k].latency.p99} ms`);
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const bareRate = median(bareRuns.map((r) => r.requests.average));
const bidRate = median(bidRuns.map((r) => r.requests.average));
log('bare INSERT route req/s', Math.round(bareRate));
log('bare INSERT route p99 (ms)', median(bareRuns.map((r) => r.latency.p99)));
log('sealed bid req/s', Math.round(bidRate));
log('sealed bid p50 (ms)', median(bidRuns.map((r) => r.latency.p50)));
log('sealed bid p99 (ms)', median(bidRuns.map((r) => r.latency.p99)));
log('sealed bid non-2xx', bidRuns.reduce((n, r) => n + r.non2xx, 0));
log('sealed bid / bare ratio', (bidRate / bareRate).toFixed(2));
// Integrity under load: the bid round's chain verifies and holds exactly one event per accepted bid.
t0 = Date.now();
const verified = await op('GET', `/v1/audit/verify?roundId=${roundC}`);
log('bid round audit verify (s)', seconds(Date.now() - t0));
log('bid round audit chain ok', String(verified.ok));
log('bid round audit events', verified.events);
log('bid events in the chain', Number(psql('jicai_bench', `SELECT count(*) FROM audit_events WHERE chain = '${roundC}' AND type LIKE 'bid.%'`).trim()));
// Every accepted write raises its bid's version by one (the bench never withdraws).
log('accepted bid writes', Number(psql('jicai_bench', `SELECT coalesce(sum(version), 0) FROM bids WHERE round_id = '${roundC}'`).trim()));
log('2xx answers counted by autocannon', bidRuns.reduce((n, r) => n + r['2xx'], 0));
const bidTable = bareRuns.map((b, k) => `| ${k + 1} | ${Math.round(b.requests.average).toLocaleString('en')} | ${b.latency.p99} | ${Math.round(bidRuns[k].requests.average).toLocaleString('en')} | ${bidRuns[k].latency.p50} | ${bidRuns[k].latency.p99} | ${(bidRuns[k].requests.average / b.requests.average).toFixed(2)} |`).join('\n');

// ---- open + evaluate + award at national scale
// Rather than wait out the 15-minute window on the wall clock, the bench moves the
// round's bidClosesAt to now in the database (the API has no route that may do this).
psql('jicai_bench', `UPDATE rounds SET bid_closes_at = now() WHERE id = '${roundA}'`);
const rssOpen = rssPeak(pid);
t0 = Date.now();
const results = await allianceApi('POST', `/v1/rounds/${roundA}/open`);
const openMs = Date.now() - t0;
t0 = Date.now();
await allianceApi('POST', `/v1/rounds/${roundA}/award`);
const awardMs = Date.now() - t0;
log('open + evaluate (s)', seconds(openMs));
log('award: allocations + totals (s)', seconds(awardMs));
log('open + evaluate + award (s)', seconds(openMs + awardMs));
log('agreements', Number(psql('jicai_bench', `SELECT coalesce(sum(hospitals), 0) FROM award_totals WHERE round_id = '${roundA}'`).trim()));
log('awarded items', results.round.awardedItems);
log('averageDrop', results.round.averageDrop);
log('API peak RSS during open + award (MiB)', rssOpen.stop().toFixed(0));

await api.stop();

const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const cpu = cpus()[0]?.model ?? 'unknown';
const pg = psql('postgres', 'SHOW server_version').trim();
const md = `# Benchmarks

Written by \`npm run bench\` (scripts/bench/run.ts) on ${new Date().toISOString().slice(0, 10)}.
Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; PostgreSQL ${pg} and Redis on the same machine;
the API runs as its own process (\`node --import tsx src/server.ts\`, LOG_LEVEL=warn) against a fresh database \`jicai_bench\`.
Rerun: \`npm run bench\` (needs PostgreSQL on 127.0.0.1:5432 and Redis on 6379; BENCH_HOSPITALS, BENCH_ITEMS, BENCH_BIDS, BENCH_BID_SECONDS, BENCH_BID_RUNS scale it).

## Demand ingestion (issue: ≥ 0.5× psql \\copy rows/s, API RSS < 300 MB)
${HOSPITALS.toLocaleString('en')} hospitals × ${ITEMS} items = ${rows.toLocaleString('en')} rows, one CSV file (${out['demand file (MB)']} MB).
Baseline: \`psql \\copy\` of the same file into a table of the same shape and primary key as \`demand\`.
API: POST /v1/rounds/{id}/demand/bulk streaming the file (parse, COPY into staging, set-based checks, one INSERT: the round's first upload, so no conflict checks; later uploads upsert).

| figure | value |
|---|---|
| psql \\copy | ${out['psql \\copy into a table shaped like demand (s)']} s, ${Number(out['psql \\copy rows/s']).toLocaleString('en')} rows/s |
| API upload | ${out['API demand upload (s)']} s, ${Number(out['API demand rows/s']).toLocaleString('en')} rows/s |
| ratio API / psql | **${out['API / psql rows/s ratio']}×** |
| API peak RSS while streaming | **${out['API peak RSS while streaming (MiB)']} MiB** |

## Sealed bid submission (issue: ≥ 2,000 bids/s, p99 < 50 ms, ≥ 0.6× a bare INSERT route)
autocannon, ${CONNECTIONS} connections, ${BID_SECONDS} s per run, ${MANUFACTURERS} manufacturers × ${ITEMS} items, every request a replacement
(decimal checks, strength conversion, X25519 + AES-256-GCM sealing, receipt digest; the writer puts the bids that arrive in one turn of
the event loop into one statement per round, which re-checks state, window and version per bid under a key-share lock of the round and
queues each bid's audit event; the background sealer links the events into the round's hash chain).
Baseline: a bare Fastify route doing one INSERT with postgres.js (scripts/bench/bare-server.ts), same database.
${RUNS} alternating runs of each; the figures are medians.

| figure | value |
|---|---|
| bare INSERT route | ${Number(out['bare INSERT route req/s']).toLocaleString('en')} req/s, p99 ${out['bare INSERT route p99 (ms)']} ms |
| sealed bids | **${Number(out['sealed bid req/s']).toLocaleString('en')} bids/s, p50 ${out['sealed bid p50 (ms)']} ms, p99 ${out['sealed bid p99 (ms)']} ms** (non-2xx: ${out['sealed bid non-2xx']}) |
| ratio bids / bare | **${out['sealed bid / bare ratio']}×** |
| audit chain of the bid round after the runs | ${Number(out['bid round audit events']).toLocaleString('en')} events, verified in ${out['bid round audit verify (s)']} s: ok = ${out['bid round audit chain ok']} |
| bid events in that chain / accepted bid writes (sum of versions) | ${Number(out['bid events in the chain']).toLocaleString('en')} / ${Number(out['accepted bid writes']).toLocaleString('en')} (autocannon counted ${Number(out['2xx answers counted by autocannon']).toLocaleString('en')} 200s; it drops the up to ${CONNECTIONS} answers in flight when a run ends) |

| run | bare req/s | bare p99 (ms) | bids/s | bid p50 (ms) | bid p99 (ms) | ratio |
|---|---|---|---|---|---|---|
${bidTable}

## Opening, evaluation and award at national scale (issue: ≤ 10 s, API RSS < 1 GB)
${ITEMS} items, ${HOSPITALS.toLocaleString('en')} hospitals, ${rows.toLocaleString('en')} demand rows, ${BIDS.toLocaleString('en')} bids.

| figure | value |
|---|---|
| POST /open (unwrap, decrypt, verify receipts, evaluate, store) | ${out['open + evaluate (s)']} s |
| POST /award (allocations and per-winner totals over ${Number(out.agreements).toLocaleString('en')} agreements) | ${out['award: allocations + totals (s)']} s |
| total | **${out['open + evaluate + award (s)']} s** |
| API peak RSS during open + award | **${out['API peak RSS during open + award (MiB)']} MiB** |

## Notes
- The national round's bid window is closed by moving its \`bid_closes_at\` to now in the database, instead of waiting out the wall clock; nothing else touches the database behind the API.
- Every figure is from one run of the script on a 2-core machine that also runs PostgreSQL and the load generator. During development the same bid code measured between about 2,500 and 4,200 bids/s from one run to the next here (the baseline between 4,500 and 6,300), which is why the bid figures are medians of alternating runs; the run table shows this run's spread.
- Where a bid's time goes: with 64 bidders the API process is the busiest on the machine; a CPU profile shows HTTP parsing and writing, Fastify's hooks, validation and serialisation, sealing (AES-256-GCM) and the receipt digest, and the audit sealer. During development, writing bids one statement each (the writer with a batch of one) gave about 1,200 bids/s, with PostgreSQL spending about 680 µs of CPU per bid (a commit and a lock of the round each); grouped, PostgreSQL spent about 100 µs per bid.
- Latency at a fixed 64 connections is bounded below by Little's law: the mean is 64 / throughput (about 17 ms at 3,800 bids/s), so a p99 under 50 ms asks for a tail under three times the mean; compare the bare route's own p99 in the run table.

## Targets
| target | measured | |
|---|---|---|
| demand ingestion ≥ 0.5× psql rows/s | ${out['API / psql rows/s ratio']}× | ${verdict(Number(out['API / psql rows/s ratio']) >= 0.5)} |
| API RSS < 300 MB while streaming | ${out['API peak RSS while streaming (MiB)']} MiB | ${verdict(Number(out['API peak RSS while streaming (MiB)']) < 300)} |
| ≥ 2,000 sealed bids/s | ${out['sealed bid req/s']} | ${verdict(Number(out['sealed bid req/s']) >= 2000)} |
| bid p99 < 50 ms | ${out['sealed bid p99 (ms)']} ms | ${verdict(Number(out['sealed bid p99 (ms)']) < 50)} |
| bids ≥ 0.6× bare INSERT route | ${out['sealed bid / bare ratio']}× | ${verdict(Number(out['sealed bid / bare ratio']) >= 0.6)} |
| open + evaluate + award ≤ 10 s | ${out['open + evaluate + award (s)']} s | ${verdict(Number(out['open + evaluate + award (s)']) <= 10)} |
| API RSS < 1 GB during open + award | ${out['API peak RSS during open + award (MiB)']} MiB | ${verdict(Number(out['API peak RSS during open + award (MiB)']) < 1024)} |

Raw figures: \`${JSON.stringify(out)}\`
`;
// Only the national-scale run (the defaults) replaces the committed results; scaled-down runs go to .bench/.
const national = HOSPITALS === 50_000 && ITEMS === 60 && BIDS === 1000;
const target = national ? 'docs/benchmarks.md' : `${DIR}/benchmarks.md`;
mkdirSync('docs', { recursive: true });
writeFileSync(target, md);
console.log(`wrote ${target}`);
process.exit(0);
