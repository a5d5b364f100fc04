import type { ConfigSchema } from '@steadfast/http';
import { destination } from 'pino';
import { type MigrateCommandOptions, runDatabaseCommand } from '../run.js';
import { backupDatabase, restoreDatabase } from './backup.js';

type Command = 'backup' | 'restore';

/**
 * The `db:backup` and `db:restore <file>` scripts, on the configured (or embedded) database. `db:backup` prints
 * the file it wrote as its last line, so a CronJob or an operator can pass it on.
 */
export function runBackupCommand<S extends ConfigSchema>(
  command: Command,
  options: MigrateCommandOptions<S>,
  args: string[] = process.argv.slice(2),
) {
  const name = options.service.name;
  const file = args[0];
  // stdout carries the file db:backup wrote; the log lines go to stderr.
  return runDatabaseCommand(
    options,
    command,
    async (database, config, log) => {
      if (command === 'restore' && !file) throw new Error('usage: db:restore <file>');
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
        log.info(
          { tables: manifest.tables, ms: Math.round(performance.now() - started) },
          `restored ${file}`,
        );
      }
    },
    destination(2),
  );
}
