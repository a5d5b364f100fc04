import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServiceProcess } from '../src/testing.js';

// Runs against the built kit (turbo builds a package before its tests).
const SERVICE = fileURLToPath(new URL('./fixtures/slow-service.js', import.meta.url));
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
});
afterAll(() => database?.drop());

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('SIGTERM to a running service process', () => {
  it('completes 50 in-flight requests, refuses new connections, and exits 0', async () => {
    const service = await startServiceProcess(SERVICE, { SLOW_MS: '3000', DATABASE_URL: database.url });
    const port = Number(new URL(service.url).port);

    const inFlight = Array.from({ length: 50 }, () => get(port, '/slow'));
    // Signal only once every request has reached its handler.
    for (;;) {
      const { entered } = (await (await fetch(`http://127.0.0.1:${port}/entered`)).json()) as {
        entered: number;
      };
      if (entered === 50) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exited = service.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(get(port, '/slow')).rejects.toThrow(/ECONNREFUSED/);

    expect(await Promise.all(inFlight)).toEqual(Array(50).fill(200));
    expect(await exited).toBe(0);
    const order = [
      'shutdown: started',
      'shutdown: no longer accepting',
      'shutdown: database pool close done',
      'shutdown: complete',
    ];
    const positions = order.map((text) => service.output().indexOf(text));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  }, 30_000);
});

async function untilEntered(port: number, count: number) {
  for (;;) {
    const { entered } = (await (await fetch(`http://127.0.0.1:${port}/entered`)).json()) as {
      entered: number;
    };
    if (entered === count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Ctrl-C in the terminal of a service on the embedded PostgreSQL', () => {
  it('completes the queries in flight, stops the server after the drain, and exits 0 with no error', async () => {
    const root = await mkdtemp(join(tmpdir(), 'slow-service-'));
    await chmod(root, 0o755);
    try {
      const service = await startServiceProcess(
        SERVICE,
        { SLOW_MS: '1500', DATA_DIR: join(root, 'data') },
        { inTerminal: true },
      );
      const port = Number(new URL(service.url).port);
      const inFlight = Array.from({ length: 5 }, () => get(port, '/slow-query'));
      await untilEntered(port, 5);

      const exited = service.stop('SIGINT');
      expect(await Promise.all(inFlight)).toEqual(Array(5).fill(200));
      expect(await exited).toBe(0);
      const levels = service
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => (JSON.parse(line) as { level: number }).level);
      expect(levels.filter((level) => level >= 50)).toEqual([]);
      expect(service.output()).not.toContain('terminating connection');
      expect(service.output()).toContain('shutdown: embedded PostgreSQL stop done');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('logs of a service started in a terminal', () => {
  // `script` gives the service a pseudo-terminal, the way `pnpm start` in a shell does.
  const inTerminal = (env: Record<string, string>) =>
    new Promise<string>((resolve) => {
      const child = spawn('script', ['-qec', `${process.execPath} ${SERVICE}`, '/dev/null'], {
        env: {
          PATH: process.env.PATH ?? '',
          PORT: '0',
          DATABASE_URL: 'postgres://x:y@127.0.0.1:1/none',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
      });
      child.once('exit', () => resolve(output));
    });

  it('are readable lines in development and JSON otherwise', async () => {
    const development = await inTerminal({ NODE_ENV: 'development' });
    expect(development).toMatch(/FATAL.*slow-service failed to start/);
    expect(development).not.toContain('"level":');

    // Production needs a JWT key source to get as far as the database (AUTH_MODE=jwt is required there).
    const production = await inTerminal({
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'a-test-secret-of-at-least-32-characters!',
      AUTH_ISSUER: 'https://issuer.test',
      AUTH_AUDIENCE: 'slow-service',
    });
    expect(production).toContain('"level":"fatal"');
  }, 30_000);
});
