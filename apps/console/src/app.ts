import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { InvalidOptionError } from '@steadfast/errors';
import { OPERATIONAL_ROUTE_CONFIG } from '@steadfast/http';
import { createService } from '@steadfast/service-kit';
import type { DestinationStream } from 'pino';
import type { ConsoleConfig } from './config.js';
import { consoleProxy } from './proxy.js';
import { parseServices } from './services.js';
import { ConsoleSettingsSchema } from './settings.js';

export const SERVICE = {
  name: 'console',
  version: '0.1.0',
  description:
    'The reliability console: SLOs, incidents and chaos of the configured services, in the browser',
  // No migrations: the console keeps no state, so it runs without a database, SLIs or chaos of its own.
  slos: false,
  chaos: false,
} as const;

/** The built single-page app (`vite build` writes it to dist/web); the same path from src/ (tests) and dist/. */
export const WEB_ROOT = fileURLToPath(new URL('../dist/web/', import.meta.url));

export interface BuildOptions {
  logStream?: DestinationStream;
  /** Where the built page is; tests of the server alone point it at a folder of their own. */
  webRoot?: string;
}

export async function buildApp(config: ConsoleConfig, { logStream, webRoot = WEB_ROOT }: BuildOptions = {}) {
  const services = parseServices(config.CONSOLE_SERVICES);
  if (!services.some((s) => s.name === config.CONSOLE_INCIDENTS_SERVICE)) {
    throw new InvalidOptionError(
      'CONSOLE_INCIDENTS_SERVICE',
      config.CONSOLE_INCIDENTS_SERVICE,
      `one of CONSOLE_SERVICES (${services.map((s) => s.name).join(', ')})`,
    );
  }
  if (!existsSync(webRoot)) {
    throw new InvalidOptionError(
      'webRoot',
      webRoot,
      'the built page: run `pnpm --filter @steadfast/console build`',
    );
  }
  const app = await createService({ service: SERVICE, config, ...(logStream ? { logStream } : {}) });

  await app.register(consoleProxy, {
    services,
    serviceToken: config.CONSOLE_SERVICE_TOKEN,
    timeoutMs: config.CONSOLE_PROXY_TIMEOUT_MS,
    streamIdleTimeoutMs: config.CONSOLE_STREAM_IDLE_TIMEOUT_MS,
    maxStreams: config.CONSOLE_MAX_STREAMS,
  });
  app.get(
    '/console/settings',
    {
      config: OPERATIONAL_ROUTE_CONFIG,
      schema: { summary: 'The services this console shows', response: { 200: ConsoleSettingsSchema } },
    },
    async () => ({
      services: services.map(({ name }) => ({ name })),
      incidentsService: config.CONSOLE_INCIDENTS_SERVICE,
    }),
  );
  // Routing happens in the page (#/incidents/…), so the server only ever serves these files.
  await app.register(fastifyStatic, { root: webRoot, wildcard: false, maxAge: '1h' });
  return app;
}
