import type { ConfigSchema } from '@steadfast/http';
import { destination, pino } from 'pino';
import { loggerOptions } from '../logger.js';
import { type MigrateCommandOptions, readConfig } from '../run.js';
import { backupDatabase, restoreDatabase } from './backup.js';
import { type Database, openDatabase } from './database.js';

type Command = 'backup' | 'restore';

/**
 * The `db:backup` and `db:restore <file>` scripts, on the configured (or embedded) database. `db:backup` prints
 * the file it wrote as its last line, so a CronJob or an operator can pass it on.
 */
export async function runBackupCommand<S extends ConfigSchema>(
  command: Command,
  { service, configSchema }: MigrateCommandOptions<S>,
  args: string[] = process.argv.slice(2),
) {
  const { name } = service;
  const config = readConfig(name, configSchema);
  const log = pino(loggerOptions({ service: name, level: config.LOG_LEVEL }), destination(2));
  let database: Database | undefined;
  try {
    const file = args[0];
    if (command === 'restore' && !file) throw new Error('usage: db:restore <file>');
    database = await openDatabase(
      {
        service: name,
        url: config.DATABASE_URL,
        dataDir: config.DATA_DIR,
        poolMax: 1,
        connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      },
      log,
    );
    const started = performance.now();
    if (command === 'backup') {
      const result = await backupDatabase(database.pool, {
        service: name,
        dir: config.BACKUP_DIR ?? `.backups/${name}`,
        keep: config.BACKUP_KEEP,
        maxAgeDays: config.BACKUP_MAX_AGE_DAYS,
      });
      log.info(
        {
          bytes: result.manifest.bytes,
          removed: result.removed,
          ms: Math.round(performance.now() - started),
        },
        'backup written',
      );
      process.stdout.write(`${result.file}\n`);
    } else if (file) {
      const manifest = await restoreDatabase(database.pool, file);
      log.info({ tables: manifest.tables, ms: Math.round(performance.now() - started) }, `restored ${file}`);
    }
    await database.close();
  } catch (error) {
    log.fatal({ err: error }, `${command} failed: ${error instanceof Error ? error.message : String(error)}`);
    await database?.close();
    process.exit(1);
  }
}
