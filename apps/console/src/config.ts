import { type Static, Type } from '@sinclair/typebox';
import { serviceConfigSchema } from '@steadfast/service-kit';

export const DEFAULT_CONSOLE_SERVICES = 'users-api=http://127.0.0.1:3001,incidents-api=http://127.0.0.1:3002';
export const DEFAULT_INCIDENTS_SERVICE = 'incidents-api';
export const DEFAULT_PROXY_TIMEOUT_MS = 10_000;
/** Longer than the services' SSE heartbeat (15 s), so only a stream that really went quiet is cut. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 60_000;
/** A few dozen people with the console open, each with a tab or two. */
export const DEFAULT_MAX_STREAMS = 100;

const SERVICE_ENTRY = '[a-z][a-z0-9-]{0,62}=https?://[^,=\\s]+';

export const ConsoleConfigSchema = serviceConfigSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'Port to listen on' }),
  CONSOLE_SERVICES: Type.String({
    pattern: `^${SERVICE_ENTRY}(,${SERVICE_ENTRY})*$`,
    default: DEFAULT_CONSOLE_SERVICES,
    description: 'The services the console shows and proxies to: name=baseUrl, comma-separated',
  }),
  CONSOLE_INCIDENTS_SERVICE: Type.String({
    minLength: 1,
    default: DEFAULT_INCIDENTS_SERVICE,
    description: 'Which of CONSOLE_SERVICES serves /v1/incidents',
  }),
  CONSOLE_SERVICE_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'Bearer token (read scopes) the console adds to reads; never sent to the browser',
    }),
  ),
  CONSOLE_PROXY_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: DEFAULT_PROXY_TIMEOUT_MS,
    description: 'A proxied call with no answer by then is a 504',
  }),
  CONSOLE_STREAM_IDLE_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    default: DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    description: 'A proxied event stream silent this long (no event, no heartbeat) is closed',
  }),
  CONSOLE_MAX_STREAMS: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: DEFAULT_MAX_STREAMS,
    description: 'Incident streams relayed at once; one more is a 503 OVERLOADED',
  }),
});

export type ConsoleConfig = Static<typeof ConsoleConfigSchema>;
