// `pnpm --filter @steadfast/users-api bench` (after `pnpm build`): GET /v1/users/:id on users-api against two peers,
// every server in its own process on one PostgreSQL, the load from a fourth process (the kit's `runLoad`). After a
// warm-up, ROUNDS interleaved rounds (the order rotates each round) of BENCH_DURATION_S seconds per server; the
// report is the median per server and the ratios. Also: startup on an empty and on a warm data dir, and each
// server's RSS after every round.
// BENCH_PROFILE_DIR=<dir> writes a CPU profile of every server into <dir>/<server> when it exits (never commit one).
// BENCH_OTEL=1: users-api traces every request (or as the caller's OTEL_* variables say) and exports them over
// OTLP/HTTP to a sink in this process that only counts the bytes.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@steadfast/embedded-pg';
import {
  benchDirectory,
  loadAverage,
  median,
  otlpByteSink,
  rssMiB,
  startBenchServer,
} from '@steadfast/service-kit/testing-bench';
import { CONNECTIONS, createBenchUser, here, interleavedRounds, serviceEnv } from './harness.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const SERVICE = here('../dist/server.js');

const sink = process.env.BENCH_OTEL === '1' ? await otlpByteSink() : undefined;
const tracingEnv = sink
  ? {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_'))),
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
    }
  : {};
const profileFlags = (server) =>
  PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, server.replace(/[^a-z0-9]+/gi, '-'))}`]
    : [];
const startService = (env, readyPath, nodeFlags) =>
  startBenchServer('users-api', SERVICE, {
    env: serviceEnv({ ...tracingEnv, ...env }),
    readyPath,
    nodeFlags,
  });

const root = benchDirectory('users-api-bench-');
const servers = [];
let postgres;
try {
  const cold = await startService({ DATA_DIR: join(root, 'data') }, '/health/startup');
  await cold.stop();
  const warmStart = await startService({ DATA_DIR: join(root, 'data') }, '/health/startup');
  await warmStart.stop();

  postgres = await startEmbeddedPostgres({ dataDir: join(root, 'shared'), database: 'users_api' });
  const service = await startService(
    { DATABASE_URL: postgres.url },
    '/health/ready',
    profileFlags('users-api'),
  );
  servers.push(service);
  const path = await createBenchUser(service);
  const peer = (name, script) =>
    startBenchServer(name, here(script), {
      env: { DATABASE_URL: postgres.url },
      readyPath: path,
      nodeFlags: profileFlags(name),
    });
  servers.push(await peer('bare Fastify + pg', './peers/bare-fastify.js'));
  servers.push(await peer('Express 5 stack + pg', './peers/express.js'));

  const loadBefore = loadAverage();
  const results = await interleavedRounds(servers, path, { rounds: ROUNDS, seconds: DURATION_S });
  const rate = (name) => median(results.get(name).map((result) => result.requestsPerSecond));
  const p99 = (name) => median(results.get(name).map((result) => result.p99Ms));
  const cpu = (name) => median(results.get(name).map((result) => result.cpuUsPerRequest));
  const rss = new Map(servers.map((server) => [server.name, rssMiB(server.child.pid)]));
  const rows = servers.map((server) => {
    const runs = results.get(server.name);
    return `| ${server.name} | ${rate(server.name).toFixed(0)} | ${p99(server.name)} | ${cpu(server.name).toFixed(0)} | ${runs.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')} | ${runs.map((r) => r.rssMiB.toFixed(0)).join(', ')} |`;
  });
  const bare = 'bare Fastify + pg';
  console.log(
    [
      `GET ${path.replace(/[^/]+$/, ':id')}, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION_S} s after a 2 s warm-up each, ` +
        `load from its own process; Node ${process.version}, load average ${loadBefore} before the rounds, ${loadAverage()} after`,
      '',
      '| server | req/s (median) | p99 ms (median) | CPU µs per request (median) | rounds | RSS after each round (MiB) |',
      '| --- | ---: | ---: | ---: | --- | ---: |',
      ...rows,
      '',
      `users-api ÷ bare Fastify + pg: ${(rate('users-api') / rate(bare)).toFixed(2)}; users-api ÷ Express stack: ${(rate('users-api') / rate('Express 5 stack + pg')).toFixed(2)}; ` +
        `p99 ÷ bare p99: ${(p99('users-api') / p99(bare)).toFixed(2)}; CPU per request ÷ bare: ${(cpu('users-api') / cpu(bare)).toFixed(2)}; RSS ÷ bare RSS: ${(rss.get('users-api') / rss.get(bare)).toFixed(2)}`,
      `startup to /health/startup 200: empty data dir (initdb, migrations) ${cold.startupMs.toFixed(0)} ms, warm ${warmStart.startupMs.toFixed(0)} ms`,
      ...(sink
        ? [
            `users-api traced (${tracingEnv.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on'}): ${(sink.bytes() / 1048576).toFixed(1)} MiB of OTLP exported`,
          ]
        : []),
    ].join('\n'),
  );
} finally {
  for (const server of servers) await server.stop();
  await postgres?.stop();
  await sink?.close();
  rmSync(root, { recursive: true, force: true });
}
