/**
 * npm run demo: drives a whole small round over HTTP against a running server
 * (npm start in another terminal; in production mode a worker too, `npm run worker`,
 * since the round starts bidding and opens itself, and reports are built by jobs) and
 * prints the results table: an enquiry answered, the scheduler starting bidding and
 * opening the bids, a notice period of one minute with one objection dismissed, the
 * award, a simulation under pilot-4+7 beside the real result, the agreements, then
 * the contract period: a month of usage and deliveries, monitoring, alerts and a
 * round_summary html report. It takes about 80 s (the notice period is most of it).
 * Every call goes through the typed client generated from openapi/openapi.json (src/client).
 *   JICAI_URL (default http://127.0.0.1:3000), JICAI_MASTER_KEY (default: read from ./data/master-key)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jicaiClient, jsonRows, must, type BodyOf } from '../src/client/index.js';
import { D, fmt4 } from '../src/rules/decimal.js';

const base = process.env.JICAI_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const keyFile = join(process.env.JICAI_DATA_DIR ?? './data', 'master-key');
const master = process.env.JICAI_MASTER_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '');
if (!master) { console.error(`No operator key: set JICAI_MASTER_KEY or start the server once so that ${keyFile} exists.`); process.exit(1); }

const started = Date.now();
const operator = jicaiClient(base, { token: master });
const step = (s: string) => console.log(`• ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const tag = Date.now().toString(36);
async function organization(input: BodyOf<'/v1/organizations', 'post'>) {
  const o = await must(operator.POST('/v1/organizations', { body: input }));
  const t = await must(operator.POST('/v1/organizations/{id}/tokens', { params: { path: { id: o.id } }, body: { name: 'demo' } }));
  return { id: o.id, name: input.name, api: jicaiClient(base, { token: t.token }) };
}

step(`jicai at ${base}`);
const alliance = await organization({ kind: 'alliance', name: `三省联盟 ${tag}`, regionCode: '440000', regionCodes: ['440000', '320000', '330000', '110000'] });
const hospitals = await Promise.all(([
  ['广州医院', '440103', 10000], ['深圳医院', '440304', 5000], ['南京医院', '320102', 6000], ['杭州医院', '330106', 3000], ['北京医院', '110105', 1999],
] as const).map(async ([name, regionCode, quantity]) => ({ ...(await organization({ kind: 'hospital', name: `${name} ${tag}`, regionCode })), quantity })));
step(`alliance, ${hospitals.length} hospitals, each with its own token`);

type Tier = BodyOf<'/v1/products', 'post'>['qualityTier'];
const offers: [string, string, number, Tier, string][] = [
  ['药企甲', '20', 28, 'consistency_passed', '16.80'], ['药企乙', '10', 14, 'originator', '4.20'], ['药企丙', '40', 7, 'reference', '6.30'],
  ['药企丁', '20', 7, 'consistency_passed', '6.44'], ['药企戊', '20', 10, 'not_evaluated', '3.00'], ['药企己', '20', 10, 'consistency_passed', '12.00'],
];
const makers: (Awaited<ReturnType<typeof organization>> & { productId: string; price: string; label: string })[] = [];
for (const [name, mg, packSize, qualityTier, price] of offers) {
  const m = await organization({ kind: 'manufacturer', name: `${name} ${tag}`, regionCode: '310000' });
  const p = await must(m.api.POST('/v1/products', {
    body: {
      genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: mg, unit: 'mg' }, packSize,
      approvalNumber: `国药准字H${tag}${makers.length}`, qualityTier,
    },
  }));
  await must(alliance.api.POST('/v1/products/{id}/verify', { params: { path: { id: p.id } } }));
  makers.push({ ...m, productId: p.id, price, label: `${name} ${mg} mg × ${packSize}` });
}
step(`${makers.length} manufacturers with verified products`);

// The round schedules itself: bidding starts at bidOpensAt and the bids are opened at bidClosesAt by the scheduler
// (embedded mode: the in-process runner; production: BullMQ delayed jobs, run by `npm run worker`).
// The contract period starts this month, so that this month's usage can be reported right after the award.
const now = Date.now();
const month = new Date(now).toISOString().slice(0, 7);
const round = await must(alliance.api.POST('/v1/rounds', {
  body: {
    name: `阿托伐他汀钙片 ${tag}`, rules: { preset: 'nvbp', noticeMinutes: 1 }, contractMonths: 12, contractStart: month,
    bidOpensAt: new Date(now + 8_000).toISOString(), bidClosesAt: new Date(now + 16_000).toISOString(), autoStartBidding: true, autoOpen: true,
  },
}));
const path = { id: round.id };
const itemPath = { id: round.id, itemCode: 'ATV20' };
await must(alliance.api.POST('/v1/rounds/{id}/items', {
  params: { path },
  body: {
    code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
    referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7', maxUnitPrice: '3.0000', baselineUnitPrice: '2.5000',
  },
}));
await must(alliance.api.POST('/v1/rounds/{id}/publish', { params: { path } }));
step(`round ${round.id} published (preset nvbp, a notice period of 1 minute, contract from ${month} for 12 months; autoStartBidding at ${round.bidOpensAt}, autoOpen at ${round.bidClosesAt})`);

// 答疑: a manufacturer asks, the alliance answers; every participant reads both, only the alliance and the asker see who asked.
const enquiry = await must(makers[1].api.POST('/v1/rounds/{id}/enquiries', { params: { path }, body: { itemCode: 'ATV20', question: '10 mg 规格按什么比价？(How is a 10 mg tablet compared?)' } }));
await must(alliance.api.PUT('/v1/rounds/{id}/enquiries/{eid}/answer', {
  params: { path: { id: round.id, eid: enquiry.id } }, body: { answer: '按 r = 1.7 折算到 20 mg。(Converted to 20 mg at r = 1.7: 0.30 × 1.7 = 0.51.)' },
}));
const read = await must(hospitals[0].api.GET('/v1/rounds/{id}/enquiries', { params: { path } }));
step(`enquiry answered; a hospital reads: "${read.data[0].question}" → "${read.data[0].answer}" (askedBy: ${read.data[0].askedBy})`);

for (const h of hospitals) {
  await must(h.api.PUT('/v1/rounds/{id}/demand/{itemCode}', {
    params: { path: itemPath },
    body: { quantity: h.quantity, ...(h.name.startsWith('杭州') ? { preferredManufacturerId: makers[3].id } : {}) },
  }));
}
step('demand reported by every hospital');

async function waitFor(state: 'bidding' | 'opened', what: string) {
  console.log(`  waiting for the scheduler to ${what}…`);
  for (;;) {
    const r = await must(alliance.api.GET('/v1/rounds/{id}', { params: { path } }));
    if (r.state === state) return r;
    if (r.state !== 'demand' && r.state !== 'bidding') throw new Error(`the round is ${r.state}`);
    await sleep(250);
  }
}
const bidding = await waitFor('bidding', 'start bidding');
console.log(`  bidding started by the scheduler at ${bidding.updatedAt} (bidOpensAt ${bidding.bidOpensAt})`);
for (const m of makers) {
  const r = await must(m.api.PUT('/v1/rounds/{id}/bids/{itemCode}', { params: { path: itemPath }, body: { productId: m.productId, packagePrice: m.price } }));
  console.log(`  sealed bid of ${m.label}: receipt ${r.receipt.digest.slice(0, 16)}…`);
}
const opened = await waitFor('opened', 'open the bids');
const audit = await must(alliance.api.GET('/v1/rounds/{id}/audit', { params: { path, query: { limit: 1000 } } }));
const openedEvent = audit.data.find((e) => e.type === 'round.opened');
console.log(`  the round opened itself at ${opened.openedAt} (bidClosesAt ${opened.bidClosesAt}; audit actor "${openedEvent?.actor}")`);
step(`notice period (公示) until ${opened.noticeEndsAt}`);
const results = await must(alliance.api.GET('/v1/rounds/{id}/results', { params: { path } }));

// 异议: 药企己 (no winner) objects to 药企丁's bid; the alliance dismisses it. Award waits for the period and every decision.
const objection = await must(makers[5].api.POST('/v1/rounds/{id}/objections', {
  params: { path }, body: { itemCode: 'ATV20', manufacturerId: makers[3].id, reason: '质量证明文件不全 (incomplete quality documents)' },
}));
step(`objection ${objection.id} filed against ${makers[3].label} (state ${objection.state})`);
const refused = await alliance.api.POST('/v1/rounds/{id}/award', { params: { path } });
console.log(`  award during the notice period → ${refused.response.status} ${refused.error?.type}`);
const decided = await must(alliance.api.POST('/v1/rounds/{id}/objections/{oid}/decision', {
  params: { path: { id: round.id, oid: objection.id } }, body: { decision: 'dismissed', reason: '文件已补齐 (documents complete)' },
}));
step(`objection ${decided.state}: ${decided.decisionReason}`);
await must(makers[2].api.PUT('/v1/rounds/{id}/region-preferences/{itemCode}', { params: { path: itemPath }, body: { regionCodes: ['110000'] } }));
const wait = (opened.noticeEndsAt ? new Date(opened.noticeEndsAt).getTime() : 0) - Date.now();
step(`waiting ${Math.max(0, Math.ceil(wait / 1000))} s for the notice period to end`);
await sleep(wait + 200);
await must(alliance.api.POST('/v1/rounds/{id}/award', { params: { path } }));
step('awarded');

const nameOf = (id: string | null) => makers.find((m) => m.id === id)?.label ?? hospitals.find((h) => h.id === id)?.name ?? id;
for (const item of results.items) {
  console.log(`\n${item.itemCode}: ${item.outcome}, ${item.eligibleBidders} eligible, lowest ${item.lowest}, ${item.maxWinners} winners max, ratio ${item.agreedVolumeRatio}, price drop ${item.priceDrop}`);
  console.table(item.bids.map((b) => ({
    bidder: nameOf(b.manufacturerId), packagePrice: b.packagePrice, unitPrice: b.unitPrice, comparable: b.comparableUnitPrice,
    eligible: b.eligible ? 'yes' : `no: ${b.reason}`, candidateBy: b.candidateBy, rank: b.rank, winner: b.winner,
  })));
}
const agreements = await must(alliance.api.GET('/v1/rounds/{id}/agreements', { params: { path } }));
console.table(agreements.data.map((a) => ({ hospital: nameOf(a.hospitalId), supplier: nameOf(a.manufacturerId), demand: a.demand, agreed: a.agreedQuantity, comparableUnitPrice: a.comparableUnitPrice })));
const final = await must(alliance.api.GET('/v1/rounds/{id}/results', { params: { path } }));
console.log(`average drop ${final.round.averageDrop}, volume-weighted drop ${final.round.weightedDrop}`);

// Rule simulation: the same bids under the 4+7 pilot's rules, beside the real result (nothing is written but an audit event).
const sim = await must(alliance.api.POST('/v1/rounds/{id}/simulations', { params: { path }, body: { rules: { preset: 'pilot-4+7' } } }));
step('simulation under pilot-4+7, beside the real result (nvbp)');
const real = final.items[0], simulated = sim.items[0];
console.table(real.bids.map((b) => {
  const s = simulated.bids.find((x) => x.manufacturerId === b.manufacturerId);
  return { bidder: nameOf(b.manufacturerId), comparable: b.comparableUnitPrice, 'nvbp rank': b.rank, 'nvbp winner': b.winner, 'pilot-4+7 rank': s?.rank, 'pilot-4+7 winner': s?.winner };
}));
console.table({
  nvbp: { winners: real.bids.filter((b) => b.winner).length, agreedVolumeRatio: real.agreedVolumeRatio, priceDrop: real.priceDrop, weightedDrop: final.round.weightedDrop },
  'pilot-4+7': { winners: simulated.bids.filter((b) => b.winner).length, agreedVolumeRatio: simulated.agreedVolumeRatio, priceDrop: simulated.priceDrop, weightedDrop: sim.round.weightedDrop },
});

// 履约: the contract period. 广州医院 reports this month: its agreement's product (ordered, received, paid a little above
// the award) and some bought off the platform; its supplier reports what it shipped. Monitoring and alerts follow.
const gz = hospitals[0];
const own = (await must(gz.api.GET('/v1/rounds/{id}/agreements', { params: { path } }))).data[0];
const supplier = makers.find((m) => m.id === own.manufacturerId);
if (!supplier) throw new Error(`no supplier for ${gz.name}`);
const ordered = Math.round(own.agreedQuantity / 12), received = Math.round(ordered * 0.93), shipped = ordered + 20;
const paid = D(own.comparableUnitPrice).plus('0.02');
const usage = await must(gz.api.PUT('/v1/rounds/{id}/usage', {
  params: { path },
  ...jsonRows([
    { period: month, itemCode: 'ATV20', productId: own.productId, orderedQuantity: ordered, receivedQuantity: received, amount: fmt4(paid.times(received)) ?? '0' },
    { period: month, itemCode: 'ATV20', orderedQuantity: 60, receivedQuantity: 60, amount: '150.0000' },
  ]),
}));
step(`${gz.name} reports ${month}: ordered ${ordered}, received ${received} of ${supplier.label} at ${fmt4(paid)} (award ${own.comparableUnitPrice}), 60 off the platform (${usage.rows} rows)`);
const deliveries = await must(supplier.api.PUT('/v1/rounds/{id}/deliveries', {
  params: { path }, ...jsonRows([{ hospitalId: gz.id, period: month, itemCode: 'ATV20', shippedQuantity: shipped }]),
}));
step(`${supplier.label} reports ${shipped} shipped to ${gz.name} (${deliveries.rows} row)`);

const monitoring = await must(alliance.api.GET('/v1/rounds/{id}/monitoring', { params: { path, query: { groupBy: 'item', asOf: month } } }));
step(`monitoring at ${monitoring.asOf}, ${monitoring.monthsElapsed} month(s) elapsed, by item`);
console.table(monitoring.rows.map((r) => ({
  item: r.key, agreed: r.agreedQuantity, expected: r.expected, used: r.used, nonWinning: r.nonWinningUsed, ordered: r.ordered,
  completion: r.completion, progress: r.progress, fulfilment: r.fulfilment, amount: r.amount, savings: r.savings, paidUnitPrice: r.paidUnitPrice, actualDrop: r.actualDrop,
})));
const alerts = await must(alliance.api.GET('/v1/rounds/{id}/alerts', { params: { path, query: { asOf: month } } }));
step(`${alerts.data.length} alert(s)`);
for (const a of alerts.data) console.log(`  ${a.type}: ${nameOf(a.hospitalId)} / ${nameOf(a.manufacturerId)} ${a.itemCode}${a.period ? ` ${a.period}` : ''}: ${a.value} (threshold ${a.threshold})`);

// The round summary as an html report, built by a job: poll until it is done, then fetch the document.
const queued = await must(alliance.api.POST('/v1/rounds/{id}/reports', { params: { path }, body: { kind: 'round_summary', format: 'html' } }));
const reportPath = { id: queued.id };
let report = await must(alliance.api.GET('/v1/reports/{id}', { params: { path: reportPath } }));
while (report.status === 'queued' || report.status === 'running') {
  await sleep(250);
  report = await must(alliance.api.GET('/v1/reports/{id}', { params: { path: reportPath } }));
}
if (report.status !== 'done') throw new Error(`report ${report.id} ${report.status}: ${report.error}`);
const file = await alliance.api.GET('/v1/reports/{id}/file', { params: { path: reportPath }, parseAs: 'arrayBuffer' });
if (!file.response.ok || !file.data) throw new Error(`report file → ${file.response.status}`);
step(`report ${report.id} (${report.kind}, ${report.format}) done: ${file.data.byteLength} bytes of ${file.response.headers.get('content-type')}`);
step(`demo done in ${Math.round((Date.now() - started) / 1000)} s`);
