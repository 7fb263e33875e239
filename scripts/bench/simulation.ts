/**
 * Rule simulation at national scale (issue #15: ≤ 3 s): POST /simulations on
 * the awarded national round (60 items, 50,000 hospitals, 1,000 bids) under
 * each preset. A simulation evaluates every item with the pure rules and runs
 * award's set-based allocation over the round's 3,000,000 demand rows in a
 * transaction it rolls back; the round's own rules must give its results.
 */
import { fmtInt, timed, type Section } from './common.js';
import type { National } from './national.js';

const PRESETS = ['nvbp', 'pilot-4+7', 'anchor-2025'] as const;

export async function run(n: National): Promise<Section> {
  const path = `/v1/rounds/${n.roundId}/simulations`;
  const round = await n.alliance.api('GET', `/v1/rounds/${n.roundId}`);
  const results = await n.alliance.api('GET', `/v1/rounds/${n.roundId}/results`);
  const runs = 3;
  const rows: string[] = [];
  let worst = 0;
  let same = false;
  for (const preset of PRESETS) {
    const rules = preset === round.rules.preset ? round.rules : { preset };
    const times: number[] = [];
    let last: { round: { awardedItems: number; averageDrop: string | null; weightedDrop: string | null }; items: unknown[] } | null = null;
    for (let i = 0; i < runs; i++) {
      const { value, ms } = await timed(() => n.alliance.api('POST', path, { rules }));
      times.push(ms);
      last = value;
    }
    if (preset === round.rules.preset) same = JSON.stringify({ round: last!.round, items: last!.items }) === JSON.stringify(results);
    const slowest = Math.max(...times);
    worst = Math.max(worst, slowest);
    rows.push(`| ${preset}${preset === round.rules.preset ? " (the round's own)" : ''} | ${times.map((t) => (t / 1000).toFixed(2)).join(' / ')} s | ${last!.round.awardedItems} | ${last!.round.averageDrop} | ${last!.round.weightedDrop} |`);
  }
  return {
    title: 'Rule simulation at national scale',
    body: `POST /v1/rounds/{id}/simulations on the awarded national round (${n.itemCodes.length} items, ${fmtInt(n.hospitalIds.length)} hospitals,
${fmtInt(n.hospitalIds.length * n.itemCodes.length)} demand rows), ${runs} calls per preset over HTTP, each answering with every item's bids:

| rules | wall time per call | awardedItems | averageDrop | weightedDrop |
|---|---|---|---|---|
${rows.join('\n')}

The round's own rules give exactly its results (GET /results, weightedDrop included): ${same ? 'yes' : '**no**'}. A simulation
replaces the round's results by the simulated ones inside a transaction, runs award's stage → allocate → freeze → totals, reads
the answer as GET /results does and rolls back: nothing stays but the audit event.`,
    targets: [
      { target: 'a simulation at national scale ≤ 3 s', measured: `${(worst / 1000).toFixed(2)} s (slowest call)`, met: worst <= 3000 },
      { target: "a simulation of the round's own rules equals its results", measured: same ? 'equal' : 'different', met: same },
    ],
  };
}
