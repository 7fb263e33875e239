/** CSV (RFC 4180, UTF-8 with a BOM so that spreadsheets read the Chinese text right), written batch by batch. */
import type { Writable } from 'node:stream';
import { drained } from '../store.js';
import { neutralise, textOf, type ColumnMeta, type Sheet, type Value } from './table.js';

const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One field: text columns are neutralised against formula injection; numbers are the API's strings as they are. */
export function csvField(c: Pick<ColumnMeta, 'type'>, v: Value): string {
  const s = textOf(v);
  // Numbers (quantities, money and ratios as the API writes them: digits, '-', '.') never need quotes.
  if (c.type === 'int' || c.type === 'money' || c.type === 'ratio') return s;
  return quote(neutralise(s));
}

export const BOM = '\uFEFF';

export async function writeCsv(out: Writable, sheet: Sheet, onBatch?: (n: number) => Promise<void>) {
  out.write(BOM + sheet.columns.map((c) => quote(c.key)).join(',') + '\r\n');
  let n = 0;
  for await (const batch of sheet.rows()) {
    let text = '';
    for (const r of batch) text += r.map((v, i) => csvField(sheet.columns[i], v)).join(',') + '\r\n';
    out.write(text);
    n += batch.length;
    await onBatch?.(n);
    await drained(out);
  }
}
