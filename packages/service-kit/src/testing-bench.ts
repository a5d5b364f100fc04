// What the apps' benches share: tokens, the service's production settings with the limits out of the way, load
// from a process of its own, interleaved rounds, and the plans of the queries a running service sends. Plain
// Node (no vitest): a bench is `node bench/<name>.js` after `pnpm build`.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import { freePort, type ServiceProcess, startServiceProcess } from './testing-processes.js';

export { freePort, type ServiceProcess, startServiceProcess } from './testing-processes.js';

/** Production refuses to start without JWT settings; benches sign their own tokens with these. */
export const BENCH_AUTH = {
  AUTH_JWT_SECRET: 'bench-secret-of-at-least-thirty-two-characters',
  AUTH_ISSUER: 'https://bench.invalid',
};

/** An HS256 token for `audience` with `scope`, valid for two hours. */
export function benchToken(audience: string, scope: string, subject = 'bench'): Promise<string> {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuer(BENCH_AUTH.AUTH_ISSUER)
    .setAudience(audience)
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(BENCH_AUTH.AUTH_JWT_SECRET));
}

/** A service's environment as production runs it, with the rate limits and the shutdown delay out of the way. */
export function benchServiceEnv(audience: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    ...BENCH_AUTH,
    AUTH_AUDIENCE: audience,
    NODE_ENV: 'production',
    RATE_LIMIT_MAX: '100000000',
    RATE_LIMIT_WRITE_MAX: '100000000',
    SHUTDOWN_DELAY_MS: '0',
    ...env,
  };
}

/** A fresh folder under the system's temporary one, reachable by the `postgres` user when run as root. */
export function benchDirectory(prefix: string): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(root, 0o755);
  return root;
}

/** The 1, 5 and 15 minute load averages, as the kernel prints them. */
export const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** A process's resident set size in MiB, as the kernel reports it. */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  if (!line) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** CPU seconds (user + system, all threads) a process has used so far; the kernel counts in ticks of 10 ms. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name in parentheses may hold spaces; utime and stime are the 12th and 13th fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** The nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** A server a bench started as its own process (`startBenchServer`). */
export interface BenchServer {
  name: string;
  child: ChildProcess;
  url: string;
  /** From the spawn to the first 200 on the ready path. */
  startupMs: number;
  /** Sends SIGTERM and resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface BenchServerOptions {
  /** Its whole environment besides PATH; PORT is set to a free port. */
  env?: Record<string, string>;
  /** The path whose first 200 means the server is ready. */
  readyPath: string;
  /** Flags for node itself, before the script (`--cpu-prof`, …). */
  nodeFlags?: readonly string[];
}

/**
 * Starts `node <script>`, any server that listens on PORT (a service or a plain script with no log line to wait
 * for), with its stdout discarded so that its logs cost the bench nothing, and resolves once `readyPath` answers 200.
 */
export async function startBenchServer(
  name: string,
  script: string,
  { env = {}, readyPath, nodeFlags = [] }: BenchServerOptions,
): Promise<BenchServer> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, script], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const status = await fetch(`${url}${readyPath}`).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status;
      },
      () => 0,
    );
    if (status === 200) return { name, child, url, startupMs: performance.now() - started, stop };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * An OTLP/HTTP endpoint that answers every export with 200 and only counts the bytes it received: a service can
 * trace every request under load without the bench decoding (or keeping) a span.
 */
