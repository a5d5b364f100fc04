import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

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
    const child = spawn(process.execPath, [SERVICE], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        PORT: '0',
        LOG_LEVEL: 'info',
        SLOW_MS: '3000',
        DATABASE_URL: database.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /"address":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${output}`)));
    });

    const inFlight = Array.from({ length: 50 }, () => get(port, '/slow'));
    // Signal only once every request has reached its handler.
    for (;;) {
      const { entered } = (await (await fetch(`http://127.0.0.1:${port}/entered`)).json()) as {
        entered: number;
      };
      if (entered === 50) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(get(port, '/slow')).rejects.toThrow(/ECONNREFUSED/);

    expect(await Promise.all(inFlight)).toEqual(Array(50).fill(200));
    const [code] = await exited;
    expect(code).toBe(0);
    const order = [
      'shutdown: started',
      'shutdown: no longer accepting',
      'shutdown: database pool close done',
      'shutdown: complete',
    ];
    const positions = order.map((text) => output.indexOf(text));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  }, 30_000);
});
