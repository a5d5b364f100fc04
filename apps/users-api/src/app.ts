import { createService } from '@steadfast/service-kit';
import type { Kysely } from 'kysely';
import type { DestinationStream } from 'pino';
import type { UsersApiConfig } from './config.js';
import { migrations } from './db/migrations/index.js';
import type { Database } from './db/schema.js';
import { usersRoutes } from './routes/v1/users.js';
import { userService } from './users/user.service.js';

export const SERVICE = {
  name: 'users-api',
  version: '0.1.0',
  description: 'Users and their call state',
  migrations,
};

export interface BuildOptions {
  logStream?: DestinationStream;
}

export async function buildApp(config: UsersApiConfig, { logStream }: BuildOptions = {}) {
  const app = await createService({ service: SERVICE, config, ...(logStream ? { logStream } : {}) });
  const db: Kysely<Database> = app.db;
  await app.register(usersRoutes, { prefix: '/v1/users', users: app.guardDatabase(userService(db)) });
  return app;
}
