import { isUtf8 } from 'node:buffer';
import { Transform, type Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { MAX_ERRORS, type FieldError, tooLarge, unsupportedMediaType, validation, Problem } from './problem.js';
import { isStream } from './idempotency.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.js';

/**
 * Bulk bodies (API.md "Bulk bodies"): CSV with a header row, NDJSON, or (for
 * the routes that say so) a JSON array, read as a stream in one linear pass.
 * Lines are counted from 1 as sent: a CSV's header is line 1; an NDJSON body's
 * first record is line 1. A JSON array's elements are named by `path` (/0, /1, …).
 */
export type BulkFormat = 'csv' | 'ndjson' | 'json';
export interface BulkBody { stream: Readable; format: BulkFormat }
/** One record with its line (CSV, NDJSON) or array index + 1 (JSON). */
export type BulkRecord = { line: number; record: Record<string, unknown> };
export type BulkItem = BulkRecord | { line: number; error: string };

/** No record of any upload needs more; a longer line is refused by number without being buffered. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Values echoed in error messages are cut to this length. */
export const ECHO_CHARS = 64;

/** A value for an error message: quoted, cut short, control characters escaped. */
export function echo(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  const cut = s.length > ECHO_CHARS ? s.slice(0, ECHO_CHARS) + '…' : s;
  return JSON.stringify(cut);
}

const TYPES: Record<string, BulkFormat> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson', 'application/json': 'json' };

/** The streamed body of a bulk route, with its format; 415 for anything the route does not take. */
export function bulkBody(req: FastifyRequest, accept: readonly BulkFormat[] = ['csv', 'ndjson']): BulkBody {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const format = TYPES[type];
  if (!isStream(req.body) || !format || !accept.includes(format)) {
    const names = accept.map((f) => (f === 'csv' ? 'text/csv (with a header row)' : f === 'ndjson' ? 'application/x-ndjson' : 'application/json (an array)'));
    throw unsupportedMediaType(`This route takes ${names.join(', ')}`);
  }
  const limit = req.server.ctx.config.bulkBodyLimit;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(`Bulk uploads are limited to ${limit} bytes`);
  return { stream: (req.body as Readable).pipe(byteLimit(limit)), format };
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
 * A run of consecutive lines of the body: line `start + i` is `lines[i]`, or
 * could not be taken (too long, not UTF-8, a NUL byte) when `errors` names it.
 */
export interface LineRun { start: number; lines: string[]; errors: Map<number, string> | null }

/**
 * Splits a byte stream into lines in one linear pass, a run of lines per
 * chunk (a generator step or an object per line would cost more than the
 * parsing). The complete lines of a chunk are checked (UTF-8, no NUL) and
 * decoded together, then split; only a line that runs over a chunk boundary
 * is carried, as pieces, and a line longer than MAX_LINE_BYTES is dropped as
 * it streams and reported by number. A BOM at the start and a CR before each
 * LF are removed.
 */
export async function* splitLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<LineRun> {
  let carry: Buffer[] = [];
  let carried = 0;
  let overlong = false;
  let run: LineRun = { start: 1, lines: [], errors: null };
  const fail = (message: string) => { (run.errors ??= new Map()).set(run.start + run.lines.length, message); run.lines.push(''); };
  const push = (t: string) => {
    if (run.start + run.lines.length === 1 && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    run.lines.push(t.charCodeAt(t.length - 1) === 13 ? t.slice(0, -1) : t);
  };
  const one = (buf: Buffer) => {
    if (buf.length > MAX_LINE_BYTES) fail(`line longer than ${MAX_LINE_BYTES} bytes`);
    else if (!isUtf8(buf)) fail('not valid UTF-8');
    else if (buf.includes(0)) fail('NUL byte in the data');
    else push(buf.toString('utf8'));
  };
  /** Complete lines between two newlines. */
  const region = (buf: Buffer) => {
    if (isUtf8(buf) && !buf.includes(0)) {
      // Fast path: decoded and split at once.
      const lines = buf.toString('utf8').split('\n');
      let ok = true;
      for (const t of lines) if (t.length > MAX_LINE_BYTES) { ok = false; break; }
      if (ok) { for (const t of lines) push(t); return; }
    }
    for (let from = 0; ;) {
      const nl = buf.indexOf(10, from);
      one(buf.subarray(from, nl < 0 ? buf.length : nl));
      if (nl < 0) return;
      from = nl + 1;
    }
  };
  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const first = chunk.indexOf(10);
    if (first < 0) {
      carried += chunk.length;
      if (carried > MAX_LINE_BYTES) { overlong = true; carry = []; } else carry.push(chunk);
      continue;
    }
    // The line that ends at the first newline started in an earlier chunk (or is this chunk's first).
    if (overlong || carried + first > MAX_LINE_BYTES) fail(`line longer than ${MAX_LINE_BYTES} bytes`);
    else one(carry.length ? Buffer.concat([...carry, chunk.subarray(0, first)]) : chunk.subarray(0, first));
    carry = []; carried = 0; overlong = false;
    const last = chunk.lastIndexOf(10);
    if (last > first) region(chunk.subarray(first + 1, last));
    const rest = chunk.subarray(last + 1);
    if (rest.length > MAX_LINE_BYTES) overlong = true; else if (rest.length) { carry = [Buffer.from(rest)]; carried = rest.length; }
    yield run;
    run = { start: run.start + run.lines.length, lines: [], errors: null };
  }
  if (overlong) fail(`line longer than ${MAX_LINE_BYTES} bytes`); else if (carry.length) one(Buffer.concat(carry));
  if (run.lines.length) yield run;
}

/** RFC 4180 fields of one CSV line (quotes around fields, "" inside them), trimmed; null when the quotes do not close. */
export function csvFields(line: string): string[] | null {
  if (!line.includes('"')) {
    const fields = line.split(',');
    // Trim only what needs it: most fields have no surrounding space.
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.length && (f.charCodeAt(0) <= 32 || f.charCodeAt(f.length - 1) <= 32)) fields[i] = f.trim();
    }
    return fields;
  }
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        field += line.slice(i, q);
        if (line[q + 1] === '"') { field += '"'; i = q + 2; continue; }
        i = q + 1;
        break;
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') return null;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      field = line.slice(i, end).trim();
      if (field.includes('"')) return null;
      i = end;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

/**
 * Records of a bulk body with their line numbers, a batch at a time;
 * unreadable lines come as errors and the rest is still read, so one upload
 * reports as many bad lines as it has. `fields` are the record fields the
 * route knows: a CSV header or an NDJSON/JSON key outside them is an error.
 * Blank lines are skipped.
 */
export async function* readBulkBatches(body: BulkBody, fields: readonly string[]): AsyncGenerator<BulkItem[]> {
  const known = new Set(fields);
  if (body.format === 'json') {
    for await (const it of readJsonArray(body.stream, known)) yield [it];
    return;
  }
  let header: string[] | null = null;
  for await (const run of splitLines(body.stream)) {
    const out: BulkItem[] = [];
    for (let i = 0; i < run.lines.length; i++) {
      const line = run.start + i;
      const error = run.errors?.get(line);
      if (error !== undefined) {
        if (body.format === 'csv' && header === null) throw validation('The CSV header cannot be read', [{ line, message: error }]);
        out.push({ line, error });
        continue;
      }
      const text = run.lines[i];
      if (body.format === 'ndjson') {
        if (text.trim() !== '') out.push(jsonRecord(line, text, known));
        continue;
      }
      if (header === null) { header = csvHeader(text, known); continue; }
      if (text.length === 0 || text.trim() === '') continue;
      const values = csvFields(text);
      if (values === null) { out.push({ line, error: 'malformed CSV (unbalanced quotes)' }); continue; }
      if (values.length !== header.length) { out.push({ line, error: 'wrong number of columns' }); continue; }
      const record: Record<string, unknown> = {};
      for (let k = 0; k < header.length; k++) if (values[k] !== '') record[header[k]] = values[k];
      out.push({ line, record });
    }
    if (out.length) yield out;
  }
  if (body.format === 'csv' && header === null) throw validation('The upload is empty: a CSV upload starts with its header line', [{ line: 1, message: 'missing header' }]);
}

/** The records of a bulk body one at a time (see readBulkBatches, which the COPY paths use). */
export async function* readBulk(body: BulkBody, fields: readonly string[]): AsyncGenerator<BulkItem> {
  for await (const batch of readBulkBatches(body, fields)) yield* batch;
}

function csvHeader(text: string, known: Set<string>): string[] {
  const names = csvFields(text);
  if (names === null) throw validation('The CSV header cannot be read', [{ line: 1, message: 'malformed CSV (unbalanced quotes)' }]);
  const errors: FieldError[] = [];
  names.forEach((n, i) => {
    if (!known.has(n)) errors.push({ line: 1, message: `unknown column ${n ? echo(n).slice(1, -1) : '(empty)'}` });
    else if (names.indexOf(n) !== i) errors.push({ line: 1, message: `column ${n} appears twice` });
  });
  if (errors.length) throw validation('The CSV header is invalid', errors);
  return names;
}

function jsonRecord(line: number, text: string, known: Set<string>): BulkItem {
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return { line, error: 'too deeply nested' };
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { line, error: 'not valid JSON' }; }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { line, error: 'each line must be a JSON object' };
  const record = v as Record<string, unknown>;
  for (const k of Object.keys(record)) if (!known.has(k)) return { line, error: `unknown column ${echo(k).slice(1, -1)}` };
  return { line, record };
}

