import { ConfigError } from './config.js';
import { isUnavailable } from './http/errors.js';

/**
 * One line for an operator when a process cannot start: a setting is missing or
 * malformed, or the database cannot be reached or refuses the connection.
 * Never a stack trace (it says nothing to an operator) nor the URL's password.
 */
export function startupFailure(name: string, err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const e = err as { message?: unknown; code?: unknown };
  const message = String(e?.message ?? err).split('\n')[0];
  if (err instanceof ConfigError || (err instanceof Error && err.name === 'TestOnlyError')) return `${name}: configuration error: ${message}`;
  const where = databaseWhere(env.DATABASE_URL);
  if (isUnavailable(err)) return `${name}: cannot reach the database${where}: ${String(e.code ?? '')} ${redact(message, env)}`.trimEnd();
  if (typeof e?.code === 'string' && /^(28|3D|42501)/.test(e.code)) {
    return `${name}: the database${where} refused the connection: ${redact(message, env)}`;
  }
  if (err instanceof TypeError && /url/i.test(message)) return `${name}: configuration error: DATABASE_URL is not a valid URL`;
  return `${name}: failed to start: ${redact(message, env)}`;
}

/** Prints the line and exits non-zero. */
export function exitOnStartupFailure(name: string): (err: unknown) => never {
  return (err) => {
    console.error(startupFailure(name, err));
    process.exit(1);
  };
}

function databaseWhere(url: string | undefined): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    return ` at ${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch { return ''; }
}

/** Secrets that may appear in a driver's message (the URL's password, the keys). */
function redact(text: string, env: NodeJS.ProcessEnv): string {
  let out = text;
  const secrets = [env.JICAI_MASTER_KEY, env.JICAI_BID_KEK, env.JICAI_OPENING_PRIVATE_KEY];
  try { if (env.DATABASE_URL) secrets.push(decodeURIComponent(new URL(env.DATABASE_URL).password)); } catch { /* not a URL */ }
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}
