import { runBackupCommand } from '@steadfast/service-kit';
import { SERVICE } from './app.js';
import { UsersApiConfigSchema } from './config.js';

await runBackupCommand('restore', { service: SERVICE, configSchema: UsersApiConfigSchema });
