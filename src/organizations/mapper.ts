import type { organizations, suspensions } from '../db/schema.js';
import type { Organization } from './schemas.js';

export type OrganizationRow = typeof organizations.$inferSelect;
export type SuspensionRow = typeof suspensions.$inferSelect;

export const toOrganization = (r: OrganizationRow): Organization => ({
  id: r.id, kind: r.kind, name: r.name, regionCode: r.regionCode,
  regionCodes: r.regionCodes ?? null, externalId: r.externalId ?? null, createdAt: r.createdAt.toISOString(),
});

export const toSuspension = (r: SuspensionRow) => ({
  id: r.id, organizationId: r.organizationId, from: r.from.toISOString(), until: r.until ? r.until.toISOString() : null,
  reason: r.reason, createdAt: r.createdAt.toISOString(),
});
