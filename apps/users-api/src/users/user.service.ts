import { ConflictError, NotFoundError } from '@steadfast/errors';
import { rejectingDuplicate } from '@steadfast/http';
import type { PageRequest } from '@steadfast/service-kit';
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../db/schema.js';
import {
  type CallState,
  type NewUser,
  normaliseEmail,
  toUser,
  type User,
  type UserChanges,
  type UserPage,
} from './user.js';
import { deleteUser, findUserRow, insertUser, listUserRows, updateUserRow } from './user.repository.js';

const rejectingTakenEmail = <T>(work: Promise<T>) =>
  rejectingDuplicate(
    work,
    'users_email_key',
    () => new ConflictError('A user with this email already exists', 'EMAIL_TAKEN'),
  );

const notFound = (id: string) => new NotFoundError(`User ${id} does not exist`);

function found(id: string, row: UserRow | undefined): User {
  if (!row) throw notFound(id);
  return toUser(row);
}

/** What the users routes call; the app runs every method through the database guard. */
export function userService(db: Kysely<Database>) {
  return {
    async create(user: NewUser): Promise<User> {
      return toUser(
        await rejectingTakenEmail(insertUser(db, { name: user.name, email: normaliseEmail(user.email) })),
      );
    },

    async get(id: string): Promise<User> {
      return found(id, await findUserRow(db, id));
    },

    async list(page: PageRequest): Promise<UserPage> {
      const { rows, nextCursor } = await listUserRows(db, page);
      return { users: rows.map(toUser), nextCursor };
    },

    async update(id: string, changes: UserChanges): Promise<User> {
      const row = await rejectingTakenEmail(
        updateUserRow(db, id, {
          ...(changes.name === undefined ? {} : { name: changes.name }),
          ...(changes.email === undefined ? {} : { email: normaliseEmail(changes.email) }),
        }),
      );
      return found(id, row);
    },

    async setCallState(id: string, state: CallState): Promise<User> {
      const row = await updateUserRow(db, id, {
        ...(state.muted === undefined ? {} : { muted: state.muted }),
        ...(state.deviceId === undefined ? {} : { device_id: state.deviceId }),
        ...(state.deviceLabel === undefined ? {} : { device_label: state.deviceLabel }),
      });
      return found(id, row);
    },

    async remove(id: string): Promise<void> {
      if (!(await deleteUser(db, id))) throw notFound(id);
    },
  };
}

export type UserService = ReturnType<typeof userService>;
