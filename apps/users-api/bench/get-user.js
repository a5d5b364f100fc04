// Measures users-api in one run: startup on an empty and on a warm data dir (until /health/startup answers 200),
// requests/s of GET /v1/users/:id (autocannon) against two baselines measured in the same run — a bare Fastify
// route returning the same body, and a bare Fastify route running the same query on a plain pg pool against the
// same PostgreSQL — and the service's RSS after the load. Run after `pnpm build`:
// `pnpm --filter @steadfast/users-api bench`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@steadfast/embedded-pg';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 10;
const SERVER = new URL('../dist/server.js', import.meta.url).pathname;

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** Starts the service with its log discarded (a pipe the bench must drain would throttle it) and times startup. */
async function start(dataDir, databaseUrl) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      PORT: String(port),
      DATA_DIR: dataDir,
      RATE_LIMIT_MAX: '100000000',
      NODE_ENV: 'production',
      SHUTDOWN_DELAY_MS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`users-api exited with ${child.exitCode}`);
    const status = await fetch(`${url}/health/startup`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return { child, url, ms: performance.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function stop(child) {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

const rssMb = (pid) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
};

const load = (url) => autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });

const root = mkdtempSync(join(tmpdir(), 'users-api-bench-'));
chmodSync(root, 0o755);
const dataDir = join(root, 'data');
try {
  const cold = await start(dataDir);
  await stop(cold.child);
  const warmed = await start(dataDir);
  await stop(warmed.child);

  // Under load the service and both baselines use one PostgreSQL that the bench owns.
  const postgres = await startEmbeddedPostgres({ dataDir: join(root, 'shared'), database: 'users_api' });
  const warm = await start(join(root, 'unused'), postgres.url);
  const created = await fetch(`${warm.url}/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench', email: 'bench@example.com' }),
  });
  const { data } = await created.json();

  const pool = new pg.Pool({ connectionString: postgres.url, max: 10 });
  const bare = Fastify();
  bare.get('/static/:id', async () => ({ data, meta: { requestId: 'x', durationMs: 0 } }));
  bare.get('/db/:id', async (request) => {
    const { rows } = await pool.query('select * from users where id = $1', [request.params.id]);
    return { data: rows[0], meta: { requestId: 'x', durationMs: 0 } };
  });
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

  await autocannon({ url: `${warm.url}/v1/users/${data.id}`, connections: CONNECTIONS, duration: 2 }); // warm-up
  const staticBaseline = await load(`${bareUrl}/static/${data.id}`);
  const dbBaseline = await load(`${bareUrl}/db/${data.id}`);
  const service = await load(`${warm.url}/v1/users/${data.id}`);
  const rss = rssMb(warm.child.pid);
  await bare.close();
  await pool.end();
  await stop(warm.child);
  await postgres.stop();

  const rate = (result) => `${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms`;
  const rows = [
    ['startup to /health/startup 200, empty data dir (initdb, migrations)', `${cold.ms.toFixed(0)} ms`],
    ['startup to /health/startup 200, warm data dir', `${warmed.ms.toFixed(0)} ms`],
    [
      `baseline A: bare Fastify, same body, no database (${CONNECTIONS} connections, ${DURATION_S} s)`,
      rate(staticBaseline),
    ],
    ['baseline B: bare Fastify + plain pg pool, same query', rate(dbBaseline)],
    [
      'users-api GET /v1/users/:id (everything on: logs, metrics, rate limit, breaker, SLIs, …)',
      `${rate(service)}, ${service.non2xx} non-2xx`,
    ],
    [
      'users-api ÷ baseline B (cost of the kit around the same query)',
      (service.requests.average / dbBaseline.requests.average).toFixed(3),
    ],
    ['users-api ÷ baseline A', (service.requests.average / staticBaseline.requests.average).toFixed(3)],
    ['users-api RSS after the run', `${rss.toFixed(0)} MiB`],
  ];
  console.log(`| measure | result |\n| --- | --- |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`);
  if (service.non2xx > 0 || service.errors > 0) process.exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
