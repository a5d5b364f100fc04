import { type PageRequest, pageNewestFirst } from '@steadfast/service-kit';
import { type Insertable, type Kysely, sql, type Updateable } from 'kysely';
import type { Database, ServiceRow, ServicesTable } from '../db/schema.js';

export function insertService(db: Kysely<Database>, values: Insertable<ServicesTable>): Promise<ServiceRow> {
  return db.insertInto('services').values(values).returningAll().executeTakeFirstOrThrow();
}

/** The service's row, if there is one; locked until the transaction ends when `forUpdate`. */
export function findServiceRow(
  db: Kysely<Database>,
  id: string,
  { forUpdate = false } = {},
): Promise<ServiceRow | undefined> {
  let query = db.selectFrom('services').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export function listServiceRows(db: Kysely<Database>, page: PageRequest) {
  return pageNewestFirst(db.selectFrom('services').selectAll(), page);
}

/** Writes `changes` and stamps `updated_at`; undefined when no service has the id. */
export function updateServiceRow(
  db: Kysely<Database>,
  id: string,
  changes: Updateable<ServicesTable>,
): Promise<ServiceRow | undefined> {
  return db
    .updateTable('services')
    .set({ ...changes, updated_at: sql`clock_timestamp()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteService(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('services').where('id', '=', id).execute();
}

/** How many unresolved incidents the service is affected by. */
export async function countOpenIncidentsOf(db: Kysely<Database>, serviceId: string): Promise<number> {
  const { n } = await db
    .selectFrom('incident_services')
    .innerJoin('incidents', 'incidents.id', 'incident_services.incident_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('incident_services.service_id', '=', serviceId)
    .where('incidents.status', '<>', 'resolved')
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** The service called `name`, created (unowned, untiered) when there is none; safe under concurrent calls. */
export async function ensureServiceNamed(
  db: Kysely<Database>,
  name: string,
  description: string,
): Promise<ServiceRow> {
  await db
    .insertInto('services')
    .values({ name, description })
    .onConflict((oc) => oc.constraint('services_name_key').doNothing())
    .execute();
  return db.selectFrom('services').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
}
