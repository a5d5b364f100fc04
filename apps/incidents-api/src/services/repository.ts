import { ConflictError, NotFoundError } from '@steadfast/errors';
import { isUniqueViolation } from '@steadfast/http';
import { type PageRequest, pageNewestFirst } from '@steadfast/service-kit';
import { type Kysely, sql } from 'kysely';
import type { Database, ServiceRow } from '../db/schema.js';

export interface Service {
  id: string;
  name: string;
  owner: string | null;
  tier: number | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewService {
  name: string;
  owner?: string | null;
  tier?: number | null;
  description?: string | null;
}

export type ServiceChanges = Partial<NewService>;

const toService = (row: ServiceRow): Service => ({
  id: row.id,
  name: row.name,
  owner: row.owner,
  tier: row.tier,
  description: row.description,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

async function rejectingTakenName<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isUniqueViolation(error, 'services_name_key')) {
      throw new ConflictError('A service with this name already exists', 'SERVICE_NAME_TAKEN');
    }
    throw error;
  }
}

const notFound = (id: string) => new NotFoundError(`Service ${id} does not exist`);

/** The service called `name`, created (unowned, untiered) when there is none; safe under concurrent calls. */
export async function ensureServiceNamed(db: Kysely<Database>, name: string, description: string) {
  await db
    .insertInto('services')
    .values({ name, description })
    .onConflict((oc) => oc.constraint('services_name_key').doNothing())
    .execute();
  return db.selectFrom('services').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
}

export function serviceRepository(db: Kysely<Database>) {
  return {
    async create(service: NewService): Promise<Service> {
      const row = await rejectingTakenName(
        db
          .insertInto('services')
          .values({
            name: service.name.trim(),
            owner: service.owner ?? null,
            tier: service.tier ?? null,
            description: service.description ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return toService(row);
    },

    async get(id: string): Promise<Service> {
      const row = await db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound(id);
      return toService(row);
    },

    async list(page: PageRequest) {
      const { rows, nextCursor } = await pageNewestFirst(db.selectFrom('services').selectAll(), page);
      return { services: rows.map(toService), nextCursor };
    },

    async update(id: string, changes: ServiceChanges): Promise<Service> {
      const row = await rejectingTakenName(
        db
          .updateTable('services')
          .set({
            ...(changes.name === undefined ? {} : { name: changes.name.trim() }),
            ...(changes.owner === undefined ? {} : { owner: changes.owner }),
            ...(changes.tier === undefined ? {} : { tier: changes.tier }),
            ...(changes.description === undefined ? {} : { description: changes.description }),
            updated_at: sql`clock_timestamp()`,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst(),
      );
      if (!row) throw notFound(id);
      return toService(row);
    },

    /** Deletes a service no unresolved incident affects; links to resolved incidents go with it. */
    async remove(id: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('services')
          .select('id')
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        if (!row) throw notFound(id);
        const open = await trx
          .selectFrom('incident_services')
          .innerJoin('incidents', 'incidents.id', 'incident_services.incident_id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('incident_services.service_id', '=', id)
          .where('incidents.status', '<>', 'resolved')
          .executeTakeFirstOrThrow();
        if (Number(open.n) > 0) {
          throw new ConflictError(
            `Service ${id} is affected by ${open.n} unresolved incident(s); resolve them first`,
            'SERVICE_HAS_OPEN_INCIDENTS',
          );
        }
        await trx.deleteFrom('services').where('id', '=', id).execute();
      });
    },
  };
}

export type ServiceRepository = ReturnType<typeof serviceRepository>;
