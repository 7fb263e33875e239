/**
 * Reads of the awarded national round at scale: a hospital's agreements and a
 * manufacturer's first page (the largest and the smallest supplier), and the
 * round's size in the database.
 */
import { fmtInt, medianMs, psql, type Section } from './common.js';
import { DB, type National } from './national.js';

export async function run(n: National): Promise<Section> {
  const round = n.roundId;
  const hospital = n.hospitalIds[Math.floor(n.hospitalIds.length / 2)];
  const hospitalToken = await n.token(hospital);
  const asHospital = (await import('./common.js')).apiClient(n.api.url, hospitalToken);
  const suppliers = psql(DB, `SELECT manufacturer_id, hospitals FROM award_totals WHERE round_id = '${round}' ORDER BY hospitals DESC`).trim().split('\n')
    .map((l) => l.split('|')).reduce((m, [id, h]) => m.set(id, (m.get(id) ?? 0) + Number(h)), new Map<string, number>());
  const ranked = [...suppliers.entries()].sort((a, b) => b[1] - a[1]);
  const [largest, smallest] = [ranked[0], ranked[ranked.length - 1]];
  const makerOf = (id: string) => n.makers.find((m) => m.id === id)!;
  const runs = 7;
  const hospitalMs = await medianMs(runs, () => asHospital('GET', `/v1/rounds/${round}/agreements`));
  const largestMs = await medianMs(runs, () => makerOf(largest[0]).api('GET', `/v1/rounds/${round}/agreements`));
  const smallestMs = await medianMs(runs, () => makerOf(smallest[0]).api('GET', `/v1/rounds/${round}/agreements`));
  const allianceMs = await medianMs(runs, () => n.alliance.api('GET', `/v1/rounds/${round}/agreements?limit=1000`));
  const size = (rel: string) => Number(psql(DB, `SELECT pg_total_relation_size('${rel}')`).trim()) / 1e6;
  const tables = ['demand', 'allocations', 'award_winners', 'award_totals', 'item_results', 'bid_results', 'bids', 'items'];
  const sizes = tables.map((t) => `| ${t} | ${size(t).toFixed(1)} MB |`).join('\n');
  const worst = Math.max(hospitalMs, largestMs, smallestMs);
  return {
    title: 'Agreements at national scale, and the round in the database',
    body: `GET /v1/rounds/{id}/agreements on the awarded national round (${fmtInt(n.hospitalIds.length * n.itemCodes.length)} agreements), medians of ${runs} calls over HTTP:

| caller | first page |
|---|---|
| a hospital (its own, ${n.itemCodes.length} agreements) | ${hospitalMs.toFixed(1)} ms |
| the largest supplier (${fmtInt(largest[1])} agreements) | ${largestMs.toFixed(1)} ms |
| the smallest supplier (${fmtInt(smallest[1])} agreements) | ${smallestMs.toFixed(1)} ms |
| the alliance, limit=1000 | ${allianceMs.toFixed(1)} ms |

A hospital's agreements are a key range of demand (hospital first in its key). A manufacturer's page walks the small hospital table in key order, keeps
the hospitals of its supply units (and those that prefer it), and probes demand by primary key for each: the LIMIT stops the walk, so neither supplier
makes it read the round's demand.

Tables and indexes of the national round (pg_total_relation_size, the whole table: this database holds the national round and the bid-throughput round):

| table | size |
|---|---|
${sizes}`,
    targets: [{ target: "a hospital's agreements and a manufacturer's first page < 100 ms", measured: `${worst.toFixed(1)} ms (slowest)`, met: worst < 100 }],
  };
}