/**
 * The elements of a top-level JSON array, one at a time: a scan that tracks
 * strings and nesting finds each element's end, so a large array is never
 * parsed whole. `line` is the element's index + 1 (errors name it by path).
 */
async function* readJsonArray(stream: Readable, known: Set<string>): AsyncGenerator<BulkItem> {
  let started = false, ended = false;
  let depth = 0, inString = false, escaped = false;
  let element: string[] = [];
  let size = 0;
  let index = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const emit = (text: string): BulkItem | null => {
    const t = text.trim();
    if (t === '') return null;
    index++;
    if (size > MAX_LINE_BYTES) return { line: index, error: `element longer than ${MAX_LINE_BYTES} characters` };
    return jsonRecord(index, t, known);
  };
  const malformed = () => validation('The body is not a JSON array of objects', [{ path: `/${index}`, message: 'not valid JSON' }]);
  for await (const raw of stream) {
    let text: string;
    try { text = decoder.decode(typeof raw === 'string' ? Buffer.from(raw) : raw, { stream: true }); } catch {
      throw validation('The body is not valid UTF-8', [{ path: `/${index}`, message: 'not valid UTF-8' }]);
    }
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (ended) { if (c > 32) throw malformed(); continue; }
      if (!started) {
        if (c === 0xfeff || c <= 32) continue;
        if (c !== 91) throw malformed();
        started = true; from = i + 1; continue;
      }
      if (inString) {
        if (escaped) escaped = false; else if (c === 92) escaped = true; else if (c === 34) inString = false;
        continue;
      }
      if (c === 34) inString = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (depth === 0 && c === 93) {
          element.push(text.slice(from, i)); size += i - from;
          const it = emit(element.join('')); element = []; size = 0;
          if (it) yield it;
          ended = true; continue;
        }
        depth--;
      } else if (c === 44 && depth === 0) {
        element.push(text.slice(from, i)); size += i - from;
        const it = emit(element.join('')); element = []; size = 0;
        if (!it) throw malformed();
        yield it;
        from = i + 1;
      }
    }
    if (started && !ended) {
      size += text.length - from;
      // An over-long element is still scanned but not kept.
      if (size <= MAX_LINE_BYTES) element.push(text.slice(from));
    }
  }
  if (!ended) throw malformed();
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
  /** A line could not be read at all (400); otherwise the errors break domain rules (422). */
  malformed = false;
  constructor(private readonly json = false) {}
  add(line: number, message: string, malformed = false) {
    this.total++;
    if (malformed) this.malformed = true;
    if (this.list.length < MAX_ERRORS) this.list.push(this.json ? { path: `/${line - 1}`, message } : { line, message });
  }
  addAll(errs: readonly { line: number; message: string }[], malformed = false) { for (const e of errs) this.add(e.line, e.message, malformed); }
  get any() { return this.total > 0; }
  problem(): Problem {
    const key = (e: FieldError) => e.line ?? Number(e.path?.slice(1) ?? 0);
    this.list.sort((a, b) => key(a) - key(b));
    const detail = `${this.total} ${this.json ? 'element' : 'line'}(s) of the upload are invalid; nothing was written`;
    if (this.malformed) return validation(detail, this.list);
    return new Problem(422, 'validation', 'Invalid upload', detail, this.list);
  }
}

