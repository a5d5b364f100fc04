import type { Migrations } from '@steadfast/service-kit';
import * as createUsers from './20261123T1630-create-users.js';

/** Every migration, by name; names sort in the order they apply. */
export const migrations: Migrations = {
  '20261123T1630-create-users': createUsers,
};
