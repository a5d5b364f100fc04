import { type TProperties, Type } from '@sinclair/typebox';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** `limit` and `cursor`, the query of every cursor-paged listing; filters are added beside them. */
export const PageQueryProperties = {
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'meta.nextCursor of the previous page' }),
  ),
};

/** The query of a listing: paging plus the listing's own filters; any other parameter is a 400. */
export const PageQuery = <P extends TProperties = Record<never, never>>(filters?: P) =>
  Type.Object({ ...PageQueryProperties, ...(filters as P) }, { additionalProperties: false });

/** `/:id` where the id is a UUID. */
export const UuidParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
