import { type PageRequest, pageNewestFirst } from '@steadfast/service-kit';
import { type Kysely, sql } from 'kysely';
import type { Database, NewUserRow, UserRow, UserUpdate } from '../db/schema.js';

export function insertUser(db: Kysely<Database>, user: NewUserRow): Promise<UserRow> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

export function findUserRow(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
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
