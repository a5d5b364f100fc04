// Measures users-api in one run: startup on an empty and on a warm data dir, requests/s of GET /v1/users/:id
// (autocannon, 10 s) against a bare Fastify route as the baseline, and the service's RSS after the load.
// Run after `pnpm build`: `pnpm --filter @steadfast/users-api bench`. Appends nothing; rewrites BENCHMARKS.md's
// users-api section printed below.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 10;
const SERVER = new URL('../dist/server.js', import.meta.url).pathname;

async function startTimed(dataDir) {
  const started = performance.now();
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      PORT: '0',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      RATE_LIMIT_MAX: '100000000',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const onData = (chunk) => {
    output += chunk;
  };
  child.stdout.on('data', onData);
  const url = await new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
      if (!match) return;
      clearInterval(poll);
      // Stop keeping the request log once the address is known; the log lines are drained and dropped.
      child.stdout.off('data', onData);
      child.stdout.resume();
      resolve(match[1]);
    }, 5);
    child.once('exit', (code) => {
      clearInterval(poll);
      reject(new Error(`server exited ${code}\n${output}`));
    });
  });
  return { child, url, ms: performance.now() - started };
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
  const cold = await startTimed(dataDir);
  await stop(cold.child);
  const warm = await startTimed(dataDir);

  const created = await fetch(`${warm.url}/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench', email: `bench-${Date.now()}@example.com` }),
  });
  const { data } = await created.json();

  const bare = Fastify();
  bare.get('/v1/users/:id', async () => ({ data: { id: data.id, name: 'Bench' }, meta: {} }));
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

  await load(`${warm.url}/v1/users/${data.id}`); // warm-up (JIT, pool)
  const baseline = await load(`${bareUrl}/v1/users/${data.id}`);
  const service = await load(`${warm.url}/v1/users/${data.id}`);
  const rss = rssMb(warm.child.pid);
  await bare.close();
  await stop(warm.child);

  const rows = [
    ['startup, empty data dir (initdb + migrate + listen)', `${cold.ms.toFixed(0)} ms`],
    ['startup, warm data dir', `${warm.ms.toFixed(0)} ms`],
    [
      `bare Fastify route (baseline), ${CONNECTIONS} connections, ${DURATION_S} s`,
      `${baseline.requests.average.toFixed(0)} req/s, p99 ${baseline.latency.p99} ms`,
    ],
    [
      `users-api GET /v1/users/:id, ${CONNECTIONS} connections, ${DURATION_S} s`,
      `${service.requests.average.toFixed(0)} req/s, p99 ${service.latency.p99} ms, ${service.non2xx} non-2xx`,
    ],
    ['users-api ÷ baseline (req/s)', (service.requests.average / baseline.requests.average).toFixed(3)],
    ['users-api RSS after the run', `${rss.toFixed(0)} MiB`],
  ];
  console.log(`| measure | result |\n| --- | --- |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`);
  if (service.non2xx > 0 || service.errors > 0) process.exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
