import { ConflictError, NotFoundError } from '@steadfast/errors';
import { rejectingDuplicate } from '@steadfast/http';
import type { PageRequest } from '@steadfast/service-kit';
import type { Kysely } from 'kysely';
import type { Database, ServiceRow } from '../db/schema.js';
import { type NewService, type Service, type ServiceChanges, toService } from './service.js';
import {
  countOpenIncidentsOf,
  deleteService,
  findServiceRow,
  insertService,
  listServiceRows,
  updateServiceRow,
} from './service.repository.js';

const rejectingTakenName = <T>(work: Promise<T>) =>
  rejectingDuplicate(
    work,
    'services_name_key',
    () => new ConflictError('A service with this name already exists', 'SERVICE_NAME_TAKEN'),
  );

const notFound = (id: string) => new NotFoundError(`Service ${id} does not exist`);

function found(id: string, row: ServiceRow | undefined): Service {
  if (!row) throw notFound(id);
  return toService(row);
}

/** The services catalog as the routes use it; the app runs every method through the database guard. */
export function serviceCatalog(db: Kysely<Database>) {
  return {
    async create(service: NewService): Promise<Service> {
      const row = await rejectingTakenName(
        insertService(db, {
          name: service.name.trim(),
          owner: service.owner ?? null,
          tier: service.tier ?? null,
          description: service.description ?? null,
        }),
      );
      return toService(row);
    },

    async get(id: string): Promise<Service> {
      return found(id, await findServiceRow(db, id));
    },

    async list(page: PageRequest) {
      const { rows, nextCursor } = await listServiceRows(db, page);
      return { services: rows.map(toService), nextCursor };
    },

    async update(id: string, changes: ServiceChanges): Promise<Service> {
      const row = await rejectingTakenName(
        updateServiceRow(db, id, {
          ...(changes.name === undefined ? {} : { name: changes.name.trim() }),
          ...(changes.owner === undefined ? {} : { owner: changes.owner }),
          ...(changes.tier === undefined ? {} : { tier: changes.tier }),
          ...(changes.description === undefined ? {} : { description: changes.description }),
        }),
      );
      return found(id, row);
    },

    /** Deletes a service no unresolved incident affects; links to resolved incidents go with it. */
    async remove(id: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        if (!(await findServiceRow(trx, id, { forUpdate: true }))) throw notFound(id);
        const open = await countOpenIncidentsOf(trx, id);
        if (open > 0) {
          throw new ConflictError(
            `Service ${id} is affected by ${open} unresolved incident(s); resolve them first`,
            'SERVICE_HAS_OPEN_INCIDENTS',
          );
        }
        await deleteService(trx, id);
      });
    },
  };
}

export type ServiceCatalog = ReturnType<typeof serviceCatalog>;
