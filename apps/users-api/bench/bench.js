// `pnpm --filter @steadfast/users-api bench` (after `pnpm build`): GET /v1/users/:id on users-api against two peers,
// every server in its own process on one PostgreSQL, the load from a fourth process (load.js). After a warm-up,
// ROUNDS interleaved rounds (the order rotates each round) of BENCH_DURATION_S seconds per server; the report is the
// median per server and the ratios. Also: startup on an empty and on a warm data dir, and each server's RSS after.
// BENCH_PROFILE_DIR=<dir> writes a CPU profile of the users-api process there when it exits (never commit one).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@steadfast/embedded-pg';
import {
  CONNECTIONS,
  createBenchUser,
  here,
  interleavedRounds,
  loadAverage,
  median,
  rssMiB,
  serviceEnv,
  startServer,
  stop,
} from './harness.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const SERVICE = here('../dist/server.js');

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
    PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
  );
  servers.push(service);
  const path = await createBenchUser(service);
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

  const loadBefore = loadAverage();
  const results = await interleavedRounds(servers, path, { rounds: ROUNDS, seconds: DURATION_S });
  const rate = (name) => median(results.get(name).map((result) => result.requestsPerSecond));
  const p99 = (name) => median(results.get(name).map((result) => result.p99Ms));
  const rss = new Map(servers.map((server) => [server.name, rssMiB(server.child.pid)]));
  const rows = servers.map((server) => {
    const runs = results.get(server.name);
    return `| ${server.name} | ${rate(server.name).toFixed(0)} | ${p99(server.name)} | ${runs.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')} | ${runs.map((r) => r.rssMiB.toFixed(0)).join(', ')} |`;
  });
  const bare = 'bare Fastify + pg';
  console.log(
    [
      `GET ${path.replace(/[^/]+$/, ':id')}, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION_S} s after a 2 s warm-up each, ` +
        `load from its own process; Node ${process.version}, load average ${loadBefore} before the rounds, ${loadAverage()} after`,
      '',
      '| server | req/s (median) | p99 ms (median) | rounds | RSS after each round (MiB) |',
      '| --- | ---: | ---: | --- | ---: |',
      ...rows,
      '',
      `users-api ÷ bare Fastify + pg: ${(rate('users-api') / rate(bare)).toFixed(2)}; users-api ÷ Express stack: ${(rate('users-api') / rate('Express 5 stack + pg')).toFixed(2)}; ` +
        `p99 ÷ bare p99: ${(p99('users-api') / p99(bare)).toFixed(2)}; RSS ÷ bare RSS: ${(rss.get('users-api') / rss.get(bare)).toFixed(2)}`,
      `startup to /health/startup 200: empty data dir (initdb, migrations) ${cold.ms.toFixed(0)} ms, warm ${warmStart.ms.toFixed(0)} ms`,
    ].join('\n'),
  );
} finally {
  for (const server of servers) await stop(server);
  await postgres?.stop();
  rmSync(root, { recursive: true, force: true });
}
