// What bench.js and ablation.js share: the bench's token, starting servers as processes, one load run from its own
// process (load.js), RSS, medians.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { SignJWT } from 'jose';

export const CONNECTIONS = 10;
export const here = (path) => new URL(path, import.meta.url).pathname;

// Production refuses to start without JWT settings; the bench signs its own tokens.
const AUTH = {
  AUTH_JWT_SECRET: 'bench-secret-of-at-least-thirty-two-characters',
  AUTH_ISSUER: 'https://bench.invalid',
  AUTH_AUDIENCE: 'users-api',
};
const token = await new SignJWT({ scope: 'users:read users:write' })
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject('bench')
  .setIssuer(AUTH.AUTH_ISSUER)
  .setAudience(AUTH.AUTH_AUDIENCE)
  .setExpirationTime('2h')
  .sign(new TextEncoder().encode(AUTH.AUTH_JWT_SECRET));
export const authorization = `Bearer ${token}`;

/** users-api's environment: production settings, limits high enough that the load is never throttled. */
export const serviceEnv = (extra) => ({
  ...AUTH,
  NODE_ENV: 'production',
  RATE_LIMIT_MAX: '100000000',
  RATE_LIMIT_WRITE_MAX: '100000000',
  SHUTDOWN_DELAY_MS: '0',
  ...extra,
});

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** Starts a server script as its own process, output to /dev/null, and resolves once `readyPath` answers. */
export async function startServer(name, script, env, readyPath, nodeFlags = []) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, script], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const status = await fetch(`${url}${readyPath}`, { headers: { authorization } }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return { name, child, url, ms: performance.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function stop(server) {
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

export const rssMiB = (pid) =>
  Number(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((line) => line.startsWith('VmRSS:'))
      .split(/\s+/)[1],
  ) / 1024;

export const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** One load run from its own process; any non-2xx or error fails the bench. */
export async function load(server, path, seconds) {
  const child = spawn(
    process.execPath,
    [here('./load.js'), `${server.url}${path}`, String(seconds), String(CONNECTIONS), authorization],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const result = JSON.parse(output.trim().split('\n').at(-1));
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${server.name}: ${result.non2xx} non-2xx and ${result.errors} errors under load`);
  }
  return result;
}

/**
 * After a 2 s warm-up each, `rounds` interleaved rounds (the order rotates each round) of `seconds` per server;
 * a map from server name to its runs, each with the server's RSS once the whole round is over.
 */
export async function interleavedRounds(servers, path, { rounds, seconds }) {
  for (const server of servers) await load(server, path, 2);
  const results = new Map(servers.map((server) => [server.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < servers.length; index++) {
      const server = servers[(index + round) % servers.length];
      results.get(server.name).push(await load(server, path, seconds));
    }
    for (const server of servers) results.get(server.name).at(-1).rssMiB = rssMiB(server.child.pid);
  }
  return results;
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Creates the user the load reads; the path to GET. */
export async function createBenchUser(service) {
  const created = await fetch(`${service.url}/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ name: 'Bench', email: 'bench@example.com' }),
  });
  if (created.status !== 201)
    throw new Error(`creating the bench user: ${created.status} ${await created.text()}`);
  const { data } = await created.json();
  return `/v1/users/${data.id}`;
}
