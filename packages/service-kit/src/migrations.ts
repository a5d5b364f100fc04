import { chaosMigrations } from '@steadfast/chaos';
import { sloMigrations } from '@steadfast/slo';
import type { Migrations } from './db/migrate.js';
import type { ServiceDefinition } from './service.js';

/**
 * A service's own migrations plus the tables of the packages it registers (SLI counts, chaos), so startup and
 * `db:migrate` apply the same set.
 */
export function serviceMigrations(service: ServiceDefinition): Migrations {
  return {
    ...(service.slos === false ? {} : sloMigrations),
    ...(service.chaos === false ? {} : chaosMigrations),
    ...service.migrations,
  };
}
