/**
 * Sealed bid throughput: 64 connections (one manufacturer each) cycling over a
 * round's items, every request a replacement, in runs alternating with a bare
 * Fastify route doing one INSERT on the same database (medians reported).
 *   BENCH_BID_SECONDS (15), BENCH_BID_RUNS (3)
 */
import autocannon from 'autocannon';
import { benchPort, fmtInt, median, psql, seconds, startServer, type Section } from './common.js';
import { DB, ITEMS, MANUFACTURERS, type National } from './national.js';

const SECONDS = Number(process.env.BENCH_BID_SECONDS ?? 15);
const RUNS = Number(process.env.BENCH_BID_RUNS ?? 3);
const CONNECTIONS = 64;

type Result = autocannon.Result;

export async function run(n: National): Promise<Section> {
  const roundId = await n.makeRound('bid throughput', 60 * 60_000);
  await n.alliance.api('POST', `/v1/rounds/${roundId}/start-bidding`);
  const cannon = (url: string, pathOf: (i: number) => string) => {
    let next = 0;
    return autocannon({
      url, connections: CONNECTIONS, duration: SECONDS, method: 'PUT',
      setupClient: (client) => {
        const m = n.makers[next++ % n.makers.length];
        client.setRequests(n.itemCodes.map((_code, i) => ({
          method: 'PUT', path: pathOf(i),
          headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ productId: m.products[i], packagePrice: (20 + (i % 10)).toFixed(2) }),
        })));
      },
    });
  };
  // Alternating runs, so that both routes see the same spells of this shared machine.
  // PostgreSQL here runs without autovacuum, so the tables the runs churn are vacuumed between runs, as autovacuum would.
  const bare: Result[] = [];
  const bids: Result[] = [];
  for (let k = 0; k < RUNS; k++) {
    psql(DB, 'VACUUM (ANALYZE) bids, audit_pending, audit_events');
    const b = await startServer('scripts/bench/bare-server.ts', { DATABASE_URL: n.dbUrl, PORT: benchPort(2) });
    bare.push(await cannon(b.url, (i) => `/bare/${n.itemCodes[i]}`));
    await b.stop();
    psql(DB, 'VACUUM (ANALYZE) bids, audit_pending, audit_events');
    bids.push(await cannon(n.api.url, (i) => `/v1/rounds/${roundId}/bids/${n.itemCodes[i]}`));
    console.log(`run ${k + 1}: bare ${Math.round(bare[k].requests.average)} req/s, bids ${Math.round(bids[k].requests.average)} req/s p99 ${bids[k].latency.p99} ms`);
  }
  const bareRate = median(bare.map((r) => r.requests.average));
  const bidRate = median(bids.map((r) => r.requests.average));
  const p50 = median(bids.map((r) => r.latency.p50));
  const p99 = median(bids.map((r) => r.latency.p99));
  const non2xx = bids.reduce((s, r) => s + r.non2xx, 0);
  // Integrity under load: the bid round's chain verifies and holds exactly one event per accepted bid.
  const t0 = Date.now();
  const verified = await n.op('GET', `/v1/audit/verify?roundId=${roundId}`);
  const verifyMs = Date.now() - t0;
  const bidEvents = Number(psql(DB, `SELECT count(*) FROM audit_events WHERE chain = '${roundId}' AND type LIKE 'bid.%'`).trim());
  // Every accepted write raises its bid's version by one (the bench never withdraws).
  const writes = Number(psql(DB, `SELECT coalesce(sum(version), 0) FROM bids WHERE round_id = '${roundId}'`).trim());
  const answered = bids.reduce((s, r) => s + r['2xx'], 0);
  const ratio = bidRate / bareRate;
  const table = bare.map((b, k) => `| ${k + 1} | ${fmtInt(b.requests.average)} | ${b.latency.p99} | ${fmtInt(bids[k].requests.average)} | ${bids[k].latency.p50} | ${bids[k].latency.p99} | ${(bids[k].requests.average / b.requests.average).toFixed(2)} |`).join('\n');
  return {
    title: 'Sealed bid submission',
    body: `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per run, ${MANUFACTURERS} manufacturers × ${ITEMS} items, every request a replacement
(decimal checks, strength conversion, X25519 + AES-256-GCM sealing, receipt digest; the writer puts the bids that arrive in one turn of
the event loop into one statement per round, which re-checks state, window and version per bid under a key-share lock of the round and
queues each bid's audit event; the background sealer links the events into the round's hash chain).
Baseline: a bare Fastify route doing one INSERT with postgres.js (scripts/bench/bare-server.ts), same database.
${RUNS} alternating runs of each; the figures are medians.

| figure | value |
|---|---|
| bare INSERT route | ${fmtInt(bareRate)} req/s, p99 ${median(bare.map((r) => r.latency.p99))} ms |
| sealed bids | **${fmtInt(bidRate)} bids/s, p50 ${p50} ms, p99 ${p99} ms** (non-2xx: ${non2xx}) |
| ratio bids / bare | **${ratio.toFixed(2)}×** |
| audit chain of the bid round after the runs | ${fmtInt(verified.events)} events, verified in ${seconds(verifyMs)} s: ok = ${verified.ok} |
| bid events in that chain / accepted bid writes (sum of versions) | ${fmtInt(bidEvents)} / ${fmtInt(writes)} (autocannon counted ${fmtInt(answered)} 200s; it drops the up to ${CONNECTIONS} answers in flight when a run ends) |

| run | bare req/s | bare p99 (ms) | bids/s | bid p50 (ms) | bid p99 (ms) | ratio |
|---|---|---|---|---|---|---|
${table}

Latency at a fixed ${CONNECTIONS} connections is bounded below by Little's law: the mean is ${CONNECTIONS} / throughput, so a p99 under 50 ms asks
for a tail under three times the mean; compare the bare route's own p99 in the run table.`,
    targets: [
      { target: '≥ 2,000 sealed bids/s', measured: fmtInt(bidRate), met: bidRate >= 2000 },
      { target: 'bid p99 < 50 ms', measured: `${p99} ms`, met: p99 < 50 },
      { target: 'bids ≥ 0.6× bare INSERT route', measured: `${ratio.toFixed(2)}×`, met: ratio >= 0.6 },
      { target: 'one audit event per accepted bid write, chain verifies', measured: `${bidEvents} / ${writes}, ok = ${verified.ok}`, met: bidEvents === writes && verified.ok },
    ],
  };
}
