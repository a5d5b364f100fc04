import type { AddressInfo } from 'node:net';
import { runService } from '@steadfast/service-kit';
import { buildApp } from './app.js';
import { type ConsoleConfig, ConsoleConfigSchema } from './config.js';

await runService({
  name: 'console',
  configSchema: ConsoleConfigSchema,
  buildApp: async (config: ConsoleConfig) => {
    const app = await buildApp(config);
    // One plain line among the JSON logs of `pnpm start`: where a person opens the console.
    app.addHook('onListen', async () => {
      const { address, port } = app.server.address() as AddressInfo;
      process.stdout.write(`\nSteadfast console: http://${address}:${port}/\n\n`);
    });
    return app;
  },
});
