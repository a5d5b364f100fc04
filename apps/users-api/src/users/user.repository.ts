import { type PageRequest, pageNewestFirst } from '@steadfast/service-kit';
import { type CompiledQuery, createQueryId, type Kysely, sql } from 'kysely';
import type { Database, NewUserRow, UserRow, UserUpdate } from '../db/schema.js';

export function insertUser(db: Kysely<Database>, user: NewUserRow): Promise<UserRow> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

// GET /v1/users/:id is the hot read: its statement is built and compiled once per handle, then run with each id as
// its one parameter, the same SQL Kysely would compile on every call. The handle has no plugins (a plugin's
// transformQuery would run at the first compile only).
const findUserQueries = new WeakMap<Kysely<Database>, CompiledQuery<UserRow>>();

export async function findUserRow(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  let query = findUserQueries.get(db);
  if (query === undefined) {
    query = db.selectFrom('users').selectAll().where('id', '=', id).compile();
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
