import { Redis } from 'ioredis';

/** The job side of the platform: only its health matters to the HTTP layer. */
export interface Dispatcher {
  readonly kind: 'redis' | 'in-process';
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function inProcessDispatcher(): Dispatcher {
  return { kind: 'in-process', ping: async () => {}, close: async () => {} };
}

export function redisDispatcher(url: string): Dispatcher {
  // Fail fast: /health must answer, not hang, when Redis is down.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1000 });
  redis.on('error', () => {});
  return {
    kind: 'redis',
    async ping() {
      if (redis.status === 'wait' || redis.status === 'end') await redis.connect().catch(() => {});
      const pong = await Promise.race([
        redis.ping(),
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error('redis timeout')), 1000)),
      ]);
      if (pong !== 'PONG') throw new Error('redis did not answer PONG');
    },
    async close() { redis.disconnect(); },
  };
}
