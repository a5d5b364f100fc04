import { runMigrations } from '@steadfast/service-kit';
import { SERVICE } from './app.js';
import { IncidentsApiConfigSchema } from './config.js';

await runMigrations({ service: SERVICE, configSchema: IncidentsApiConfigSchema });
