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

function start(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
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

describe('the incidents-api process', () => {
  it('starts on an embedded PostgreSQL, serves, and exits 0 on SIGTERM with a stream open', async () => {
    const root = await mkdtemp(join(tmpdir(), 'incidents-api-'));
    await chmod(root, 0o755);
    dirs.push(root);
    const server = await start({ DATA_DIR: join(root, 'data') });
    const created = await fetch(`${server.url}/v1/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'From a real process', severity: 'low' }),
    });
    expect(created.status).toBe(201);
    const stream = await fetch(`${server.url}/v1/incidents/stream`);
    expect(stream.status).toBe(200);

    server.child.kill('SIGTERM');
    const [code] = await once(server.child, 'exit');
    expect(code).toBe(0);
  }, 90_000);

  it('exits 1 naming a too-short ALERTS_TOKEN before starting anything', async () => {
    const child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH ?? '', ALERTS_TOKEN: 'short', ALERTS_RESOLVE_STATUS: 'closed' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('ALERTS_TOKEN');
    expect(stderr).toContain('ALERTS_RESOLVE_STATUS');
  });
});
