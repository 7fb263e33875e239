import type { FastifyRequest } from 'fastify';
import type { Principal, Role } from '../context.js';
import { access, requireRole } from '../http/auth.js';
import { notFound } from '../http/problem.js';
import type { RoundRow } from './mapper.js';
import { requireOwnAlliance, visibleRound } from './service.js';

/** The round id of a /v1/rounds/:id/… route. */
export function roundIdOf(req: FastifyRequest): string {
  const id = (req.params as { id?: unknown }).id;
  if (typeof id !== 'string') throw notFound('Round');
  return id;
}

/**
 * onRequest check for /v1/rounds/:id/… routes: 404 when the caller may not
 * see the round, then 403 when its role may not act. The handler's own
 * transaction re-reads the round under lock for state checks.
 */
export function onRound(check?: (p: Principal, r: RoundRow, req: FastifyRequest) => void | Promise<void>) {
  return access(async (p, req) => {
    const r = await visibleRound(req.server.ctx.db, p, roundIdOf(req));
    await check?.(p, r, req);
  });
}

export const roundAlliance = onRound((p, r) => requireOwnAlliance(p, r));
export const roundRoles = (...roles: Role[]) => onRound((p) => requireRole(p, ...roles));
/** The round's own alliance, or the operator. */
export const roundAllianceOrOperator = onRound((p, r) => {
  requireRole(p, 'alliance', 'operator');
  if (p.role === 'alliance') requireOwnAlliance(p, r);
});
