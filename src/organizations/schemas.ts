import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../http/pagination.js';

export const OrgKind = Type.Union([Type.Literal('alliance'), Type.Literal('hospital'), Type.Literal('manufacturer')]);
export const RegionCode = Type.String({ pattern: '^[0-9]{6}$', description: 'GB/T 2260 six-digit code' });
export const Id = Type.String({ minLength: 1, maxLength: 64 });

export const OrganizationInput = Type.Object({
  kind: OrgKind,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  regionCode: RegionCode,
  regionCodes: Type.Optional(Type.Array(RegionCode, { minItems: 1, maxItems: 500, description: 'alliances only: the regions the alliance pools' })),
  externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
}, { additionalProperties: false });
export type OrganizationInput = Static<typeof OrganizationInput>;

export const Organization = Type.Object({
  id: Type.String(),
  kind: OrgKind,
  name: Type.String(),
  regionCode: Type.String(),
  regionCodes: Type.Union([Type.Array(Type.String()), Type.Null()]),
  externalId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Organization = Static<typeof Organization>;

export const TokenInput = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const TokenCreated = Type.Object({
  id: Type.String(), organizationId: Type.String(), name: Type.String(),
  token: Type.String({ description: 'shown once; only its sha256 is stored' }), createdAt: Type.String(),
});

export const SuspensionInput = Type.Object({
  from: Type.String({ format: 'date-time' }),
  until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null: open-ended' }),
  reason: Type.String({ minLength: 1, maxLength: 1000 }),
}, { additionalProperties: false });
export const Suspension = Type.Object({
  id: Type.String(), organizationId: Type.String(), from: Type.String(), until: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(), createdAt: Type.String(),
});

export const BulkCreated = Type.Object({ created: Type.Integer() });
export type SuspensionInput = Static<typeof SuspensionInput>;

export const OrganizationQuery = Type.Object({ ...PageQuery, kind: Type.Optional(OrgKind), externalId: Type.Optional(Type.String({ maxLength: 100 })) });
export type OrganizationQuery = Static<typeof OrganizationQuery>;
