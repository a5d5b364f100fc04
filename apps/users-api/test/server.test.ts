import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The built service, run the way `pnpm start` runs it (turbo builds the app before its tests).
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function start(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1], output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`server exited with ${code} before listening:\n${output}`)),
    );
  });
}

async function stop({ child }: Running): Promise<number | null> {
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  return code as number | null;
}

describe('the users-api process', () => {
  it('starts on an embedded PostgreSQL, keeps data across restarts, and exits 0 on SIGTERM', async () => {
    const root = await mkdtemp(join(tmpdir(), 'users-api-'));
    await chmod(root, 0o755);
    dirs.push(root);
    const env = { DATA_DIR: join(root, 'data') };

    const first = await start(env);
    const created = await fetch(`${first.url}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Persistent', email: 'persist@example.com' }),
    });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string } };
    expect(await stop(first)).toBe(0);
    expect(first.output()).toContain('shutdown: embedded PostgreSQL stop done');

    const second = await start(env);
    try {
      const fetched = await fetch(`${second.url}/v1/users/${data.id}`);
      expect(fetched.status).toBe(200);
      expect(((await fetched.json()) as { data: { email: string } }).data.email).toBe('persist@example.com');
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 90_000);

  it('exits 1 listing every bad variable, before starting anything', async () => {
    const child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH ?? '', PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://db' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    for (const key of ['PORT', 'LOG_LEVEL', 'DATABASE_URL']) expect(stderr).toContain(key);
  });

  it('exits 1 with a clear message when the database cannot be reached', async () => {
    const child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', DATABASE_URL: 'postgres://u:secretpw@127.0.0.1:1/db' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(output).toContain('users-api failed to start');
    expect(output).not.toContain('secretpw');
  });
});
