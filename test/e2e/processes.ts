import { newOpeningKeyPair } from '../../src/bids/custody.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { builtEntry } from '../built.js';

/**
 * Child processes for the end-to-end tests that need real sockets: the API
 * (src/server.ts) and the worker (jobs/main.ts), run from the tests' build as
 * production runs them (test/built.ts), each with its own environment;
 * their output is kept for the assertions and for the failure message.
 */
export interface Proc {
  name: string;
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has ended. */
  stop(graceMs?: number): Promise<void>;
}

/** A port nobody listens on at the moment (the OS hands one out and it is freed again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The environment of a child: PATH and HOME of this one, nothing else of it (no DATABASE_URL of the test run by accident). */
export function childEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k]) base[k] = process.env[k];
  return { ...base, JICAI_LOG_FORMAT: 'json', ...env };
}

export function spawnNode(name: string, entry: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, builtEntry(entry), { cwd: process.cwd(), env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return {
    name, child, exited, output: () => out,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls until `fn` returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000, every = 100): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) { last = err; }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Starts the API on a free port and waits until /health answers. */
export async function startApi(name: string, env: Record<string, string>): Promise<Proc & { url: string }> {
  const port = await freePort();
  const p = spawnNode(name, 'src/server.ts', { HOST: '127.0.0.1', PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitFor(`${name} to listen`, async () => (await fetch(`${url}/health`)).status > 0, 100_000),
    p.exited.then((code) => { throw new Error(`${name} exited (${code}) before listening: ${p.output()}`); }),
  ]);
  return Object.assign(p, { url });
}

export interface HttpRes { status: number; body: any; text: string; headers: Headers }

/** A small fetch client: JSON in and out. */
export function http(base: string) {
  const call = async (method: string, path: string, token: string | null, body?: unknown, type = 'application/json'): Promise<HttpRes> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = type;
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  return {
    get: (path: string, token: string | null) => call('GET', path, token),
    post: (path: string, token: string | null, body?: unknown) => call('POST', path, token, body),
    put: (path: string, token: string | null, body?: unknown) => call('PUT', path, token, body),
    del: (path: string, token: string | null) => call('DELETE', path, token),
    raw: call,
  };
}
export type Http = ReturnType<typeof http>;

/** Asserts a status; the error names the answer. */
export function must(res: HttpRes, status: number, what: string): HttpRes {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  return res;
}

export const sleepUntil = async (at: number) => { const ms = at - Date.now(); if (ms > 0) await new Promise((r) => setTimeout(r, ms)); };

/** Deletes a test's BullMQ keys (`<prefix>:*`) from the shared Redis. */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch { /* Redis gone: nothing to clean */ } finally { r.disconnect(); }
}

/**
 * A test installation's opening key pair (SECURITY.md "Key custody"): API processes that relay to workers get
 * the public part alone; workers, and an API without Redis (it runs its jobs itself), get both.
 */
export function openingKeys() {
  const k = newOpeningKeyPair();
  return {
    api: { JICAI_OPENING_PUBLIC_KEY: k.publicBase64 },
    worker: { JICAI_OPENING_PUBLIC_KEY: k.publicBase64, JICAI_OPENING_PRIVATE_KEY: k.privatePem },
  };
}
