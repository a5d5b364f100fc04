import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { freePort } from '@steadfast/service-kit/testing';

export const CHAOS_TOKEN = 'console-test-chaos-admin-token';

export type ServiceName = 'users-api' | 'incidents-api';

export interface RunningService {
  name: ServiceName;
  url: string;
  stop(): Promise<void>;
}

/** One of the apps as `pnpm start` runs it, `node dist/server.js`, on its own fresh database; `env` on top. */
export async function startService(
  name: ServiceName,
  adminUrl: string,
  env: Record<string, string> = {},
): Promise<RunningService> {
  const database: TestDatabase = await createTestDatabase(adminUrl);
  const port = await freePort();
  const server = fileURLToPath(new URL(`../node_modules/@steadfast/${name}/dist/server.js`, import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [server], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      DATABASE_URL: database.url,
      AUTH_MODE: 'off',
      CHAOS_ENABLED: 'true',
      CHAOS_ADMIN_TOKEN: CHAOS_TOKEN,
      SLI_FLUSH_INTERVAL_MS: '500',
      SSE_HEARTBEAT_MS: '1000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = once(child, 'exit');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it was ready`);
    const ready = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`${name} was not ready within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    name,
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await database.drop();
    },
  };
}
