/**
 * Monitoring at national scale (issue #12): usage ingestion of one month for every agreement
 * of the awarded national round against psql \copy of the same file (measured in the same run),
 * then eleven more months, then the reads: GET /monitoring by each groupBy, the first alerts
 * page, a hospital's and the largest supplier's views, and the price history.
 *   BENCH_MONITORING_MONTHS (12): months of usage to upload.
 */
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DIR, apiClient, fmtInt, medianMs, psql, psqlTimed, relationMB, rssPeak, seconds, upload, type Section, type Target } from './common.js';
import { DB, type National } from './national.js';

const MONTHS = Number(process.env.BENCH_MONITORING_MONTHS ?? 12);

/** The round's agreements with string ids, the agreement's product and its comparable price (ten-thousandths), in key order. */
function dumpAgreements(roundId: string, file: string) {
  // By the round's number, as the API reads the view: joined through rounds.id the planner expects one agreement and
  // nests a scan of every hospital inside each allocation (an hour at national scale instead of seconds).
  const no = psql(DB, `SELECT no FROM rounds WHERE id = '${roundId}'`).trim();
  psqlTimed(DB, `\\copy (SELECT h.id, i.code, p.id, a.agreed_quantity, (round(a.comparable_unit_price, 4) * 10000)::bigint, i.no - 1 FROM agreements a JOIN organizations h ON h.no = a.hospital_no JOIN items i ON i.round_id = '${roundId}' AND i.no = a.item_no JOIN products p ON p.no = a.product_no WHERE a.round_no = ${no} ORDER BY a.hospital_no, a.item_no) TO '${file}'`);
}

const money = (tenThousandths: number) => `${Math.floor(tenThousandths / 10000)}.${String(tenThousandths % 10000).padStart(4, '0')}`;

/**
 * One month of usage for every agreement: its own product (received ≈ agreed / 12 × 0.6…1.19, so some agreements fall behind;
 * every 20th ordered more than it received; every 50th paid 0.01 above the award), and for every 25th agreement a second line
 * bought from another manufacturer (non-winning use).
 */
async function writeMonth(n: National, agreementsFile: string, file: string, month: number): Promise<number> {
  const period = `2026-${String(month).padStart(2, '0')}`;
  const w = createWriteStream(file);
  w.write('hospitalId,period,itemCode,productId,orderedQuantity,receivedQuantity,amount\n');
  let j = 0, rows = 0, chunk = '';
  for await (const line of createInterface({ input: createReadStream(agreementsFile) })) {
    const [hospital, item, product, agreedText, priceText, itemIndex] = line.split('\t');
    const agreed = Number(agreedText), price = Number(priceText) + (j % 50 === 0 ? 100 : 0);
    const received = Math.floor((agreed / 12) * (0.6 + ((j * 31 + month * 7) % 60) / 100));
    const ordered = received + (j % 20 === 0 ? Math.ceil(received * 0.1) : 0);
    chunk += `${hospital},${period},${item},${product},${ordered},${received},${money(received * price)}\n`;
    rows++;
    if (j % 25 === 0) {
      let other = n.makers[(j + month) % n.makers.length].products[Number(itemIndex)];
      if (other === product) other = n.makers[(j + month + 1) % n.makers.length].products[Number(itemIndex)];
      chunk += `${hospital},${period},${item},${other},20,20,${money(20 * 12000)}\n`;
      rows++;
    }
    j++;
    if (chunk.length > 1 << 20) { if (!w.write(chunk)) await once(w, 'drain'); chunk = ''; }
  }
  w.write(chunk);
  w.end(); await once(w, 'finish');
  return rows;
}

