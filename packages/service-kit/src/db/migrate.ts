import { type Kysely, type Migration, type MigrationResult, Migrator } from 'kysely';

/** Migrations by name; names sort in the order they apply (timestamp prefixes). */
export type Migrations = Record<string, Migration>;

export class MigrationError extends Error {
  constructor(migration: string, cause: unknown) {
    super(`Migration ${migration} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'MigrationError';
  }
}

/** Applies every pending migration, in name order, each in its own transaction. */
export async function migrateToLatest(
  db: Kysely<unknown>,
  migrations: Migrations,
): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((result) => result.status === 'Error');
    throw new MigrationError(failed?.migrationName ?? '(setup)', error);
  }
  return results;
}
