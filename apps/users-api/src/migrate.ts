import { runMigrations } from '@steadfast/service-kit';
import { UsersApiConfigSchema } from './config.js';
import { migrations } from './db/migrations/index.js';

await runMigrations({ name: 'users-api', configSchema: UsersApiConfigSchema, migrations });
