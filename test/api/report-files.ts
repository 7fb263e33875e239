import { existsSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Db } from '../../src/db/client.js';
import type { H } from '../helpers.js';

/** Reading report documents back, as a client would: the file's bytes, csv records, a workbook, a page in Chromium. */

export interface RawFile { status: number; headers: Record<string, unknown>; body: Buffer }

export async function rawGet(app: FastifyInstance, url: string, h: H): Promise<RawFile> {
  const res = await app.inject({ method: 'GET', url, headers: h });
  return { status: res.statusCode, headers: res.headers, body: res.rawPayload };
}

/** Polls GET /v1/reports/{id} until the report is done or failed; `step` runs between polls (the embedded runner's due jobs). */
export async function settled(app: FastifyInstance, id: string, h: H, step: () => Promise<void> = async () => {}, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    await step();
    const res = await app.inject({ method: 'GET', url: `/v1/reports/${id}`, headers: h });
    const body = res.json();
    seen.add(body.status);
    if (body.status === 'done' || body.status === 'failed') return { report: body, seen };
    if (Date.now() > until) throw new Error(`report ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CSV records as objects (the BOM dropped). */
export function csvRecords(body: Buffer): Record<string, string>[] {
  const text = body.toString('utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff);
  return parse(text.slice(1), { columns: true, skip_empty_lines: true });
}

export async function workbook(body: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  return wb;
}

/** A sheet's rows as arrays of cell values (row 1 is the header), with each cell's number format. */
export function sheetRows(ws: ExcelJS.Worksheet): { values: unknown[][]; formats: (string | undefined)[][]; types: ExcelJS.ValueType[][] } {
  const values: unknown[][] = [], formats: (string | undefined)[][] = [], types: ExcelJS.ValueType[][] = [];
  ws.eachRow({ includeEmpty: false }, (row) => {
    const v: unknown[] = [], f: (string | undefined)[] = [], t: ExcelJS.ValueType[] = [];
    for (let i = 1; i <= ws.columnCount; i++) {
      const cell = row.getCell(i);
      v.push(cell.value); f.push(cell.numFmt); t.push(cell.type);
    }
    values.push(v); formats.push(f); types.push(t);
  });
  return { values, formats, types };
}

/** The chunks stored for a report, by generation (one generation: one file). */
export async function generations(db: Db, reportId: string) {
  return db.query<{ generation: string; chunks: number }>(
    'SELECT generation, count(*)::int AS chunks FROM report_chunks WHERE report_id = $1 GROUP BY generation', [reportId]);
}

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export interface PageView {
  errors: string[];
  title: string;
  text: string;
  charts: { id: string; width: number; height: number; bars: number; drawnBars: number }[];
  tables: number;
  screenshot?: Buffer;
}

/** Loads an html document in headless Chromium (no network) and reports what a reader would see. */
export async function viewInChromium(html: Buffer, opts: { screenshot?: boolean } = {}): Promise<PageView> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    // Self-contained: any request the page makes is a failure.
    await page.route('**/*', (route) => { errors.push(`request: ${route.request().url()}`); return route.abort(); });
    await page.setContent(html.toString('utf8'), { waitUntil: 'load' });
    const view = await page.evaluate(() => ({
      title: document.title,
      text: document.body.innerText,
      tables: document.querySelectorAll('table').length,
      charts: [...document.querySelectorAll('svg.chart')].map((svg) => {
        const box = svg.getBoundingClientRect();
        const rects = [...svg.querySelectorAll('g.bar rect')];
        return {
          id: svg.id, width: box.width, height: box.height, bars: svg.querySelectorAll('g.bar').length,
          drawnBars: rects.filter((r) => { const b = r.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length,
        };
      }),
    }));
    const screenshot = opts.screenshot ? await page.screenshot({ fullPage: false }) : undefined;
    return { errors, ...view, screenshot };
  } finally {
    await browser.close();
  }
}
