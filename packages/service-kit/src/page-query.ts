import { Type } from '@sinclair/typebox';

/** `?limit=&cursor=` of a newest-first listing (`pageNewestFirst`); spread it beside a listing's own filters. */
export const PageQueryProperties = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'meta.nextCursor of the previous page' }),
  ),
};

export const PageQuerySchema = Type.Object(PageQueryProperties, { additionalProperties: false });
