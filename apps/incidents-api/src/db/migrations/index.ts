import type { Migrations } from '@steadfast/service-kit';
import * as createIncidents from './20261123T1700-create-incidents.js';
import * as boundedKeys from './20261202T0100-bounded-keys-and-pruning.js';
import * as sloIncidents from './20261202T0400-slo-incidents-and-experiments.js';

/** Every migration, by name; names sort in the order they apply. */
export const migrations: Migrations = {
  '20261123T1700-create-incidents': createIncidents,
  '20261202T0100-bounded-keys-and-pruning': boundedKeys,
  '20261202T0400-slo-incidents-and-experiments': sloIncidents,
};
