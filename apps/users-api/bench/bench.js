// `pnpm --filter @steadfast/users-api bench` (after `pnpm build`): GET /v1/users/:id on users-api against two peers,
// every server in its own process on one PostgreSQL, the load from a fourth process (load.js). After a warm-up,
// ROUNDS interleaved rounds (the order rotates each round) of BENCH_DURATION_S seconds per server; the report is the
// median per server and the ratios. Also: startup on an empty and on a warm data dir, and each server's RSS after.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@steadfast/embedded-pg';
import { SignJWT } from 'jose';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;
const here = (path) => new URL(path, import.meta.url).pathname;
const SERVICE = here('../dist/server.js');

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
const authorization = `Bearer ${token}`;

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** Starts a server script as its own process, output to /dev/null, and resolves once `readyPath` answers. */
async function startServer(name, script, env, readyPath) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [script], {
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

async function stop(server) {
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

const rssMiB = (pid) =>
  Number(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((line) => line.startsWith('VmRSS:'))
      .split(/\s+/)[1],
  ) / 1024;

/** One load run from its own process. */
async function load(url, seconds) {
  const child = spawn(
    process.execPath,
    [here('./load.js'), url, String(seconds), String(CONNECTIONS), authorization],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(output.trim().split('\n').at(-1));
}

// BENCH_OTEL=1: users-api traces every request (or as the caller's OTEL_TRACES_SAMPLER* say) and exports them over
// OTLP/HTTP to a sink in this process that only counts the bytes.
let exportedBytes = 0;
const sink =
  process.env.BENCH_OTEL === '1'
    ? createHttpServer((request, response) => {
        request.on('data', (chunk) => {
          exportedBytes += chunk.length;
        });
        request.on('end', () => response.writeHead(200).end());
      }).listen(0, '127.0.0.1')
    : undefined;
if (sink) await once(sink, 'listening');
const tracingEnv = sink
  ? {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_'))),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.address().port}`,
    }
  : {};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const serviceEnv = (extra) => ({
  ...AUTH,
  NODE_ENV: 'production',
  RATE_LIMIT_MAX: '100000000',
  RATE_LIMIT_WRITE_MAX: '100000000',
  SHUTDOWN_DELAY_MS: '0',
  ...tracingEnv,
  ...extra,
});

const root = mkdtempSync(join(tmpdir(), 'users-api-bench-'));
chmodSync(root, 0o755);
const servers = [];
let postgres;
try {
  const cold = await startServer(
    'users-api',
    SERVICE,
    serviceEnv({ DATA_DIR: join(root, 'data') }),
    '/health/startup',
  );
  await stop(cold);
  const warmStart = await startServer(
    'users-api',
    SERVICE,
    serviceEnv({ DATA_DIR: join(root, 'data') }),
    '/health/startup',
  );
  await stop(warmStart);

  postgres = await startEmbeddedPostgres({ dataDir: join(root, 'shared'), database: 'users_api' });
  const service = await startServer(
    'users-api',
    SERVICE,
    serviceEnv({ DATABASE_URL: postgres.url }),
    '/health/ready',
  );
  servers.push(service);
  const created = await fetch(`${service.url}/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ name: 'Bench', email: 'bench@example.com' }),
  });
  if (created.status !== 201)
    throw new Error(`creating the bench user: ${created.status} ${await created.text()}`);
  const { data } = await created.json();
  const path = `/v1/users/${data.id}`;
  servers.push(
    await startServer(
      'bare Fastify + pg',
      here('./peers/bare-fastify.js'),
      { DATABASE_URL: postgres.url },
      path,
    ),
  );
  servers.push(
    await startServer(
      'Express 5 stack + pg',
      here('./peers/express.js'),
      { DATABASE_URL: postgres.url },
      path,
    ),
  );

  for (const server of servers) await load(`${server.url}${path}`, 2); // warm-up
  const results = new Map(servers.map((server) => [server.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let index = 0; index < servers.length; index++) {
      const server = servers[(index + round) % servers.length];
      const result = await load(`${server.url}${path}`, DURATION_S);
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(`${server.name}: ${result.non2xx} non-2xx and ${result.errors} errors under load`);
      }
      results.get(server.name).push(result);
    }
  }
  const rate = (name) => median(results.get(name).map((result) => result.requestsPerSecond));
  const rows = servers.map((server) => {
    const runs = results.get(server.name);
    return `| ${server.name} | ${rate(server.name).toFixed(0)} | ${median(runs.map((r) => r.p99Ms))} | ${runs.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')} | ${rssMiB(server.child.pid).toFixed(0)} |`;
  });
  const service_ = rate('users-api');
  console.log(
    [
      `GET ${path.replace(data.id, ':id')}, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION_S} s after a 2 s warm-up each, ` +
        `load from its own process; Node ${process.version}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      '',
      '| server | req/s (median) | p99 ms (median) | rounds | RSS after (MiB) |',
      '| --- | ---: | ---: | --- | ---: |',
      ...rows,
      '',
      `users-api ÷ bare Fastify + pg: ${(service_ / rate('bare Fastify + pg')).toFixed(2)}; users-api ÷ Express stack: ${(service_ / rate('Express 5 stack + pg')).toFixed(2)}`,
      `startup to /health/startup 200: empty data dir (initdb, migrations) ${cold.ms.toFixed(0)} ms, warm ${warmStart.ms.toFixed(0)} ms`,
      ...(sink
        ? [
            `users-api traced (${tracingEnv.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on'}): ${(exportedBytes / 1048576).toFixed(1)} MiB of OTLP exported`,
          ]
        : []),
    ].join('\n'),
  );
} finally {
  for (const server of servers) await stop(server);
  await postgres?.stop();
  sink?.close();
  rmSync(root, { recursive: true, force: true });
}
