import { Type } from '@sinclair/typebox';
import { Decimal4 } from '../http/schemas.js';

export const BidInput = Type.Object({
  productId: Type.String({ minLength: 1, maxLength: 64 }),
  packagePrice: Type.String({ pattern: '^[0-9]{1,10}(\\.[0-9]{1,4})?$', description: 'price of one pack, a decimal string with at most 4 places' }),
}, { additionalProperties: false });

export const Receipt = Type.Object({
  digest: Type.String({ description: 'sha256 (hex) of the RFC 8785 JSON of {roundId, itemCode, manufacturerId, productId, packagePrice, version, salt}' }),
  salt: Type.Optional(Type.String({ description: 'returned to the bidder with its PUT (and after opening)' })),
});

export const BidAccepted = Type.Object({
  itemCode: Type.String(), productId: Type.String(), packagePrice: Decimal4, version: Type.Integer(),
  submittedAt: Type.String(), receipt: Type.Object({ digest: Type.String(), salt: Type.String() }),
});

export const BidView = Type.Object({
  itemCode: Type.String(), manufacturerId: Type.String(), productId: Type.String(), version: Type.Integer(), submittedAt: Type.String(),
  packagePrice: Type.Optional(Decimal4), receipt: Type.Optional(Receipt),
}, { description: 'before opening a bidder sees its own bids without prices; after opening, prices are shown' });
