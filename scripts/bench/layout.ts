/**
 * Why demand is laid out as it is: the national round's 3,000,000 demand rows
 * copied (psql \copy of the integer rows, in the upload's hospital-major
 * order) into candidate layouts, each timed and sized in the same run; then a
 * second API upload of the whole file, which replaces every key (the upsert path).
 */
import { psql, psqlTimed, rssPeak, seconds, upload, fmtInt, type Section } from './common.js';
import { DB, type National } from './national.js';

interface Candidate { name: string; ddl: string; columns: string; why: string }

const CANDIDATES: Candidate[] = [
  { name: 'chosen: (round, hospital, item) key, no padding', why: 'the layout of migration 0001',
    ddl: `CREATE TABLE layout_t (round_no int NOT NULL, hospital_no int NOT NULL, quantity int NOT NULL, item_no smallint NOT NULL, preferred_no int,
          PRIMARY KEY (round_no, hospital_no, item_no))`, columns: 'round_no, hospital_no, quantity, item_no, preferred_no' },
  { name: 'item first: (round, item, hospital) key', why: 'uploads arrive hospital by hospital: the index is written at 60 places at once',
    ddl: `CREATE TABLE layout_t (round_no int NOT NULL, hospital_no int NOT NULL, quantity int NOT NULL, item_no smallint NOT NULL, preferred_no int,
          PRIMARY KEY (round_no, item_no, hospital_no))`, columns: 'round_no, hospital_no, quantity, item_no, preferred_no' },
  { name: 'columns in key order (smallint between ints pads)', why: 'alignment padding costs bytes on every row',
    ddl: `CREATE TABLE layout_t (round_no int NOT NULL, item_no smallint NOT NULL, hospital_no int NOT NULL, quantity int NOT NULL, preferred_no int,
          PRIMARY KEY (round_no, hospital_no, item_no))`, columns: 'round_no, hospital_no, quantity, item_no, preferred_no' },
  { name: 'fillfactor 90', why: 'room for HOT updates when a hospital corrects its demand (rare: demand is written once per round)',
    ddl: `CREATE TABLE layout_t (round_no int NOT NULL, hospital_no int NOT NULL, quantity int NOT NULL, item_no smallint NOT NULL, preferred_no int,
          PRIMARY KEY (round_no, hospital_no, item_no)) WITH (fillfactor = 90)`, columns: 'round_no, hospital_no, quantity, item_no, preferred_no' },
  { name: 'partitioned by round (LIST)', why: 'a round\'s rows in a table of their own',
    ddl: `CREATE TABLE layout_t (round_no int NOT NULL, hospital_no int NOT NULL, quantity int NOT NULL, item_no smallint NOT NULL, preferred_no int,
          PRIMARY KEY (round_no, hospital_no, item_no)) PARTITION BY LIST (round_no); CREATE TABLE layout_t_r PARTITION OF layout_t FOR VALUES IN (ROUND)`,
    columns: 'round_no, hospital_no, quantity, item_no, preferred_no' },
];

export async function run(n: National): Promise<Section> {
  const roundNo = Number(psql(DB, `SELECT no FROM rounds WHERE id = '${n.roundId}'`).trim());
  const file = `${process.cwd()}/.bench/demand-int.txt`;
  psqlTimed(DB, `\\copy (SELECT round_no, hospital_no, quantity, item_no, preferred_no FROM demand WHERE round_no = ${roundNo} ORDER BY hospital_no, item_no) TO '${file}'`);
  const rows = Number(psql(DB, `SELECT count(*) FROM demand WHERE round_no = ${roundNo}`).trim());
  const lines: string[] = [];
  for (const c of CANDIDATES) {
    psql(DB, 'DROP TABLE IF EXISTS layout_t');
    psql(DB, c.ddl.replace('ROUND', String(roundNo)));
    psql(DB, 'CHECKPOINT');
    const ms = psqlTimed(DB, `\\copy layout_t (${c.columns}) FROM '${file}'`);
    const size = Number(psql(DB, `SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relname LIKE 'layout_t%' AND c.relkind IN ('r', 'p')`).trim()) / 1e6;
    lines.push(`| ${c.name} | ${seconds(ms)} s | ${fmtInt(rows / (ms / 1000))} | ${size.toFixed(0)} MB | ${c.why} |`);
    psql(DB, 'DROP TABLE layout_t');
  }
  // A later upload of the same file replaces every key: the upsert path of POST /demand/bulk, on a round of its own.
  const roundId = await n.makeRound('demand replaced', 60 * 60_000);
  await upload(n.api.url, 'POST', `/v1/rounds/${roundId}/demand/bulk`, n.alliance.token, '.bench/demand.csv', 'text/csv');
  const rss = rssPeak(n.pid);
  const again = await upload(n.api.url, 'POST', `/v1/rounds/${roundId}/demand/bulk`, n.alliance.token, '.bench/demand.csv', 'text/csv');
  const peak = rss.stop();
  return {
    title: 'Demand layout, measured',
    body: `The national round's ${fmtInt(rows)} demand rows as integers, \`psql \\copy\` into each candidate (a fresh table each, after a CHECKPOINT), one run:

| layout | copy | rows/s | table + indexes | note |
|---|---|---|---|---|
${lines.join('\n')}

Chosen: integer keys only (round, hospital, item, preferred manufacturer), the key hospital first (a hospital's lines and agreements are a key range, and
hospital-major uploads append to the index), columns ordered so that the smallint does not pad, default fillfactor (demand is written once per round and
replaced only while the round takes demand). Partitioning by round keeps the same speed and size here and adds a DDL step to every round's first upload;
it would pay when old rounds are dropped or archived whole, which the platform does not do, so demand is one table.

A second API upload of the same file (every key replaced: INSERT … ON CONFLICT DO UPDATE): **${seconds(again.ms)} s** (${fmtInt(rows / (again.ms / 1000))} rows/s),
API peak RSS ${peak.toFixed(0)} MiB.`,
    targets: [],
  };
}
