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
  // A service's migrations are merged with its packages' (SLI and chaos tables), so a database may already hold
  // a later-named migration than one that is new to it.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((result) => result.status === 'Error');
    throw new MigrationError(failed?.migrationName ?? '(setup)', error);
  }
  return results;
}
