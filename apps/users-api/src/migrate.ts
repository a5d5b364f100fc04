import { runMigrations } from '@steadfast/service-kit';
import { SERVICE } from './app.js';
import { UsersApiConfigSchema } from './config.js';

await runMigrations({ service: SERVICE, configSchema: UsersApiConfigSchema });