export async function run(n: National): Promise<Section> {
  const round = n.roundId;
  const agreementsFile = `${DIR}/monitoring-agreements.tsv`;
  dumpAgreements(round, agreementsFile);
  const agreements = Number(psql(DB, `SELECT count(*) FROM agreements WHERE round_no = (SELECT no FROM rounds WHERE id = '${round}')`).trim());

  // ---- month 1: psql \copy of the file into a table of its columns keyed by its key, then the API
  const file = `${DIR}/usage.csv`;
  const rows = await writeMonth(n, agreementsFile, file, 1);
  const fileMB = statSync(file).size / 1e6;
  psql(DB, `CREATE TABLE copy_usage (hospital_id text NOT NULL, period text NOT NULL, item_code text NOT NULL, product_id text NOT NULL,
    ordered_quantity integer NOT NULL, received_quantity integer NOT NULL, amount numeric NOT NULL,
    PRIMARY KEY (hospital_id, period, item_code, product_id))`);
  psql(DB, 'CHECKPOINT');
  const copyMs = psqlTimed(DB, `\\copy copy_usage FROM '${file}' WITH (FORMAT csv, HEADER true)`);
  const copySize = relationMB(DB, 'copy_usage');
  psql(DB, 'DROP TABLE copy_usage');
  psql(DB, 'CHECKPOINT');
  // The round's agreements are materialized at its first monitoring read or write: once, outside the measured upload.
  const prepare = Date.now();
  await n.alliance.api('GET', `/v1/rounds/${round}/monitoring?groupBy=item&asOf=2026-01`);
  const prepareMs = Date.now() - prepare;
  const rss = rssPeak(n.pid);
  const first = await upload(n.api.url, 'PUT', `/v1/rounds/${round}/usage`, n.alliance.token, file, 'text/csv');
  const peak = rss.stop();
  const ratio = copyMs / first.ms;

  // ---- months 2 … MONTHS, then a replacement of month 1 (every key again: the upsert path)
  const monthMs: number[] = [first.ms];
  for (let m = 2; m <= MONTHS; m++) {
    await writeMonth(n, agreementsFile, file, m);
    monthMs.push((await upload(n.api.url, 'PUT', `/v1/rounds/${round}/usage`, n.alliance.token, file, 'text/csv')).ms);
    console.log(`usage month ${m}: ${seconds(monthMs[monthMs.length - 1])} s`);
  }
  await writeMonth(n, agreementsFile, file, 1);
  const replaceMs = (await upload(n.api.url, 'PUT', `/v1/rounds/${round}/usage`, n.alliance.token, file, 'text/csv')).ms;
  rmSync(file, { force: true });
  psql(DB, 'ANALYZE usage');

  // ---- reads after MONTHS months
  const asOf = `2026-${String(MONTHS).padStart(2, '0')}`;
  const runs = 5;
  const groupMs: Record<string, number> = {};
  for (const g of ['item', 'hospital', 'region', 'manufacturer']) {
    groupMs[g] = await medianMs(runs, () => n.alliance.api('GET', `/v1/rounds/${round}/monitoring?groupBy=${g}&asOf=${asOf}`));
  }
  // By hospital at earlier months: the totals less the months after asOf (fewer), and the months up to asOf summed.
  const earlier = { minus: `2026-${String(Math.max(1, MONTHS - 2)).padStart(2, '0')}`, months: `2026-${String(Math.max(1, Math.floor(MONTHS / 2))).padStart(2, '0')}` };
  const earlierMs = {
    minus: await medianMs(3, () => n.alliance.api('GET', `/v1/rounds/${round}/monitoring?groupBy=hospital&asOf=${earlier.minus}`)),
    months: await medianMs(3, () => n.alliance.api('GET', `/v1/rounds/${round}/monitoring?groupBy=hospital&asOf=${earlier.months}`)),
  };
  const alertsMs = await medianMs(runs, () => n.alliance.api('GET', `/v1/rounds/${round}/alerts?asOf=${asOf}`));
  const alertTypes: Record<string, number> = {};
  for (const t of ['delivery_mismatch', 'price_above_award', 'supply_shortfall']) {
    alertTypes[t] = await medianMs(3, () => n.alliance.api('GET', `/v1/rounds/${round}/alerts?asOf=${asOf}&type=${t}`));
  }
  const historyMs = await medianMs(runs, () => n.alliance.api('GET', '/v1/price-history?genericName=generic-0&dosageForm=tablet'));
  const hospital = n.hospitalIds[Math.floor(n.hospitalIds.length / 2)];
  const asHospital = apiClient(n.api.url, await n.token(hospital));
  const hospitalMs = await medianMs(runs, () => asHospital('GET', `/v1/rounds/${round}/monitoring?groupBy=item&asOf=${asOf}`));
  const largest = psql(DB, `SELECT manufacturer_id, sum(hospitals) FROM award_totals WHERE round_id = '${round}' GROUP BY 1 ORDER BY 2 DESC LIMIT 1`).trim().split('|');
  const maker = n.makers.find((m) => m.id === largest[0])!;
  const makerItemMs = await medianMs(runs, () => maker.api('GET', `/v1/rounds/${round}/monitoring?groupBy=item&asOf=${asOf}`));
  const makerHospitalMs = await medianMs(3, () => maker.api('GET', `/v1/rounds/${round}/monitoring?groupBy=hospital&asOf=${asOf}`));
  const makerAlertsMs = await medianMs(3, () => maker.api('GET', `/v1/rounds/${round}/alerts?asOf=${asOf}`));
  const sample = await n.alliance.api('GET', `/v1/rounds/${round}/monitoring?groupBy=item&asOf=${asOf}`);
  const sizes = ['usage', 'monitoring_agreements', 'monitoring_groups', 'monitoring_hospitals', 'monitoring_agreed', 'monitoring_agreed_hospitals']
    .map((t) => `| ${t} | ${fmtInt(Number(psql(DB, `SELECT count(*) FROM ${t}`).trim()))} | ${relationMB(DB, t).toFixed(1)} MB |`).join('\n');

  const worstGroup = Math.max(...Object.values(groupMs));
  const targets: Target[] = [
    { target: 'usage ingestion of one month ≥ 0.5× psql \\copy of the same file into its own table', measured: `${ratio.toFixed(2)}×`, met: ratio >= 0.5 },
    { target: 'API RSS < 300 MB while streaming usage', measured: `${peak.toFixed(0)} MiB`, met: peak < 300 },
    { target: `GET /monitoring, each groupBy, after ${MONTHS} months < 1 s`, measured: `${worstGroup.toFixed(0)} ms (slowest)`, met: worstGroup < 1000 },
    { target: 'first alerts page < 1 s', measured: `${alertsMs.toFixed(0)} ms`, met: alertsMs < 1000 },
    { target: 'price history < 200 ms', measured: `${historyMs.toFixed(0)} ms`, met: historyMs < 200 },
  ];
  const rate = (ms: number) => fmtInt(rows / (ms / 1000));
  return {
    title: 'Monitoring: usage ingestion and reads',
    body: `The awarded national round: ${fmtInt(agreements)} agreements, contract 2026-01 … 2026-12. One month of usage is ${fmtInt(rows)} lines
(every agreement's own product, and for every 25th agreement a second line of another manufacturer's product), a CSV of ${fileMB.toFixed(0)} MB
(\`hospitalId,period,itemCode,productId,orderedQuantity,receivedQuantity,amount\`).

| path | time | rows/s | table + indexes |
|---|---|---|---|
| psql \\copy into a table of the file's columns, primary key (hospital_id, period, item_code, product_id) | ${seconds(copyMs)} s | ${rate(copyMs)} | ${copySize.toFixed(0)} MB |
| API: PUT /v1/rounds/{id}/usage, month 1 (${first.body.rows} rows, rollups included) | **${seconds(first.ms)} s** | **${rate(first.ms)}** | |

Ratio API / psql \\copy: **${ratio.toFixed(2)}×**. API peak RSS while streaming: **${peak.toFixed(0)} MiB** (${rss.start.toFixed(0)} MiB as the upload began: the upload itself added ${(peak - rss.start).toFixed(0)} MiB).
Months 2 … ${MONTHS}: ${monthMs.slice(1).map((ms) => seconds(ms)).join(', ')} s; month 1 again (every key replaced): ${seconds(replaceMs)} s.
The round's agreements were materialized at the first monitoring read (once per round): ${seconds(prepareMs)} s.

Reads at asOf ${asOf} over HTTP (medians of ${runs} calls unless said):

| read | time |
|---|---|
| GET /monitoring?groupBy=item (alliance) | ${groupMs.item.toFixed(0)} ms |
| GET /monitoring?groupBy=hospital (alliance, ${fmtInt(n.hospitalIds.length)} rows: the hospitals' all-month totals) | ${groupMs.hospital.toFixed(0)} ms |
| … at asOf ${earlier.minus} (the totals less the later months, median of 3) | ${earlierMs.minus.toFixed(0)} ms |
| … at asOf ${earlier.months} (the months up to asOf summed, median of 3) | ${earlierMs.months.toFixed(0)} ms |
| GET /monitoring?groupBy=region (alliance) | ${groupMs.region.toFixed(0)} ms |
| GET /monitoring?groupBy=manufacturer (alliance) | ${groupMs.manufacturer.toFixed(0)} ms |
| GET /alerts, first page (alliance) | ${alertsMs.toFixed(0)} ms |
| GET /alerts?type=delivery_mismatch / price_above_award / supply_shortfall (median of 3) | ${alertTypes.delivery_mismatch.toFixed(0)} / ${alertTypes.price_above_award.toFixed(0)} / ${alertTypes.supply_shortfall.toFixed(0)} ms |
| GET /monitoring?groupBy=item (a hospital) | ${hospitalMs.toFixed(0)} ms |
| GET /monitoring?groupBy=item (the largest supplier, ${fmtInt(Number(largest[1]))} agreements) | ${makerItemMs.toFixed(0)} ms |
| GET /monitoring?groupBy=hospital (the largest supplier, median of 3) | ${makerHospitalMs.toFixed(0)} ms |
| GET /alerts, first page (the largest supplier, median of 3) | ${makerAlertsMs.toFixed(0)} ms |
| GET /v1/price-history | ${historyMs.toFixed(0)} ms |

Item ${sample.rows[0]?.key}: used ${fmtInt(sample.rows[0]?.used ?? 0)}, completion ${sample.rows[0]?.completion}, paidUnitPrice ${sample.rows[0]?.paidUnitPrice}.

How: usage is keyed by integers (round, hospital, item, month number, product; 0 = no product). An upload goes by COPY into an unlogged
staging table and one statement merges it: the upsert of the given keys, and the deltas (new − replaced rows, read from the same snapshot; the
round row is locked so a round's uploads run one at a time) of the keys that belong to agreements, classified by the agreement's product and added
to three rollups: per month × (item, province, manufacturer), per month × hospital, and per hospital over all months (beside its agreed quantity,
migration 0008). The grouped reads of the alliance, the operator and (except by hospital) the manufacturers sum these rollups beside the agreed
totals fixed at award (monitoring_agreed*), never the usage rows. By hospital, the round's 50,000 rows are its hospitals' totals as kept when no
month after asOf holds usage (the default asOf, the current month, since later months are refused); otherwise the totals less the months after
asOf, or the months up to asOf summed, whichever reads fewer months. Figures (ratios, rounding) are computed in SQL beside the sums (the twin of
src/rules/monitoring.ts figures(), tested against it; ratios of integer sums in int8 arithmetic, migration 0009), the hospital ids come by one
hash join, PostgreSQL writes each row's JSON (row_to_json) and the API sends the rows as written, and the API runs without JIT. A hospital's
reads, and a manufacturer's by hospital, sum the usage of their own agreements. Alerts walk the caller's agreements in key order, each summing its
own usage rows by primary key in a correlated aggregate (no hash built per row) and listing its alerts in a per-agreement subquery, under one
LIMIT, so a page costs its rows (a \`?type=\` whose alerts are rare walks further).
Usage is not partitioned: every read is either a rollup or a primary-key range of one agreement, so partitions by month would add planning and
per-partition indexes without saving a page read.

| table | rows | size |
|---|---|---|
${sizes}`,
    targets,
  };
}
