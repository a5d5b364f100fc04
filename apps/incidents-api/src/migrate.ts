import { runMigrations } from '@steadfast/service-kit';
import { IncidentsApiConfigSchema } from './config.js';
import { migrations } from './db/migrations/index.js';

await runMigrations({ name: 'incidents-api', configSchema: IncidentsApiConfigSchema, migrations });
