import { Type } from '@sinclair/typebox';
import { configFragment } from '@steadfast/http';
import { DEFAULT_BACKUP_KEEP, DEFAULT_BACKUP_MAX_AGE_DAYS } from './backup.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DATA_DIR,
  DEFAULT_POOL_MAX,
  DEFAULT_STATEMENT_TIMEOUT_MS,
} from './database.js';
import {
  DEFAULT_BREAKER_FAILURES,
  DEFAULT_BREAKER_OPEN_MS,
  DEFAULT_QUERY_TIMEOUT_MS,
} from './database-guard.js';

/** Where the database is, how the pool behaves, and the `database` policy's timeout and breaker. */
export const databaseConfig = configFragment({
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'PostgreSQL connection string; without it an embedded PostgreSQL is started',
    }),
  ),
  DATABASE_MIGRATION_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description:
        "The tables' owner, for migrations only, when DATABASE_URL is a role limited to reading and writing them",
    }),
  ),
  DATA_DIR: Type.String({
    minLength: 1,
    default: DEFAULT_DATA_DIR,
    description: 'Where the embedded PostgreSQL keeps its data',
  }),
  EMBEDDED_PG_PORT: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 65535,
      description:
        'Port of the embedded PostgreSQL (to reach it with psql, or to pin it); a free one when unset',
    }),
  ),
  MIGRATE_ON_START: Type.Boolean({ default: true, description: 'Run pending migrations at startup' }),
  DB_POOL_MAX: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: DEFAULT_POOL_MAX,
    description: 'PostgreSQL pool size',
  }),
  DB_CONNECT_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: DEFAULT_CONNECT_TIMEOUT_MS,
    description: 'PostgreSQL connect timeout',
  }),
  DB_STATEMENT_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: DEFAULT_STATEMENT_TIMEOUT_MS,
    description: 'PostgreSQL statement timeout',
  }),
  DB_QUERY_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: DEFAULT_QUERY_TIMEOUT_MS,
    description:
      'Budget of one guarded database call, all the statements of its transactions together: the database cancels a statement over it and rolls its transaction back (504, not counted by the breaker)',
  }),
  DB_BREAKER_FAILURES: Type.Integer({
    minimum: 1,
    default: DEFAULT_BREAKER_FAILURES,
    description: 'Database failures within 60 s that open the breaker',
  }),
  DB_BREAKER_OPEN_MS: Type.Integer({
    minimum: 1,
    default: DEFAULT_BREAKER_OPEN_MS,
    description: 'How long the database breaker stays open',
  }),
  BACKUP_DIR: Type.Optional(
    Type.String({ minLength: 1, description: 'Where db:backup writes; .backups/<service> without it' }),
  ),
  BACKUP_KEEP: Type.Integer({
    minimum: 1,
    default: DEFAULT_BACKUP_KEEP,
    description: 'How many backups db:backup keeps',
  }),
  BACKUP_MAX_AGE_DAYS: Type.Integer({
    minimum: 1,
    default: DEFAULT_BACKUP_MAX_AGE_DAYS,
    description: 'Backups older than this are removed (the newest always stays)',
  }),
});
