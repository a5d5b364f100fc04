import { runService } from '@steadfast/service-kit';
import { buildApp } from './app.js';
import { UsersApiConfigSchema } from './config.js';

await runService({ name: 'users-api', configSchema: UsersApiConfigSchema, buildApp });
