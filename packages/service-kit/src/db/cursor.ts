import { ValidationError } from '@steadfast/errors';
import { type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';

/**
 * Cursor paging over `(created_at desc, id desc)`, for any table with a timestamptz `created_at` and a uuid `id`.
 * The cursor holds the last row's creation time in microseconds (PostgreSQL's precision; a JS Date would round it
 * and skip or repeat rows) and its id, so pages neither skip nor repeat rows when others are inserted meanwhile.
 */
export interface Cursor {
  createdAtMicros: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAtMicros}.${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  const [createdAtMicros, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('.');
  if (rest.length > 0 || !createdAtMicros || !/^\d{1,17}$/.test(createdAtMicros) || !id || !UUID.test(id)) {
    throw new ValidationError('The cursor is not one this service issued', [
      { field: 'querystring.cursor', message: 'is not a valid cursor' },
    ]);
  }
  return { createdAtMicros, id };
}

/** Selects a row's position, so the last row of a page becomes the next cursor. */
const cursorPosition = sql<string>`(extract(epoch from created_at) * 1000000)::bigint::text`;

/** Rows strictly after the cursor in (created_at desc, id desc) order. */
function afterCursor(cursor: Cursor): RawBuilder<boolean> {
  const position = sql`(timestamptz 'epoch' + ${cursor.createdAtMicros}::bigint * interval '1 microsecond')`;
  return sql<boolean>`(created_at, id) < (${position}, ${cursor.id}::uuid)`;
}

/** Cuts the extra row a page query fetched (limit + 1) into the page and the cursor of the next one. */
function toPage<T extends { id: string; cursor_micros: string }>(rows: T[], limit: number) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last ? encodeCursor({ createdAtMicros: last.cursor_micros, id: last.id }) : null;
  return { rows: page, nextCursor };
}

export interface PageRequest {
  limit: number;
  /** `meta.nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/**
 * One page of a query, newest first: adds the ordering, the cursor condition and `limit + 1` (to know whether
 * another page follows) to a query the caller has already filtered.
 */
export async function pageNewestFirst<DB, TB extends keyof DB, O extends { id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  { limit, cursor }: PageRequest,
): Promise<{ rows: O[]; nextCursor: string | null }> {
  let paged = query
    .select(cursorPosition.as('cursor_micros'))
    .orderBy(sql`created_at`, 'desc')
    .orderBy(sql`id`, 'desc')
    .limit(limit + 1);
  if (cursor !== undefined) paged = paged.where(afterCursor(decodeCursor(cursor)));
  const rows = (await paged.execute()) as Array<O & { cursor_micros: string }>;
  return toPage(rows, limit);
}
