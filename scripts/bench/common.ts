import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createReadStream, readFileSync } from 'node:fs';

export const PG_ADMIN = process.env.BENCH_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** BENCH_PORT: the first of the bench's ports (the API on +1, others above), so two benches can run side by side. */
export const benchPort = (offset: number) => String(Number(process.env.BENCH_PORT ?? 3900) + offset);
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DIR = '.bench';

/** One part of docs/benchmarks.md: its text and the issue targets it checks. */
export interface Section { title: string; body: string; targets: Target[] }
export interface Target { target: string; measured: string; met: boolean }

export function psql(db: string, sql: string): string {
  const u = new URL(PG_ADMIN);
  return execFileSync('psql', ['-h', u.hostname, '-p', u.port || '5432', '-U', u.username || 'postgres', '-d', db, '-qAtc', sql], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** Runs a psql meta-command (\copy) and returns its wall time in ms. */
export function psqlTimed(db: string, command: string): number {
  const u = new URL(PG_ADMIN);
  const t0 = Date.now();
  execFileSync('psql', ['-h', u.hostname, '-p', u.port || '5432', '-U', u.username || 'postgres', '-d', db, '-qc', command]);
  return Date.now() - t0;
}

export function freshDatabase(name: string): string {
  psql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  psql('postgres', `CREATE DATABASE ${name}`);
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Resident set size of a process, from /proc, in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Samples a process's RSS every 50 ms until stopped; returns the peak. */
export function rssPeak(pid: number) {
  /** The process's RSS when sampling started: what it kept of earlier work (V8 collects that garbage when it sees fit). */
  const start = rssMiB(pid);
  let peak = start;
  const timer = setInterval(() => { try { peak = Math.max(peak, rssMiB(pid)); } catch { /* exited */ } }, 50);
  return { start, stop: () => { clearInterval(timer); return peak; }, reset: () => { peak = rssMiB(pid); } };
}

export interface Server { proc: ChildProcess; url: string; stop(): Promise<void> }

/** Where the bench builds the entry points it starts: src/ and jobs/ as `npm start` builds them, and its bare server. */
const BUILT = `${DIR}/dist`;

/** Builds what the bench runs, as production runs it (`npm start` builds dist/ first: scripts/build.mjs). */
export async function buildEntries(): Promise<void> {
  const { buildDist } = await import('../build.mjs');
  await buildDist({ outdir: BUILT, extra: ['scripts/bench/bare-server.ts'] });
}

/** Node's arguments for a TypeScript entry point, run from the bench's build (or from the sources through tsx, as `npm run dev`). */
export function nodeArgs(entry: string, fromSources = process.env.BENCH_FROM_SOURCES === '1'): string[] {
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=.bench/prof'] : [];
  // BENCH_NODE_FLAGS: node or V8 flags for the processes the bench starts (--trace-gc, say, to see what an RSS figure is made of).
  const flags = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean) : [];
  return [...prof, ...flags, ...(fromSources ? ['--import', 'tsx', entry] : [`${BUILT}/${entry.replace(/\.ts$/, '.js')}`])];
}

/** Starts an entry point (src/server.ts, …) as its own process from the bench's build and waits for `healthPath`. */
export async function startServer(entry: string, env: Record<string, string>, healthPath = '/health', fromSources?: boolean): Promise<Server> {
  const proc = spawn(process.execPath, nodeArgs(entry, fromSources), { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  // A bench that fails must not leave its servers holding the ports.
  process.on('exit', () => proc.kill('SIGKILL'));
  proc.once('exit', (code, signal) => { if (code !== 0) console.error(`${entry} exited with ${code ?? signal}`); });
  const url = `http://127.0.0.1:${env.PORT}`;
  for (let i = 0; i < 600; i++) {
    try { if ((await fetch(url + healthPath)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc, url,
    stop: () => new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve()); proc.kill('SIGTERM');
    }),
  };
}

export type ApiClient = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<any>;

export function apiClient(url: string, token: string): ApiClient {
  const send = (method: string, path: string, body: unknown, headers: Record<string, string>) => fetch(url + path, {
    method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return async (method, path, body, headers = {}) => {
    // A keep-alive socket idle for the server's keepAliveTimeout (the bench's psql baselines run for a minute on a slow
    // disk) may be closed as the request goes out: a GET is sent again once, on a new socket.
    const res = await send(method, path, body, headers).catch((err: Error & { cause?: { code?: string } }) => {
      if (method !== 'GET' || err.cause?.code !== 'UND_ERR_SOCKET') throw err;
      return send(method, path, body, headers);
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return json;
  };
}

/**
 * Streams a file as a bulk body on a connection of its own; returns the parsed answer and the wall time.
 * Not fetch: its pool reuses a keep-alive socket that the server may close while the bench was busy elsewhere
 * (psql baselines run for seconds), and a streamed body cannot be retried ("other side closed").
 */
export async function upload(url: string, method: string, path: string, token: string, file: string, type: string) {
  const t0 = Date.now();
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(url + path, { method, agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': type } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    createReadStream(file).on('error', reject).pipe(req);
  });
  if (status >= 400) throw new Error(`${path}: ${status} ${text.slice(0, 1000)}`);
  return { body: JSON.parse(text), ms: Date.now() - t0 };
}

/** Wall time of an async step, in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

/** Median wall time of `runs` calls, in ms. */
export async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timed(fn)).ms);
  return median(times);
}

export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
export const seconds = (ms: number) => (ms / 1000).toFixed(2);
export const fmtInt = (n: number) => Math.round(n).toLocaleString('en');
/** Size of a relation with its indexes, in MB. */
export const relationMB = (db: string, rel: string) => Number(psql(db, `SELECT pg_total_relation_size('${rel}')`).trim()) / 1e6;

/** All provinces of GB/T 2260 (mainland). */
export const PROVINCES = ['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65'];
