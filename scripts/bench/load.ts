/**
 * Mixed traffic of whole rounds, on loopback: 100 concurrent clients for 60 s
 * (BENCH_LOAD_CLIENTS, BENCH_LOAD_SECONDS), each request drawn from a mix of
 * what the platform's users do at once: manufacturers replacing sealed bids
 * and reading their own, hospitals reporting demand and usage and reading
 * their agreements, the alliance reading results, monitoring and alerts, anyone
 * listing rounds and items. Every request of the mix is valid but one kind, a bid
 * above the ceiling (422 expected): any other answer than 2xx or a request's
 * expected 4xx is an error. Throughput, p50 and p99 per route. Routes the API
 * does not serve (monitoring and usage arrive from another branch) are left out of
 * the mix, and named. Registered in scripts/bench/run.ts as `load`; a short check:
 * BENCH_ONLY=load BENCH_HOSPITALS=300 BENCH_ITEMS=3 BENCH_BIDS=20 BENCH_LOAD_SECONDS=5 BENCH_LOAD_CLIENTS=20 npm run bench
 */
import { fmtInt, median, type Section } from './common.js';
import type { National } from './national.js';

const CLIENTS = Number(process.env.BENCH_LOAD_CLIENTS ?? 100);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const HOSPITALS = 200;

interface Call { route: string; method: string; path: string; token: string; body?: unknown; expect?: number[] }
interface Stat { n: number; errors: number; statuses: Map<number, number>; ms: number[] }

