/**
 * A self-contained html document (no script, no external resource): a
 * heading, SVG charts drawn here, then one table per section, streamed row
 * batch by row batch. Chinese headings first, the field names beside them.
 */
import type { Writable } from 'node:stream';
import { drained } from '../store.js';
import { escapeHtml } from './html-escape.js';
import { textOf, type Sheet } from './table.js';

const STYLE = `body{font-family:'Noto Sans CJK SC','Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px}th{background:#f0f3f7;text-align:left}th small{color:#666;font-weight:normal}
td.n{text-align:right;font-variant-numeric:tabular-nums}.meta{color:#555}.chart{display:block;margin:12px 0}`;

export interface HtmlDocument {
  title: string;
  /** Lines under the title (already plain text). */
  meta: string[];
  /** SVG charts (built by svg.ts, escaped there). */
  charts: string[];
  sheets: Iterable<Sheet>;
}

export async function writeHtml(out: Writable, doc: HtmlDocument, onBatch?: (sheet: string, n: number) => Promise<void>) {
  out.write(`<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title>`
    + `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head><body>`
    + `<h1>${escapeHtml(doc.title)}</h1>${doc.meta.map((m) => `<p class="meta">${escapeHtml(m)}</p>`).join('')}${doc.charts.join('')}`);
  for (const s of doc.sheets) {
    out.write(`<h2 id="${escapeHtml(s.sheet)}">${escapeHtml(s.zh)} <small>${escapeHtml(s.sheet)}</small></h2><table><thead><tr>`
      + s.columns.map((c) => `<th>${escapeHtml(c.zh)}<br><small>${escapeHtml(c.key)}</small></th>`).join('') + '</tr></thead><tbody>');
    let n = 0;
    for await (const batch of s.rows()) {
      let text = '';
      for (const r of batch) {
        text += '<tr>' + r.map((v, i) => {
          const t = s.columns[i].type;
          return `<td${t === 'text' || t === 'list' ? '' : ' class="n"'}>${escapeHtml(textOf(v))}</td>`;
        }).join('') + '</tr>';
      }
      out.write(text);
      n += batch.length;
      await onBatch?.(s.sheet, n);
      await drained(out);
    }
    out.write('</tbody></table>');
  }
  out.write('</body></html>');
}