/**
 * Pipes the body's records through `toCopy`, feeding COPY in 64 KiB batches; a
 * record `toCopy` rejects (or an unreadable line) is noted and skipped, and once
 * anything failed nothing more is sent (the upload will fail as a whole).
 */
export async function* copyStream(
  items: AsyncIterable<BulkItem | BulkItem[]>, errors: LineErrors, counter: { rows: number },
  toCopy: (r: BulkRecord) => string | { error: string; malformed?: boolean }, maxRows = Infinity,
): AsyncGenerator<string> {
  let batch = '';
  for await (const got of items) {
    for (const it of Array.isArray(got) ? got : [got]) {
      if (counter.rows >= maxRows && !('error' in it)) {
        throw new Problem(413, 'payload-too-large', 'Upload too large', `An upload holds at most ${maxRows} records; nothing was written`,
          [{ line: it.line, message: `record ${maxRows + 1} of the upload` }]);
      }
      if ('error' in it) { errors.add(it.line, it.error, true); continue; }
      const out = toCopy(it);
      if (typeof out !== 'string') { errors.add(it.line, out.error, out.malformed ?? false); continue; }
      counter.rows++;
      if (errors.any) continue;
      batch += out;
    }
    if (batch.length > 65536) { yield batch; batch = ''; }
  }
  if (batch && !errors.any) yield batch;
}

/**
 * Whether an upload's lines come in (hospital, item) order, the leading columns of the tables' primary keys:
 * then the INSERT from the staging table needs no sort. A key given twice still fails that INSERT.
 */
export class KeyOrder {
  ordered = true;
  private hospital = -1;
  private item = -1;
  saw(hospital: number, item: number): void {
    if (hospital < this.hospital || (hospital === this.hospital && item < this.item)) this.ordered = false;
    this.hospital = hospital;
    this.item = item;
  }
}
