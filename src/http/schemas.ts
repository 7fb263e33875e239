import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';

export const ProblemSchema = Type.Object({
  type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({
    path: Type.Optional(Type.String()), line: Type.Optional(Type.Integer()), message: Type.String(),
  }))),
}, { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' });

const ProblemRef = Type.Ref(ProblemSchema);

/** Response schemas for a route: its successes (their types reach the handler) plus problem+json for every error. */
export const responses = <T extends Record<number, TSchema>>(ok: T): T & { '4xx': typeof ProblemRef; '5xx': typeof ProblemRef } => ({
  ...ok,
  '4xx': ProblemRef,
  '5xx': ProblemRef,
});

/** A 204 answer: no body. */
export const NoContent = Type.Null({ description: 'no content' });

export const Decimal4 = Type.String({ pattern: '^-?[0-9]+\\.[0-9]{4}$', description: 'decimal, 4 places, half up' });
export const NullableDecimal4 = Type.Union([Decimal4, Type.Null()]);
export const DecimalInput = Type.String({ pattern: '^[0-9]{1,12}(\\.[0-9]{1,8})?$', description: 'a non-negative decimal string' });
export const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

/**
 * Sends a body already written as JSON (by PostgreSQL, for the large reads) past the route's typed
 * serializer; the route's tests compare such bodies, byte for byte, with what its response schema writes.
 */
export const sendJsonText = (reply: FastifyReply, body: string) => reply.type('application/json; charset=utf-8').send(body);
