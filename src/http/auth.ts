import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext, Principal, Role } from '../context.js';
import { forbidden, unauthorized } from './problem.js';

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

declare module 'fastify' {
  interface FastifyRequest { principal: Principal | null }
  interface FastifyContextConfig {
    public?: boolean;
    /** The route authenticates by itself (the queue dashboard takes the operator key as a browser's Basic credentials too). */
    ownAuth?: boolean;
  }
}

interface TokenRow { token_hash: string; id: string; organization_id: string; no: number; kind: Role; region_code: string; region_codes: string[] | null }

/**
 * Token look-ups grouped by turn of the event loop: the requests that arrive
 * together share one statement (`token_hash = ANY(...)`), as the bid writer
 * groups writes. Each request's look-up still reads the database after the
 * request arrived, so a revocation committed before it holds; under load this
 * is one round trip for many requests instead of one each.
 */
class TokenLookups {
  private waiting = new Map<string, { resolve: (row: TokenRow | null) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  constructor(private readonly ctx: AppContext) {}

  get(hash: string): Promise<TokenRow | null> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(hash);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(hash, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => { void this.flush(); });
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = new Map();
    this.scheduled = false;
    try {
      const rows = await this.ctx.db.query<TokenRow>(
        `SELECT t.token_hash, t.id, t.organization_id, o.no, o.kind, o.region_code, o.region_codes
           FROM tokens t JOIN organizations o ON o.id = t.organization_id
          WHERE t.token_hash = ANY($1::text[]) AND t.revoked_at IS NULL`, [[...batch.keys()]]);
      const byHash = new Map(rows.map((r) => [r.token_hash, r]));
      for (const [hash, list] of batch) for (const w of list) w.resolve(byHash.get(hash) ?? null);
    } catch (e) {
      for (const list of batch.values()) for (const w of list) w.reject(e);
    }
  }
}

/**
 * Resolves the bearer token to a principal, from the database on every
 * request: no per-process cache, so a revocation holds at once on every API
 * instance (a 5 s cache let a revoked token bid on another instance;
 * SECURITY.md "Revocation"). The look-up is one index probe on token_hash,
 * shared by the requests of one turn of the event loop (TokenLookups).
 */
export function makeAuthenticator(ctx: AppContext) {
  const masterHash = Buffer.from(hashToken(ctx.config.masterKey), 'hex');
  const lookups = new TokenLookups(ctx);

  async function resolve(token: string): Promise<Principal | null> {
    const h = hashToken(token);
    if (timingSafeEqual(Buffer.from(h, 'hex'), masterHash)) {
      return { role: 'operator', orgId: null, no: null, tokenId: null, regionCode: null, regionCodes: [] };
    }
    const r = await lookups.get(h);
    if (!r) return null;
    return { role: r.kind, orgId: r.organization_id, no: r.no, tokenId: r.id, regionCode: r.region_code, regionCodes: r.region_codes ?? [] };
  }

  return {
    async onRequest(req: FastifyRequest, _reply: FastifyReply) {
      req.principal = null;
      if (req.routeOptions.config?.ownAuth === true) return;
      const header = req.headers.authorization;
      const isPublic = req.routeOptions.config?.public === true;
      if (!header) {
        if (isPublic) return;
        throw unauthorized();
      }
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw unauthorized('The Authorization header must be "Bearer <token>"');
      const principal = await resolve(m[1]);
      if (!principal) throw unauthorized('The token is unknown or revoked');
      req.principal = principal;
    },
    /** Whether `key` is the operator's key (constant time). */
    isMasterKey(key: string): boolean { return timingSafeEqual(Buffer.from(hashToken(key), 'hex'), masterHash); },
  };
}

/** The authenticated principal (routes without `public` always have one). */
export function who(req: FastifyRequest): Principal {
  if (!req.principal) throw unauthorized();
  return req.principal;
}

export function requireRole(p: Principal, ...roles: Role[]): void {
  if (!roles.includes(p.role)) throw forbidden(`This needs the role ${roles.join(' or ')}; you act as ${p.role}`);
}

/**
 * A route's access check, run as its onRequest hook: after authentication and
 * before the body is read, so 404 and 403 answer before 400/413/415 (API.md order).
 */
export function access(check: (p: Principal, req: FastifyRequest) => unknown | Promise<unknown>) {
  return async (req: FastifyRequest) => { await check(who(req), req); };
}

export const roles = (...allowed: Role[]) => access((p) => requireRole(p, ...allowed));
