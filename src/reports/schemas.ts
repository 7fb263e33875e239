import { Type, type Static } from '@sinclair/typebox';
import { NullableTimestamp, Timestamp } from '../http/schemas.js';
import { FORMATS, KINDS } from './model.js';

export const Month = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });

export const ReportInput = Type.Object({
  kind: Type.Union(KINDS.map((k) => Type.Literal(k))),
  format: Type.Union(FORMATS.map((f) => Type.Literal(f))),
  asOf: Type.Optional(Month),
}, { additionalProperties: false });
export type ReportInput = Static<typeof ReportInput>;

export const ReportAccepted = Type.Object({ id: Type.String(), status: Type.Literal('queued') });

export const Report = Type.Object({
  id: Type.String(), roundId: Type.String(), kind: Type.String(), format: Type.String(),
  asOf: Type.Union([Month, Type.Null()]),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  error: Type.Optional(Type.String({ description: 'why the report failed (failed only)' })),
  createdAt: Timestamp, finishedAt: NullableTimestamp,
});
export type Report = Static<typeof Report>;

export const ReportQuery = Type.Object({
  roundId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});
