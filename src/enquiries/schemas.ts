import { Type, type Static } from '@sinclair/typebox';
import { IdParam, NullableTimestamp, Timestamp } from '../http/schemas.js';
import { ItemCode } from '../rounds/schemas.js';

export const EnquiryInput = Type.Object({
  itemCode: Type.Optional(Type.Union([ItemCode, Type.Null()], { description: 'the item asked about; absent or null: the round' })),
  question: Type.String({ minLength: 1, maxLength: 4000 }),
}, { additionalProperties: false });
export type EnquiryInput = Static<typeof EnquiryInput>;

export const AnswerInput = Type.Object({ answer: Type.String({ minLength: 1, maxLength: 8000 }) }, { additionalProperties: false });

export const Enquiry = Type.Object({
  id: Type.String(), itemCode: Type.Union([Type.String(), Type.Null()]), question: Type.String(), askedAt: Timestamp,
  answer: Type.Union([Type.String(), Type.Null()]), answeredAt: NullableTimestamp,
  askedBy: Type.Union([Type.String(), Type.Null()], { description: 'the asker: shown to the alliance, the operator and the asker only (null for others)' }),
});
export type Enquiry = Static<typeof Enquiry>;

export const EnquiryParams = Type.Object({ ...IdParam.properties, eid: Type.String({ minLength: 1, maxLength: 64 }) });
