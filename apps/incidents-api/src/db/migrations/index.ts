import type { Migrations } from '@steadfast/service-kit';
import * as createIncidents from './20261123T1700-create-incidents.js';
import * as boundedKeys from './20261202T0100-bounded-keys-and-pruning.js';

/** Every migration, by name; names sort in the order they apply. */
export const migrations: Migrations = {
  '20261123T1700-create-incidents': createIncidents,
  '20261202T0100-bounded-keys-and-pruning': boundedKeys,
};
