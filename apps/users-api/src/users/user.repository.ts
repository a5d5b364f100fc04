import { type PageRequest, pageNewestFirst, prepared } from '@steadfast/service-kit';
import { type CompiledQuery, createQueryId, type Kysely, sql } from 'kysely';
import type { Database, NewUserRow, UserRow, UserUpdate } from '../db/schema.js';

export function insertUser(db: Kysely<Database>, user: NewUserRow): Promise<UserRow> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

// GET /v1/users/:id is the hot read: its statement is built and compiled once per handle and prepared (one parse and
// plan per connection), then run with each id as its one parameter. The handle has no plugins (a plugin's
// transformQuery would run at the first compile only); the columns are named, as a prepared statement needs.
const USER_COLUMNS = [
  'id',
  'name',
  'email',
  'muted',
  'device_id',
  'device_label',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof UserRow>;
const findUserQueries = new WeakMap<Kysely<Database>, CompiledQuery<UserRow>>();

export async function findUserRow(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  let query = findUserQueries.get(db);
  if (query === undefined) {
    query = prepared(db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).compile());
    findUserQueries.set(db, query);
  }
  const { rows } = await db.executeQuery<UserRow>({ ...query, parameters: [id], queryId: createQueryId() });
  return rows[0];
}

/** Newest first; the cursor is opaque to callers and stable under concurrent inserts. */
export function listUserRows(db: Kysely<Database>, page: PageRequest) {
  return pageNewestFirst(db.selectFrom('users').selectAll(), page);
}

/** Writes `changes` and stamps `updated_at`; undefined when no user has the id. */
export function updateUserRow(
  db: Kysely<Database>,
  id: string,
  changes: UserUpdate,
): Promise<UserRow | undefined> {
  return db
    .updateTable('users')
    .set({ ...changes, updated_at: sql`clock_timestamp()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Whether a user had the id. */
export async function deleteUser(db: Kysely<Database>, id: string): Promise<boolean> {
  const { numDeletedRows } = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return numDeletedRows > 0n;
}
