import type { Migrations } from '@steadfast/service-kit';
import * as createIncidents from './20261123T1700-create-incidents.js';

/** Every migration, by name; names sort in the order they apply. */
export const migrations: Migrations = {
  '20261123T1700-create-incidents': createIncidents,
};
