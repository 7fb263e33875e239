import { Transform, type Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import type { FastifyRequest } from 'fastify';
import { MAX_ERRORS, type FieldError, tooLarge, unsupportedMediaType, validation, Problem } from './problem.js';
import { isStream } from './idempotency.js';

export type BulkRecord = { line: number; record: Record<string, unknown> };
export type BulkItem = BulkRecord | { line: number; error: string };

/** The streamed body of a bulk route, with its format; 415 for anything but CSV or NDJSON. */
export function bulkBody(req: FastifyRequest): { stream: Readable; format: 'csv' | 'ndjson' } {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!isStream(req.body) || (type !== 'text/csv' && type !== 'application/x-ndjson')) {
    throw unsupportedMediaType('Bulk uploads take text/csv (with a header row) or application/x-ndjson');
  }
  const limit = req.server.ctx.config.bulkBodyLimit;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(`Bulk uploads are limited to ${limit} bytes`);
  return { stream: (req.body as Readable).pipe(byteLimit(limit)), format: type === 'text/csv' ? 'csv' : 'ndjson' };
}

function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > limit) cb(tooLarge(`Bulk uploads are limited to ${limit} bytes`));
      else cb(null, chunk);
    },
  });
}

/**
 * Records of a CSV (header row = line 1) or NDJSON (first record = line 1)
 * body with their line numbers; unparseable lines come as errors and the
 * rest is still read, so one upload reports as many bad lines as it has.
 */
export async function* readBulk(stream: Readable, format: 'csv' | 'ndjson'): AsyncGenerator<BulkItem> {
  if (format === 'csv') yield* readCsv(stream);
  else yield* readNdjson(stream);
}

async function* readCsv(stream: Readable): AsyncGenerator<BulkItem> {
  const skipped: BulkItem[] = [];
  const parser = stream.pipe(parseCsv({
    columns: (header: string[]) => header.map((h) => h.trim()),
    info: true, bom: true, trim: true, skip_empty_lines: true, skip_records_with_error: true,
  }));
  parser.on('skip', (err: any) => skipped.push({ line: err.lines ?? 0, error: csvMessage(err) }));
  stream.on('error', (e) => parser.destroy(e));
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    while (skipped.length) yield skipped.shift()!;
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) if (v !== '') clean[k] = v;
    yield { line: info.lines, record: clean };
  }
  while (skipped.length) yield skipped.shift()!;
}

const csvMessage = (err: any) =>
  err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || err.code === 'CSV_RECORD_INCONSISTENT_COLUMNS' ? 'wrong number of columns' : `malformed CSV (${err.code ?? 'parse error'})`;

async function* readNdjson(stream: Readable): AsyncGenerator<BulkItem> {
  let line = 0;
  let rest = '';
  stream.setEncoding('utf8');
  const handle = (text: string): BulkItem | null => {
    line++;
    const t = text.trim();
    if (t === '') return null;
    try {
      const v = JSON.parse(t);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return { line, error: 'each line must be a JSON object' };
      return { line, record: v };
    } catch {
      return { line, error: 'not valid JSON' };
    }
  };
  for await (const chunk of stream as AsyncIterable<string>) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) { const it = handle(p); if (it) yield it; }
  }
  if (rest !== '') { const it = handle(rest); if (it) yield it; }
}

/** One line of COPY's text format. */
export function copyLine(values: readonly (string | number | null | undefined)[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += '\t';
    if (v === null || v === undefined) out += '\\N';
    else {
      const s = String(v);
      out += /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;
    }
  }
  return out + '\n';
}

/** Collects line errors (at most 100 are reported) for an all-or-nothing upload. */
export class LineErrors {
  readonly list: FieldError[] = [];
  total = 0;
  add(line: number, message: string) {
    this.total++;
    if (this.list.length < MAX_ERRORS) this.list.push({ line, message });
  }
  addAll(errs: { line: number; message: string }[]) { for (const e of errs) this.add(e.line, e.message); }
  get any() { return this.total > 0; }
  /** 400 when a line could not be read at all, else 422 (well-formed lines that break domain rules). */
  problem(malformed: boolean): Problem {
    this.list.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const detail = `${this.total} line(s) of the upload are invalid; nothing was written`;
    if (malformed) return validation(detail, this.list);
    return new Problem(422, 'validation', 'Invalid upload', detail, this.list);
  }
}

/** Pipes the body's records through `toCopy`, feeding COPY; a record `toCopy` rejects is noted and skipped. */
export async function* copyStream(
  items: AsyncIterable<BulkItem>, errors: LineErrors, state: { malformed: boolean; rows: number },
  toCopy: (r: BulkRecord) => string | { error: string },
): AsyncGenerator<string> {
  let batch = '';
  for await (const it of items) {
    if ('error' in it) { state.malformed = true; errors.add(it.line, it.error); continue; }
    const out = toCopy(it);
    if (typeof out !== 'string') { state.malformed = true; errors.add(it.line, out.error); continue; }
    state.rows++;
    batch += out;
    if (batch.length > 65536) { yield batch; batch = ''; }
  }
  if (batch) yield batch;
}