export async function run(n: National): Promise<Section> {
  // A round taking bids and one taking demand, beside the awarded national round.
  const bidding = await n.makeRound('load: bidding', 60 * 60_000);
  await n.alliance.api('POST', `/v1/rounds/${bidding}/start-bidding`);
  const demand = await n.makeRound('load: demand', 60 * 60_000);
  const hospitals: { id: string; token: string }[] = [];
  for (let i = 0; i < HOSPITALS; i++) {
    const id = n.hospitalIds[Math.floor((i * n.hospitalIds.length) / HOSPITALS)];
    hospitals.push({ id, token: await n.token(id) });
  }
  // The routes the API serves (OpenAPI paths): a mix entry for another route is left out.
  const doc = await (await fetch(`${n.api.url}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
  const serves = (route: string) => {
    const [method, path] = route.split(' ');
    return Boolean(doc.paths[path]?.[method.toLowerCase()]);
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)];
  const item = () => pick(n.itemCodes);
  const round = n.roundId;
  // [weight, request]: what one client does next.
  const all: [number, () => Call][] = [
    [23, () => {
      const m = pick(n.makers); const i = Math.floor(Math.random() * n.itemCodes.length);
      return { route: 'PUT /v1/rounds/{id}/bids/{itemCode}', method: 'PUT', path: `/v1/rounds/${bidding}/bids/${n.itemCodes[i]}`, token: m.token,
        body: { productId: m.products[i], packagePrice: (20 + Math.random() * 5).toFixed(2) } };
    }],
    [2, () => {
      const m = pick(n.makers); const i = Math.floor(Math.random() * n.itemCodes.length);
      return { route: 'PUT /v1/rounds/{id}/bids/{itemCode} (above the ceiling)', method: 'PUT', path: `/v1/rounds/${bidding}/bids/${n.itemCodes[i]}`, token: m.token,
        body: { productId: m.products[i], packagePrice: '9999.00' }, expect: [422] };
    }],
    [5, () => ({ route: 'GET /v1/rounds/{id}/bids', method: 'GET', path: `/v1/rounds/${bidding}/bids`, token: pick(n.makers).token })],
    [12, () => ({ route: 'PUT /v1/rounds/{id}/demand/{itemCode}', method: 'PUT', path: `/v1/rounds/${demand}/demand/${item()}`, token: pick(hospitals).token,
      body: { quantity: 1 + Math.floor(Math.random() * 10_000) } })],
    [8, () => {
      const h = pick(hospitals);
      return { route: 'PUT /v1/rounds/{id}/usage', method: 'PUT', path: `/v1/rounds/${round}/usage`, token: h.token,
        body: [{ period: '2026-06', itemCode: item(), orderedQuantity: 100, receivedQuantity: 95, amount: '76.0000' }] };
    }],
    [10, () => ({ route: 'GET /v1/rounds/{id}/agreements (hospital)', method: 'GET', path: `/v1/rounds/${round}/agreements`, token: pick(hospitals).token })],
    [5, () => ({ route: 'GET /v1/rounds/{id}/agreements (manufacturer)', method: 'GET', path: `/v1/rounds/${round}/agreements`, token: pick(n.makers).token })],
    [8, () => ({ route: 'GET /v1/rounds/{id}/results', method: 'GET', path: `/v1/rounds/${round}/results`, token: pick(n.makers).token })],
    [5, () => ({ route: 'GET /v1/rounds/{id}/monitoring', method: 'GET', path: `/v1/rounds/${round}/monitoring?asOf=2026-12&groupBy=${pick(['item', 'region', 'manufacturer'])}`, token: n.alliance.token })],
    [4, () => ({ route: 'GET /v1/rounds/{id}/alerts', method: 'GET', path: `/v1/rounds/${round}/alerts?asOf=2026-12`, token: n.alliance.token })],
    [4, () => ({ route: 'GET /v1/rounds/{id}/monitoring (hospital)', method: 'GET', path: `/v1/rounds/${round}/monitoring?asOf=2026-12&groupBy=item`, token: pick(hospitals).token })],
    [7, () => ({ route: 'GET /v1/rounds', method: 'GET', path: '/v1/rounds', token: pick(hospitals).token })],
    [7, () => ({ route: 'GET /v1/rounds/{id}/items', method: 'GET', path: `/v1/rounds/${round}/items`, token: pick(n.makers).token })],
    [3, () => ({ route: 'GET /v1/rounds/{id}', method: 'GET', path: `/v1/rounds/${round}`, token: pick(hospitals).token })],
    [3, () => ({ route: 'GET /v1/rounds/{id}/allocations', method: 'GET', path: `/v1/rounds/${round}/allocations`, token: pick(n.makers).token })],
  ];
  const template = (f: () => Call) => f().route.split(' (')[0];
  const mix = all.filter(([, f]) => serves(template(f)));
  const missing = [...new Set(all.filter(([, f]) => !serves(template(f))).map(([, f]) => template(f)))];
  if (missing.length) console.log(`load: not served, left out of the mix: ${missing.join(', ')}`);
  const total = mix.reduce((s, [w]) => s + w, 0);
  const next = (): Call => {
    let r = Math.random() * total;
    for (const [w, f] of mix) { if ((r -= w) < 0) return f(); }
    return mix[0][1]();
  };
  const stats = new Map<string, Stat>();
  const until = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < until) {
      const c = next();
      const t0 = performance.now();
      let status: number;
      try {
        const res = await fetch(n.api.url + c.path, {
          method: c.method,
          headers: { authorization: `Bearer ${c.token}`, ...(c.body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: c.body === undefined ? undefined : JSON.stringify(c.body),
        });
        await res.arrayBuffer();
        status = res.status;
      } catch { status = 0; }
      const s: Stat = stats.get(c.route) ?? { n: 0, errors: 0, statuses: new Map<number, number>(), ms: [] };
      s.n++; s.ms.push(performance.now() - t0);
      s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
      if ((status < 200 || status >= 300) && !c.expect?.includes(status)) s.errors++;
      stats.set(c.route, s);
    }
  }));
  const elapsed = (Date.now() - started) / 1000;
  const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
  const rows = [...stats.entries()].sort((a, b) => b[1].n - a[1].n).map(([route, s]) =>
    `| ${route} | ${fmtInt(s.n)} | ${(s.n / elapsed).toFixed(0)} | ${median(s.ms).toFixed(1)} | ${pct(s.ms, 0.99).toFixed(1)} | ${[...s.statuses].sort((a, b) => a[0] - b[0]).map(([st, k]) => `${st}: ${fmtInt(k)}`).join(', ')} | ${s.errors} |`);
  const measured = [...stats.values()];
  const requests = measured.reduce((t, s) => t + s.n, 0);
  const errors = measured.reduce((t, s) => t + s.errors, 0);
  return {
    title: 'Mixed load on loopback',
    body: `${CLIENTS} concurrent clients for ${SECONDS} s (scripts/bench/load.ts), each request drawn at random from the mix below (a bidding round, a round taking demand,
the awarded national round): **${fmtInt(requests)} requests, ${(requests / elapsed).toFixed(0)} req/s, ${errors} errors** (an error: a 5xx, a failed
connection, or a 4xx the request did not expect).${missing.length ? ` Not served yet, left out: ${missing.join(', ')}.` : ''}
The clients run on the same 2-core machine as the API and PostgreSQL.

| route | requests | req/s | p50 (ms) | p99 (ms) | answers | errors |
|---|---|---|---|---|---|---|
${rows.join('\n')}`,
    targets: [{ target: 'mixed load: 0 errors other than the expected 4xx', measured: `${errors} of ${fmtInt(requests)}`, met: errors === 0 }],
  };
}
