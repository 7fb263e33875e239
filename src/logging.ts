import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

/**
 * Logs: one JSON line per request for machines (log shippers, `npm start > file`),
 * and one readable line per request when a person watches a terminal: pino-pretty,
 * a development dependency, used only when stdout is a TTY and it is installed
 * (a production install without dev dependencies logs JSON). JICAI_LOG_FORMAT=json|pretty forces either.
 */
export function loggerOptions(level: string, env: NodeJS.ProcessEnv = process.env): FastifyServerOptions['logger'] {
  const format = env.JICAI_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format === 'pretty' && prettyAvailable()) {
    return {
      level,
      transport: {
        target: 'pino-pretty',
        options: {
          singleLine: true, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,reqId,method,route,status,ms,actor',
          messageFormat: '{msg}{if method} {method} {route} {status} {ms} ms{end}{if actor} {actor}{end}',
        },
      },
    };
  }
  return { level };
}

function prettyAvailable(): boolean {
  try { createRequire(import.meta.url).resolve('pino-pretty'); return true; } catch { return false; }
}
