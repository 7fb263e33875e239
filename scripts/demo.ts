/**
 * npm run demo: drives a whole small round over HTTP against a running server
 * (npm start in another terminal; in production mode a worker too, `npm run worker`,
 * since the round starts bidding and opens itself) and prints the results table:
 * an enquiry answered, the scheduler starting bidding and opening the bids, a
 * notice period of one minute with one objection dismissed, the award, and a
 * simulation under pilot-4+7 beside the real result. It takes about 90 s.
 *   JICAI_URL (default http://127.0.0.1:3000), JICAI_MASTER_KEY (default: read from ./data/master-key)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.JICAI_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const keyFile = join(process.env.JICAI_DATA_DIR ?? './data', 'master-key');
const master = process.env.JICAI_MASTER_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '');
if (!master) { console.error(`No operator key: set JICAI_MASTER_KEY or start the server once so that ${keyFile} exists.`); process.exit(1); }

async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}
const step = (s: string) => console.log(`• ${s}`);

const tag = Date.now().toString(36);
async function organization(input: Record<string, unknown>) {
  const o = await call(master, 'POST', '/v1/organizations', input);
  const t = await call(master, 'POST', `/v1/organizations/${o.id}/tokens`, { name: 'demo' });
  return { id: o.id as string, name: input.name as string, token: t.token as string };
}

step(`jicai at ${base}`);
const alliance = await organization({ kind: 'alliance', name: `三省联盟 ${tag}`, regionCode: '440000', regionCodes: ['440000', '320000', '330000', '110000'] });
const hospitals = await Promise.all([
  ['广州医院', '440103', 10000], ['深圳医院', '440304', 5000], ['南京医院', '320102', 6000], ['杭州医院', '330106', 3000], ['北京医院', '110105', 1999],
].map(async ([name, regionCode, quantity]) => ({ ...(await organization({ kind: 'hospital', name: `${name} ${tag}`, regionCode })), quantity: quantity as number })));
step(`alliance, ${hospitals.length} hospitals`);

const offers: [string, string, number, string, string][] = [
  ['药企甲', '20', 28, 'consistency_passed', '16.80'], ['药企乙', '10', 14, 'originator', '4.20'], ['药企丙', '40', 7, 'reference', '6.30'],
  ['药企丁', '20', 7, 'consistency_passed', '6.44'], ['药企戊', '20', 10, 'not_evaluated', '3.00'], ['药企己', '20', 10, 'consistency_passed', '12.00'],
];
const makers: { id: string; name: string; token: string; productId: string; price: string; label: string }[] = [];
for (const [name, mg, packSize, qualityTier, price] of offers) {
  const m = await organization({ kind: 'manufacturer', name: `${name} ${tag}`, regionCode: '310000' });
  const p = await call(m.token, 'POST', '/v1/products', {
    genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: mg, unit: 'mg' }, packSize, approvalNumber: `国药准字H${tag}${makers.length}`, qualityTier,
  });
  await call(alliance.token, 'POST', `/v1/products/${p.id}/verify`);
  makers.push({ ...m, productId: p.id as string, price, label: `${name} ${mg} mg × ${packSize}` });
}
step(`${makers.length} manufacturers with verified products`);

// The round schedules itself: bidding starts at bidOpensAt and the bids are opened at bidClosesAt by the scheduler
// (embedded mode: the in-process runner; production: BullMQ delayed jobs, run by `npm run worker`).
const now = Date.now();
const round = await call(alliance.token, 'POST', '/v1/rounds', {
  name: `阿托伐他汀钙片 ${tag}`, rules: { preset: 'nvbp', noticeMinutes: 1 }, contractMonths: 12,
  bidOpensAt: new Date(now + 8_000).toISOString(), bidClosesAt: new Date(now + 16_000).toISOString(), autoStartBidding: true, autoOpen: true,
});
await call(alliance.token, 'POST', `/v1/rounds/${round.id}/items`, {
  code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
  referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7', maxUnitPrice: '3.0000', baselineUnitPrice: '2.5000',
});
await call(alliance.token, 'POST', `/v1/rounds/${round.id}/publish`);
step(`round ${round.id} published (preset nvbp, a notice period of 1 minute; autoStartBidding at ${round.bidOpensAt}, autoOpen at ${round.bidClosesAt})`);

// 答疑: a manufacturer asks, the alliance answers; every participant reads both, only the alliance and the asker see who asked.
const enquiry = await call(makers[1].token, 'POST', `/v1/rounds/${round.id}/enquiries`, { itemCode: 'ATV20', question: '10 mg 规格按什么比价？(How is a 10 mg tablet compared?)' });
await call(alliance.token, 'PUT', `/v1/rounds/${round.id}/enquiries/${enquiry.id}/answer`, { answer: '按 r = 1.7 折算到 20 mg。(Converted to 20 mg at r = 1.7: 0.30 × 1.7 = 0.51.)' });
const read = await call(hospitals[0].token, 'GET', `/v1/rounds/${round.id}/enquiries`);
step(`enquiry answered; a hospital reads: "${read.data[0].question}" → "${read.data[0].answer}" (askedBy: ${read.data[0].askedBy})`);

for (const h of hospitals) {
  await call(h.token, 'PUT', `/v1/rounds/${round.id}/demand/ATV20`, {
    quantity: h.quantity, ...(h.name.startsWith('杭州') ? { preferredManufacturerId: makers[3].id } : {}),
  });
}
step('demand reported by every hospital');

async function waitFor(state: string, what: string) {
  console.log(`  waiting for the scheduler to ${what}…`);
  for (;;) {
    const r = await call(alliance.token, 'GET', `/v1/rounds/${round.id}`);
    if (r.state === state) return r;
    if (r.state !== 'demand' && r.state !== 'bidding') throw new Error(`the round is ${r.state}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}
const bidding = await waitFor('bidding', 'start bidding');
console.log(`  bidding started by the scheduler at ${bidding.updatedAt} (bidOpensAt ${bidding.bidOpensAt})`);
for (const m of makers) {
  const r = await call(m.token, 'PUT', `/v1/rounds/${round.id}/bids/ATV20`, { productId: m.productId, packagePrice: m.price });
  console.log(`  sealed bid of ${m.label}: receipt ${r.receipt.digest.slice(0, 16)}…`);
}
const opened = await waitFor('opened', 'open the bids');
const audit = await call(alliance.token, 'GET', `/v1/rounds/${round.id}/audit?limit=1000`);
const openedEvent = audit.data.find((e: any) => e.type === 'round.opened');
console.log(`  the round opened itself at ${opened.openedAt} (bidClosesAt ${opened.bidClosesAt}; audit actor "${openedEvent.actor}")`);
step(`notice period (公示) until ${opened.noticeEndsAt}`);
const results = await call(alliance.token, 'GET', `/v1/rounds/${round.id}/results`);

// 异议: 药企己 (no winner) objects to 药企丁's bid; the alliance dismisses it. Award waits for the period and every decision.
const objection = await call(makers[5].token, 'POST', `/v1/rounds/${round.id}/objections`, { itemCode: 'ATV20', manufacturerId: makers[3].id, reason: '质量证明文件不全 (incomplete quality documents)' });
step(`objection ${objection.id} filed against ${makers[3].label} (state ${objection.state})`);
const refused = await fetch(`${base}/v1/rounds/${round.id}/award`, { method: 'POST', headers: { authorization: `Bearer ${alliance.token}` } });
console.log(`  award during the notice period → ${refused.status} ${(await refused.json()).type}`);
const decided = await call(alliance.token, 'POST', `/v1/rounds/${round.id}/objections/${objection.id}/decision`, { decision: 'dismissed', reason: '文件已补齐 (documents complete)' });
step(`objection ${decided.state}: ${decided.decisionReason}`);
await call(makers[2].token, 'PUT', `/v1/rounds/${round.id}/region-preferences/ATV20`, { regionCodes: ['110000'] });
const wait = new Date(opened.noticeEndsAt).getTime() - Date.now();
step(`waiting ${Math.max(0, Math.ceil(wait / 1000))} s for the notice period to end`);
await new Promise((r) => setTimeout(r, Math.max(0, wait) + 200));
await call(alliance.token, 'POST', `/v1/rounds/${round.id}/award`);
step('awarded');

const nameOf = (id: string) => makers.find((m) => m.id === id)?.label ?? hospitals.find((h) => h.id === id)?.name ?? id;
for (const item of results.items) {
  console.log(`\n${item.itemCode}: ${item.outcome}, ${item.eligibleBidders} eligible, lowest ${item.lowest}, ${item.maxWinners} winners max, ratio ${item.agreedVolumeRatio}, price drop ${item.priceDrop}`);
  console.table(item.bids.map((b: any) => ({
    bidder: nameOf(b.manufacturerId), packagePrice: b.packagePrice, unitPrice: b.unitPrice, comparable: b.comparableUnitPrice,
    eligible: b.eligible ? 'yes' : `no: ${b.reason}`, candidateBy: b.candidateBy, rank: b.rank, winner: b.winner,
  })));
}
const agreements = await call(alliance.token, 'GET', `/v1/rounds/${round.id}/agreements`);
console.table(agreements.data.map((a: any) => ({ hospital: nameOf(a.hospitalId), supplier: nameOf(a.manufacturerId), demand: a.demand, agreed: a.agreedQuantity, comparableUnitPrice: a.comparableUnitPrice })));
const final = await call(alliance.token, 'GET', `/v1/rounds/${round.id}/results`);
console.log(`average drop ${final.round.averageDrop}, volume-weighted drop ${final.round.weightedDrop}`);

// Rule simulation: the same bids under the 4+7 pilot's rules, beside the real result (nothing is written but an audit event).
const sim = await call(alliance.token, 'POST', `/v1/rounds/${round.id}/simulations`, { rules: { preset: 'pilot-4+7' } });
step('simulation under pilot-4+7, beside the real result (nvbp)');
const real = final.items[0], simulated = sim.items[0];
console.table(real.bids.map((b: any) => {
  const s = simulated.bids.find((x: any) => x.manufacturerId === b.manufacturerId);
  return { bidder: nameOf(b.manufacturerId), comparable: b.comparableUnitPrice, 'nvbp rank': b.rank, 'nvbp winner': b.winner, 'pilot-4+7 rank': s.rank, 'pilot-4+7 winner': s.winner };
}));
console.table({
  nvbp: { winners: real.bids.filter((b: any) => b.winner).length, agreedVolumeRatio: real.agreedVolumeRatio, priceDrop: real.priceDrop, weightedDrop: final.round.weightedDrop },
  'pilot-4+7': { winners: simulated.bids.filter((b: any) => b.winner).length, agreedVolumeRatio: simulated.agreedVolumeRatio, priceDrop: simulated.priceDrop, weightedDrop: sim.round.weightedDrop },
});
