import { Type } from '@sinclair/typebox';

export const UuidParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const PageQueryProperties = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'meta.nextCursor of the previous page' }),
  ),
};

export const ListQuery = Type.Object(PageQueryProperties, { additionalProperties: false });
