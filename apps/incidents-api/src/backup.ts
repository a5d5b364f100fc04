import { runBackupCommand } from '@steadfast/service-kit';
import { SERVICE } from './app.js';
import { IncidentsApiConfigSchema } from './config.js';

await runBackupCommand('backup', { service: SERVICE, configSchema: IncidentsApiConfigSchema });
