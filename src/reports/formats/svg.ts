/**
 * Charts drawn on the server as inline SVG (the html report runs no script
 * and loads nothing): horizontal bars per label, and paired bars per period.
 */
import { escapeHtml } from './html-escape.js';

const FONT = `'Noto Sans CJK SC','Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif`;
const COLORS = ['#2f6fb0', '#e08a2c'];

export interface Bar { label: string; value: number | null; text: string }

/** One bar per label; `max` fixes the scale (1 for ratios), else the largest value. */
export function barChart(o: { id: string; title: string; bars: Bar[]; max?: number; width?: number }): string {
  const width = o.width ?? 760;
  const labelW = 150, valueW = 90, row = 24, top = 36;
  const height = top + Math.max(1, o.bars.length) * row + 12;
  const max = o.max ?? Math.max(1e-9, ...o.bars.map((b) => Math.abs(b.value ?? 0)));
  const plot = width - labelW - valueW;
  const bars = o.bars.map((b, i) => {
    const y = top + i * row;
    const w = b.value === null ? 0 : Math.max(1, (Math.min(Math.abs(b.value), max) / max) * plot);
    return `<g class="bar"><text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${escapeHtml(b.label)}</text>`
      + `<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${row - 8}" fill="${COLORS[0]}"><title>${escapeHtml(b.label)}: ${escapeHtml(b.text)}</title></rect>`
      + `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 16}">${escapeHtml(b.text)}</text></g>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" id="${o.id}" class="chart" role="img" aria-label="${escapeHtml(o.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="13">`
    + `<text x="0" y="20" font-size="15" font-weight="bold">${escapeHtml(o.title)}</text>`
    + `<line x1="${labelW}" y1="${top}" x2="${labelW}" y2="${height - 8}" stroke="#888"/>${bars}</svg>`;
}

export interface Pair { label: string; a: number; b: number }

/** Two bars per period (e.g. used against expected per month), with a legend. */
export function pairedChart(o: { id: string; title: string; legend: [string, string]; pairs: Pair[]; width?: number }): string {
  const height = 300, top = 44, bottom = 40, left = 70;
  const width = o.width ?? Math.max(420, left + 20 + o.pairs.length * 44);
  const plotH = height - top - bottom;
  const max = Math.max(1, ...o.pairs.flatMap((p) => [p.a, p.b]));
  const slot = (width - left - 20) / Math.max(1, o.pairs.length);
  const barW = Math.max(3, Math.min(16, slot / 2 - 4));
  const bars = o.pairs.map((p, i) => {
    const x = left + i * slot + slot / 2 - barW;
    const h = (v: number) => (v / max) * plotH;
    return `<g class="bar"><rect x="${x.toFixed(1)}" y="${(top + plotH - h(p.a)).toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(1, h(p.a)).toFixed(1)}" fill="${COLORS[0]}"><title>${escapeHtml(p.label)} ${escapeHtml(o.legend[0])}: ${p.a}</title></rect>`
      + `<rect x="${(x + barW).toFixed(1)}" y="${(top + plotH - h(p.b)).toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(1, h(p.b)).toFixed(1)}" fill="${COLORS[1]}"><title>${escapeHtml(p.label)} ${escapeHtml(o.legend[1])}: ${p.b}</title></rect>`
      + `<text x="${(x + barW).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" font-size="11">${escapeHtml(p.label)}</text></g>`;
  }).join('');
  const legend = o.legend.map((l, i) => `<rect x="${left + i * 140}" y="28" width="12" height="12" fill="${COLORS[i]}"/><text x="${left + i * 140 + 18}" y="38">${escapeHtml(l)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" id="${o.id}" class="chart" role="img" aria-label="${escapeHtml(o.title)}" width="${width.toFixed(0)}" height="${height}" viewBox="0 0 ${width.toFixed(0)} ${height}" font-family="${FONT}" font-size="12">`
    + `<text x="0" y="18" font-size="15" font-weight="bold">${escapeHtml(o.title)}</text>${legend}`
    + `<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" stroke="#888"/>`
    + `<text x="${left - 6}" y="${top + 10}" text-anchor="end" font-size="11">${max.toLocaleString('en')}</text>`
    + `<text x="${left - 6}" y="${top + plotH}" text-anchor="end" font-size="11">0</text>${bars}</svg>`;
}