export async function otlpByteSink() {
  let received = 0;
  const server = createHttpServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    request.on('end', () => response.writeHead(200).end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    /** OTEL_EXPORTER_OTLP_ENDPOINT for it. */
    endpoint: `http://127.0.0.1:${port}`,
    bytes: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Replace every `__N__` in `body` with a value no other request of any run has. */
  uniqueBodies?: boolean;
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Responses in the whole run. */
  requests: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
}

const LOAD_SCRIPT = new URL('./testing-bench-load.js', import.meta.url).pathname;

/** One autocannon run from a process of its own, so the load does not share the bench's event loop. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const child = spawn(process.execPath, [LOAD_SCRIPT, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(output.trim().split('\n').at(-1) as string) as LoadResult;
}

/** The run, unless a response was not 2xx or a request failed: a failing request costs nothing to answer. */
export function expectOk(name: string, result: LoadResult): LoadResult {
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${name}: ${result.non2xx} non-2xx and ${result.errors} errors under load`);
  }
  return result;
}

/** One URL a bench loads in `loadRounds`. */
export interface LoadTarget {
  name: string;
  url: string;
  /** The process answering it: its RSS is read once every round is over. */
  pid?: number;
}

/**
 * A round's run; when the target's pid was given, also its RSS after the round and the CPU time it spent per
 * answered request during the run (µs, all its threads): what a server costs, less moved by the load around it than
 * its rate.
 */
export interface RoundResult extends LoadResult {
  rssMiB?: number;
  cpuUsPerRequest?: number;
}

/**
 * A warm-up of `warmupSeconds` per target, then `rounds` interleaved rounds of `seconds` per target; throws on any
 * non-2xx or error (`expectOk`).
 */
export async function loadRounds(
  targets: readonly LoadTarget[],
  {
    rounds,
    warmupSeconds,
    seconds,
    ...load
  }: Omit<LoadOptions, 'url'> & { rounds: number; warmupSeconds: number },
): Promise<Map<string, RoundResult[]>> {
  const run = async (target: LoadTarget, duration: number): Promise<RoundResult> => {
    const cpuBefore = target.pid === undefined ? 0 : cpuSeconds(target.pid);
    const result: RoundResult = expectOk(
      target.name,
      await runLoad({ ...load, url: target.url, seconds: duration }),
    );
    if (target.pid !== undefined) {
      result.cpuUsPerRequest = ((cpuSeconds(target.pid) - cpuBefore) * 1e6) / result.requests;
    }
    return result;
  };
  for (const target of targets) await run(target, warmupSeconds);
  return interleaved(
    targets.map((target) => ({ name: target.name, run: () => run(target, seconds) })),
    rounds,
    (results) => {
      for (const { name, pid } of targets) {
        const last = results.get(name)?.at(-1);
        if (last && pid !== undefined) last.rssMiB = rssMiB(pid);
      }
    },
  );
}

/**
 * `rounds` rounds of every target, the order rotating each round, so that a machine getting busier or quieter
 * meanwhile weighs on all targets alike. Results by target name, in round order; `afterRound` sees them once each
 * round is over.
 */
export async function interleaved<T>(
  targets: ReadonlyArray<{ name: string; run: () => Promise<T> }>,
  rounds: number,
  afterRound: (results: Map<string, T[]>) => void = () => undefined,
): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < targets.length; index++) {
      const target = targets[(index + round) % targets.length] as (typeof targets)[number];
      results.get(target.name)?.push(await target.run());
    }
    afterRound(results);
  }
  return results;
}

/** A statement's plan as auto_explain logged it: EXPLAIN (ANALYZE, BUFFERS) of what the service really ran. */
export interface LoggedPlan {
  query: string;
  /** The plan's lines, without the query text. */
  plan: string[];
}

/** Collects auto_explain's plans from PostgreSQL's log lines (`startEmbeddedPostgres({ log })`). */
export function planLog() {
  const plans: LoggedPlan[] = [];
  let current: LoggedPlan | undefined;
  return {
    log(line: string) {
      if (/duration: [\d.]+ ms {2}plan:$/.test(line)) {
        current = { query: '', plan: [] };
        plans.push(current);
      } else if (current && line.startsWith('\t')) {
        const text = line.slice(1);
        if (text.startsWith('Query Text: ')) current.query = text.slice('Query Text: '.length);
        else if (text.startsWith('Query Parameters: ')) return;
        else if (current.plan.length === 0 && !/^\S/.test(text)) current.query += ` ${text.trim()}`;
        else current.plan.push(text);
      } else current = undefined;
    },
    /** The plans logged since the last call. */
    take(): LoggedPlan[] {
      return plans.splice(0);
    },
  };
}

/**
 * From now on, every new session of `database` logs the plan of each statement with its actual rows, times and
 * buffers (auto_explain, the extension PostgreSQL ships). Resolves with the undo. Sessions opened before keep
 * their settings, so a service started afterwards is the one whose plans show.
 */
export async function explainNewSessions(adminUrl: string, database: string): Promise<() => Promise<void>> {
  const settings = [
    `session_preload_libraries = 'auto_explain'`,
    'auto_explain.log_min_duration = 0',
    'auto_explain.log_analyze = on',
    'auto_explain.log_buffers = on',
    'auto_explain.log_timing = on',
  ];
  const run = async (statements: string[]) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const name = pg.escapeIdentifier(database);
  await run(settings.map((setting) => `ALTER DATABASE ${name} SET ${setting}`));
  return () => run([`ALTER DATABASE ${name} RESET ALL`]);
}

/** The plan's scan nodes, each with its buffers: what shows whether an index answered. */
export function scansOf(plan: LoggedPlan): string[] {
  const scans: string[] = [];
  plan.plan.forEach((line, index) => {
    const node =
      /(?:->\s+)?((?:Parallel )?(?:Seq|Index|Index Only|Bitmap Heap|Bitmap Index) Scan.*?)\s+\(cost=/.exec(
        line,
      );
    if (!node?.[1]) return;
    const buffers = plan.plan
      .slice(index + 1)
      .find((next) => next.trim().startsWith('Buffers:') || /->/.test(next));
    scans.push(
      buffers?.trim().startsWith('Buffers:') ? `${node[1]} (${buffers.trim().toLowerCase()})` : node[1],
    );
  });
  return scans;
}

/** The cursor a list route hands out for page `page` (1-based), found by walking every page before it. */
export async function cursorOfPage(
  listUrl: string,
  page: number,
  headers: Record<string, string>,
): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let walked = 1; walked < page; walked++) {
    const url = new URL(listUrl);
    if (cursor) url.searchParams.set('cursor', cursor);
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
    const { meta } = (await response.json()) as { meta: { nextCursor: string | null } };
    if (!meta.nextCursor) throw new Error(`${listUrl} has only ${walked} pages`);
    cursor = meta.nextCursor;
  }
  return cursor;
}

/**
 * Fills `slo_sli_minutes` with one row per SLO and minute of the last `days` days, as steady traffic at 99.8 %
 * leaves them, and `slo_sli_hours` with their hourly sums; resolves with the rows written.
 */
export async function fillSliMinutes(
  databaseUrl: string,
  slos: readonly string[],
  days: number,
): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `INSERT INTO slo_sli_minutes (slo, minute, good, total)
       SELECT slo, date_trunc('minute', now()) - make_interval(mins => m), 5988, 6000
       FROM unnest($1::text[]) AS slo, generate_series(1, $2::int) AS m`,
      [slos, days * 24 * 60],
    );
    // The hourly sums the store keeps beside the minutes (slo_sli_hours), as its writes would leave them.
    await client.query(
      `INSERT INTO slo_sli_hours (slo, hour, good, total)
       SELECT slo, date_bin('1 hour', minute, timestamptz 'epoch'), sum(good), sum(total)
       FROM slo_sli_minutes WHERE slo = ANY($1::text[]) GROUP BY 1, 2
       ON CONFLICT (slo, hour) DO UPDATE SET good = excluded.good, total = excluded.total`,
      [slos],
    );
    await client.query('VACUUM ANALYZE slo_sli_minutes, slo_sli_hours');
    return rowCount ?? 0;
  } finally {
    await client.end();
  }
}

/** A read timed on both databases: its path on the near-empty one and on the grown one. */
export interface GrowthRead {
  name: string;
  empty: string;
  grown: string;
}

export interface GrowthComparison {
  read: string;
  empty: LoadResult[];
  grown: LoadResult[];
}

/**
 * Every read against both services, `rounds` interleaved rounds of `seconds` each after a one-second warm-up;
 * throws on any non-2xx or error, since a failing read costs nothing to answer.
 */
export async function compareGrowth(
  reads: readonly GrowthRead[],
  services: { empty: string; grown: string },
  settings: Omit<LoadOptions, 'url'> & { rounds: number },
): Promise<GrowthComparison[]> {
  const comparisons: GrowthComparison[] = [];
  for (const read of reads) {
    const targets = (['empty', 'grown'] as const).map((table) => ({
      name: `${read.name} (${table})`,
      url: `${services[table]}${read[table]}`,
    }));
    const results = await loadRounds(targets, { ...settings, warmupSeconds: 1 });
    comparisons.push({
      read: read.name,
      empty: results.get(`${read.name} (empty)`) ?? [],
      grown: results.get(`${read.name} (grown)`) ?? [],
    });
  }
  return comparisons;
}

/** The comparison as a Markdown table: medians, the cost ratio (empty ÷ grown req/s) against `limit`. */
export function growthTable(comparisons: readonly GrowthComparison[], limit = 1.5): string[] {
  const rate = (runs: readonly LoadResult[]) => median(runs.map((run) => run.requestsPerSecond));
  const p50 = (runs: readonly LoadResult[]) => median(runs.map((run) => run.p50Ms));
  return [
    '| read | empty req/s | grown req/s | cost ratio (empty ÷ grown req/s) | p50 ms empty / grown | grown rounds (req/s) |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...comparisons.map(({ read, empty, grown }) => {
      const ratio = rate(empty) / rate(grown);
      const verdict = ratio <= limit ? `within ${limit}×` : `**over ${limit}×**`;
      const rounds = grown.map((run) => run.requestsPerSecond.toFixed(0)).join(', ');
      return `| ${read} | ${rate(empty).toFixed(0)} | ${rate(grown).toFixed(0)} | ${ratio.toFixed(2)} (${verdict}) | ${p50(empty)} / ${p50(grown)} | ${rounds} |`;
    }),
  ];
}

/**
 * Starts the service on `database` with auto_explain on for its sessions, makes each read once and returns the
 * plans of the statements it ran whose text matches `relevant`; stops the service and turns auto_explain off.
 */
export async function planReads(
  { adminUrl, database, plans }: { adminUrl: string; database: string; plans: ReturnType<typeof planLog> },
  start: () => Promise<ServiceProcess>,
  reads: readonly GrowthRead[],
  headers: Record<string, string>,
  relevant: RegExp,
): Promise<Array<{ read: string; plan: LoggedPlan }>> {
  const undo = await explainNewSessions(adminUrl, database);
  const service = await start();
  try {
    const planned: Array<{ read: string; plan: LoggedPlan }> = [];
    for (const read of reads) {
      plans.take();
      const response = await fetch(`${service.url}${read.grown}`, { headers });
      if (response.status !== 200) throw new Error(`${read.name}: ${response.status}`);
      await response.arrayBuffer();
      // PostgreSQL's log reaches this process after the response did.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const plan of plans.take()) if (relevant.test(plan.query)) planned.push({ read: read.name, plan });
    }
    return planned;
  } finally {
    await service.stop();
    await undo();
  }
}

/** Pages a sequential scan may read before the plan is shown whole: a small lookup table fits in a few. */
const SMALL_TABLE_PAGES = 10;

const pagesRead = (scan: string) =>
  [...scan.matchAll(/(?:hit|read)=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);

/** The plans as a Markdown table of their scans, and the full text of any plan that scans a large table whole. */
export function planTable(planned: ReadonlyArray<{ read: string; plan: LoggedPlan }>): string[] {
  const whole = planned.filter(({ plan }) =>
    scansOf(plan).some((scan) => scan.startsWith('Seq Scan') && pagesRead(scan) > SMALL_TABLE_PAGES),
  );
  return [
    '| read | scans (auto_explain: EXPLAIN ANALYZE, BUFFERS of the service’s own statements) |',
    '| --- | --- |',
    ...planned.map(({ read, plan }) => `| ${read} | ${scansOf(plan).join('; ') || '(no scan)'} |`),
    ...whole.flatMap(({ read, plan }) => ['', `${read}:`, '', '```', plan.query, ...plan.plan, '```']),
  ];
}

/** One app's growth bench: how its tables are filled and which reads are timed (see `runGrowthBench`). */
export interface GrowthBench {
  /** The service's built `server.js`. */
  script: string;
  audience: string;
  /** Read scope of the token every read sends. */
  scope: string;
  /** Database names: the near-empty one and the grown one. */
  databases: { empty: string; grown: string };
  /** Fills a migrated database with `rows` of the app's main table (and what hangs off it). */
  fill(client: pg.Client, rows: number): Promise<void>;
  rows: { empty: number; grown: number };
  /** The list route, `?limit=` appended. */
  listPath: string;
  /** The path of one row, by id, from a row in the middle of the grown table. */
  rowPath(client: pg.Client, rows: number): Promise<string>;
  /** Which logged statements belong to the reads. */
  relevant: RegExp;
  /** What the fill holds, in a sentence, for the report's first line. */
  describe(client: pg.Client): Promise<string>;
  settings: { seconds: number; rounds: number; connections: number };
  /** The deep page timed. */
  page: number;
  sliDays: number;
}

/**
 * Two processes of the service on one embedded PostgreSQL, one per database (near-empty and grown, the grown one
 * also with `sliDays` of per-minute SLI rows); the row by id, the first page, page `page` and `/v1/slo` timed on
 * both (`compareGrowth`), and the grown service's plans (`planReads`). Prints the report in Markdown.
 */
export async function runGrowthBench(bench: GrowthBench): Promise<void> {
  const { startEmbeddedPostgres } = await import('@steadfast/embedded-pg');
  const LIMIT = 20;
  const headers = { authorization: `Bearer ${await benchToken(bench.audience, bench.scope)}` };
  const root = benchDirectory(`${bench.audience}-growth-`);
  const plans = planLog();
  const postgres = await startEmbeddedPostgres({
    dataDir: join(root, 'pg'),
    database: bench.databases.empty,
    log: plans.log,
  });
  const urls = {
    empty: postgres.url,
    grown: Object.assign(new URL(postgres.url), { pathname: `/${bench.databases.grown}` }).href,
  };
  const running = new Set<ServiceProcess>();
  const start = async (databaseUrl: string) => {
    const service = await startServiceProcess(
      bench.script,
      benchServiceEnv(bench.audience, { DATABASE_URL: databaseUrl }),
    );
    running.add(service);
    return service;
  };
  const stop = async (service: ServiceProcess) => {
    running.delete(service);
    await service.stop();
  };
  const empty = new pg.Client({ connectionString: urls.empty });
  const grown = new pg.Client({ connectionString: urls.grown });
  try {
    await empty.connect();
    await empty.query(`CREATE DATABASE ${pg.escapeIdentifier(bench.databases.grown)}`);
    await grown.connect();
    // A service's first start applies the migrations.
    const emptyService = await start(urls.empty);
    await stop(await start(urls.grown));
    const { data } = (await (await fetch(`${emptyService.url}/v1/slo`)).json()) as {
      data: { name: string }[];
    };
    const slos = data.map((slo) => slo.name);

    const fillStarted = performance.now();
    await bench.fill(grown, bench.rows.grown);
    const fillMs = performance.now() - fillStarted;
    const sliStarted = performance.now();
    const sliRows = await fillSliMinutes(urls.grown, slos, bench.sliDays);
    const sliMs = performance.now() - sliStarted;
    await bench.fill(empty, bench.rows.empty);

    const list = (service: ServiceProcess) => `${service.url}${bench.listPath}?limit=${LIMIT}`;
    const walker = await start(urls.grown);
    const grownCursor = await cursorOfPage(list(walker), bench.page, headers);
    await stop(walker);
    const firstPage = `${bench.listPath}?limit=${LIMIT}`;
    const reads: GrowthRead[] = [
      {
        name: `GET ${bench.listPath}/:id`,
        empty: await bench.rowPath(empty, bench.rows.empty),
        grown: await bench.rowPath(grown, bench.rows.grown),
      },
      { name: `GET ${bench.listPath} (first page)`, empty: firstPage, grown: firstPage },
      {
        name: `GET ${bench.listPath} (page ${bench.page.toLocaleString('en')})`,
        // The deepest full page a near-empty table has: the second.
        empty: `${firstPage}&cursor=${await cursorOfPage(list(emptyService), 2, headers)}`,
        grown: `${firstPage}&cursor=${grownCursor}`,
      },
      { name: 'GET /v1/slo', empty: '/v1/slo', grown: '/v1/slo' },
    ];
    const planned = await planReads(
      { adminUrl: postgres.adminUrl, database: bench.databases.grown, plans },
      () => start(urls.grown),
      reads,
      headers,
      bench.relevant,
    );
    for (const service of running) if (service !== emptyService) await stop(service);

    const grownService = await start(urls.grown);
    const loadBefore = loadAverage();
    const comparisons = await compareGrowth(
      reads,
      { empty: emptyService.url, grown: grownService.url },
      { ...bench.settings, headers },
    );
    const { seconds, rounds, connections } = bench.settings;
    console.log(
      [
        `${bench.audience}: ${await bench.describe(grown)} (fill with VACUUM ANALYZE ${(fillMs / 1000).toFixed(1)} s) and ` +
          `${sliRows.toLocaleString('en')} SLI rows (${slos.length} SLOs × ${bench.sliDays} days of minutes, fill ` +
          `${(sliMs / 1000).toFixed(1)} s), against ${bench.rows.empty} rows and no SLI rows; ${connections} connections, ` +
          `${rounds} interleaved rounds of ${seconds} s; Node ${process.version}; load average ${loadBefore} before ` +
          `the runs, ${loadAverage()} after`,
        '',
        ...growthTable(comparisons),
        '',
        ...planTable(planned),
      ].join('\n'),
    );
  } finally {
    for (const service of running) await service.stop();
    await Promise.all([empty.end(), grown.end()]).catch(() => undefined);
    await postgres.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The bench's settings from BENCH_DURATION_S and BENCH_ROUNDS (3 s, 3 rounds unless set), 10 connections. */
export const growthSettings = () => ({
  seconds: Number(process.env.BENCH_DURATION_S ?? 3),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  connections: 10,
});
