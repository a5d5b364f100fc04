// `pnpm --filter @steadfast/users-api bench:ablation` (after `pnpm build`): what each cross-cutting piece costs.
// users-api built by ablation-server.js with one piece left out per process (and one with chaos switched on, with no
// fault active), bare Fastify + pg for scale, all on one PostgreSQL, measured in the interleaved rounds bench.js uses
// (BENCH_ROUNDS rounds of BENCH_DURATION_S s), every users-api variant with a pool of 5 (bare Fastify keeps its 10).
// The report: req/s, p99, each variant's rate ÷ the full service's and its CPU time per request (and what leaving the piece out saves).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@steadfast/embedded-pg';
import { benchDirectory, loadAverage, median, startBenchServer } from '@steadfast/service-kit/testing-bench';
import { CONNECTIONS, createBenchUser, here, interleavedRounds, serviceEnv } from './harness.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SERVER = here('./ablation-server.js');
const FULL = 'full service';
// Fifteen servers on one PostgreSQL (100 connections): each variant's pool is held to 5, the same for all of them.
const POOL = { DB_POOL_MAX: '5' };

/** Row label → what ablation-server.js leaves out (or, for chaos, the variables that switch it on). */
const VARIANTS = [
  [FULL, {}],
  ['without JWT verification (AUTH_MODE off)', { BENCH_WITHOUT: 'auth' }],
  ['without request logging', { BENCH_WITHOUT: 'access-log' }],
  ['without helmet', { BENCH_WITHOUT: 'helmet' }],
  ['without rate limit', { BENCH_WITHOUT: 'rate-limit' }],
  ['without request metrics (and /metrics)', { BENCH_WITHOUT: 'metrics' }],
  // The full service (started first) applied every migration; without the SLO plugin the set is smaller.
  ['without SLI recording (and /v1/slo)', { BENCH_WITHOUT: 'slis', MIGRATE_ON_START: 'false' }],
  ['without breaker + timeout', { BENCH_WITHOUT: 'breaker' }],
  ['without request ids and trace context', { BENCH_WITHOUT: 'request-context' }],
  ['without Host check', { BENCH_WITHOUT: 'host-check' }],
  ['without response schema (JSON.stringify)', { BENCH_WITHOUT: 'response-schema' }],
  ['a prepared pg query instead of Kysely', { BENCH_WITHOUT: 'kysely' }],
  [
    'with chaos on (CHAOS_ENABLED, no fault active)',
    { CHAOS_ENABLED: 'true', CHAOS_ADMIN_TOKEN: 'bench-chaos-token-of-at-least-32-chars' },
  ],
  [
    'without all of the above',
    {
      BENCH_WITHOUT:
        'auth,access-log,helmet,rate-limit,metrics,slis,breaker,request-context,host-check,response-schema,kysely',
      MIGRATE_ON_START: 'false',
    },
  ],
];
const BARE = 'bare Fastify + pg';

const root = benchDirectory('users-api-ablation-');
const servers = [];
let postgres;
try {
  postgres = await startEmbeddedPostgres({ dataDir: join(root, 'shared'), database: 'users_api' });
  for (const [name, env] of VARIANTS) {
    servers.push(
      await startBenchServer(name, SERVER, {
        env: serviceEnv({ DATABASE_URL: postgres.url, ...POOL, ...env }),
        readyPath: '/health/ready',
      }),
    );
  }
  const path = await createBenchUser(servers[0]);
  servers.push(
    await startBenchServer(BARE, here('./peers/bare-fastify.js'), {
      env: { DATABASE_URL: postgres.url },
      readyPath: path,
    }),
  );

  const loadBefore = loadAverage();
  const results = await interleavedRounds(servers, path, { rounds: ROUNDS, seconds: DURATION_S });
  const rate = (name) => median(results.get(name).map((result) => result.requestsPerSecond));
  const full = rate(FULL);
  const cpu = (name) => median(results.get(name).map((result) => result.cpuUsPerRequest));
  console.log(
    [
      `GET /v1/users/:id, ${CONNECTIONS} connections, ${servers.length} servers, ${ROUNDS} interleaved rounds of ${DURATION_S} s after a 2 s warm-up each; ` +
        `Node ${process.version}, load average ${loadBefore} before the rounds, ${loadAverage()} after`,
      '',
      '| users-api variant | req/s (median) | ÷ full service | CPU µs per request | CPU saved (µs) | p99 ms (median) | rounds |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...servers.map((server) => {
        const runs = results.get(server.name);
        return `| ${server.name} | ${rate(server.name).toFixed(0)} | ${(rate(server.name) / full).toFixed(2)} | ${cpu(server.name).toFixed(0)} | ${(cpu(FULL) - cpu(server.name)).toFixed(0)} | ${median(runs.map((r) => r.p99Ms))} | ${runs.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')} |`;
      }),
    ].join('\n'),
  );
} finally {
  for (const server of servers) await server.stop();
  await postgres?.stop();
  rmSync(root, { recursive: true, force: true });
}
