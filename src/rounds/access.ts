import type { FastifyRequest } from 'fastify';
import type { Principal, Role } from '../context.js';
import { access, requireRole } from '../http/auth.js';
import { requireOwnAlliance, visibleRound, type RoundRow } from './service.js';

/**
 * onRequest check for /v1/rounds/:id/… routes: 404 when the caller may not
 * see the round, then 403 when its role may not act. The handler's own
 * transaction re-reads the round under lock for state checks.
 */
export function onRound(check?: (p: Principal, r: RoundRow, req: FastifyRequest) => void | Promise<void>) {
  return access(async (p, req) => {
    const r = await visibleRound(req.server.ctx.db, p, (req.params as { id: string }).id);
    await check?.(p, r, req);
  });
}

export const roundAlliance = onRound((p, r) => requireOwnAlliance(p, r));
export const roundRoles = (...roles: Role[]) => onRound((p) => requireRole(p, ...roles));
