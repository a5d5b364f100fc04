import { ConflictError, NotFoundError } from '@steadfast/errors';
import { isUniqueViolation } from '@steadfast/http';
import { type PageRequest, pageNewestFirst } from '@steadfast/service-kit';
import { type Kysely, sql } from 'kysely';
import type { Database, UserRow } from '../db/schema.js';

export interface User {
  id: string;
  name: string;
  email: string;
  muted: boolean;
  deviceId: string | null;
  deviceLabel: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewUser {
  name: string;
  email: string;
}

export interface UserChanges {
  name?: string;
  email?: string;
}

export interface CallState {
  muted?: boolean;
  deviceId?: string | null;
  deviceLabel?: string | null;
}

export interface UserPage {
  users: User[];
  nextCursor: string | null;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  name: row.name,
  email: row.email,
  muted: row.muted,
  deviceId: row.device_id,
  deviceLabel: row.device_label,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const normaliseEmail = (email: string) => email.trim().toLowerCase();

async function rejectingTakenEmail<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_key')) {
      throw new ConflictError('A user with this email already exists', 'EMAIL_TAKEN');
    }
    throw error;
  }
}

const notFound = (id: string) => new NotFoundError(`User ${id} does not exist`);

export function userRepository(db: Kysely<Database>) {
  return {
    async create(user: NewUser): Promise<User> {
      const row = await rejectingTakenEmail(
        db
          .insertInto('users')
          .values({ name: user.name, email: normaliseEmail(user.email) })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return toUser(row);
    },

    async get(id: string): Promise<User> {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound(id);
      return toUser(row);
    },

    /** Newest first; the cursor is opaque to callers and stable under concurrent inserts. */
    async list(page: PageRequest): Promise<UserPage> {
      const { rows, nextCursor } = await pageNewestFirst(db.selectFrom('users').selectAll(), page);
      return { users: rows.map(toUser), nextCursor };
    },

    async update(id: string, changes: UserChanges): Promise<User> {
      const row = await rejectingTakenEmail(
        db
          .updateTable('users')
          .set({
            ...(changes.name === undefined ? {} : { name: changes.name }),
            ...(changes.email === undefined ? {} : { email: normaliseEmail(changes.email) }),
            updated_at: sql`clock_timestamp()`,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst(),
      );
      if (!row) throw notFound(id);
      return toUser(row);
    },

    async setCallState(id: string, state: CallState): Promise<User> {
      const row = await db
        .updateTable('users')
        .set({
          ...(state.muted === undefined ? {} : { muted: state.muted }),
          ...(state.deviceId === undefined ? {} : { device_id: state.deviceId }),
          ...(state.deviceLabel === undefined ? {} : { device_label: state.deviceLabel }),
          updated_at: sql`clock_timestamp()`,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound(id);
      return toUser(row);
    },

    async remove(id: string): Promise<void> {
      const { numDeletedRows } = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      if (numDeletedRows === 0n) throw notFound(id);
    },
  };
}

export type UserRepository = ReturnType<typeof userRepository>;
