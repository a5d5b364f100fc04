import { runService } from '@steadfast/service-kit';
import { buildApp } from './app.js';
import { ConsoleConfigSchema } from './config.js';

await runService({ name: 'console', configSchema: ConsoleConfigSchema, buildApp });
