import { runService } from '@steadfast/service-kit';
import { buildApp } from './app.js';
import { IncidentsApiConfigSchema } from './config.js';

await runService({ name: 'incidents-api', configSchema: IncidentsApiConfigSchema, buildApp });
