// The game day's stack on loopback: both services (built), and Debian's Prometheus and Alertmanager running the
// shipped rules, routes and inhibit rules. Only addresses, tokens and intervals differ from deploy/prometheus/.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHIPPED = join(ROOT, 'deploy/prometheus');
export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const PROMTOOL_BIN = '/usr/bin/promtool';

/** Intervals of the game day: fast enough to see a whole incident in minutes, the same rules otherwise. */
export const INTERVALS = {
  scrape: '1s',
  evaluation: '1s',
  groupWait: '1s',
  groupInterval: '5s',
  repeat: '1h',
};

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** The shipped prometheus.yml with loopback targets and the game day's intervals. */
export async function prometheusConfig({ services, alertmanager }) {
  const config = parse(await readFile(join(SHIPPED, 'prometheus.yml'), 'utf8'));
  config.global = {
    ...config.global,
    scrape_interval: INTERVALS.scrape,
    evaluation_interval: INTERVALS.evaluation,
  };
  config.rule_files = config.rule_files.map((file) => join(SHIPPED, file));
  config.alerting.alertmanagers = [{ static_configs: [{ targets: [`127.0.0.1:${alertmanager}`] }] }];
  for (const job of config.scrape_configs) {
    const port = services[job.job_name];
    if (!port) throw new Error(`prometheus.yml scrapes ${job.job_name}, which the game day does not start`);
    job.static_configs = [{ targets: [`127.0.0.1:${port}`] }];
  }
  return config;
}

/** The shipped alertmanager.yml with incidents-api on loopback, the game day's token, and its group timers. */
export async function alertmanagerConfig({ incidentsPort, alertsToken }) {
  const config = parse(await readFile(join(SHIPPED, 'alertmanager.yml'), 'utf8'));
  config.route = {
    ...config.route,
    group_wait: INTERVALS.groupWait,
    group_interval: INTERVALS.groupInterval,
    repeat_interval: INTERVALS.repeat,
  };
  for (const receiver of config.receivers) {
    for (const webhook of receiver.webhook_configs ?? []) {
      const shipped = new URL(webhook.url);
      webhook.url = `http://127.0.0.1:${incidentsPort}${shipped.pathname}`;
      webhook.http_config = { authorization: { type: 'Bearer', credentials: alertsToken } };
    }
  }
  return config;
}

/**
 * OpenMetrics for `hours` of healthy history before now: every service answering `perSecond` requests a second,
 * none failing and none slower than the latency SLO's bucket. Without it every SLO window of a fresh stack spans
 * only the stack's few minutes, so every tier fires together and the slow ones stay for half an hour; with it the
 * windows behave as they do in production, where a fault pages only the tiers its size and length justify.
 */
export function healthyHistory({ services, nowSeconds, hours = 72, stepSeconds = 60, perSecond = 20 }) {
  const lines = ['# TYPE http_request_duration_seconds histogram'];
  const start = nowSeconds - hours * 3600;
  for (let step = 0, at = start; at < nowSeconds - stepSeconds; step++, at += stepSeconds) {
    const count = step * stepSeconds * perSecond;
    for (const service of services) {
      const labels = `job="${service}",instance="history",service="${service}",sli="true",method="GET",route="/history",status_code="200"`;
      lines.push(`http_request_duration_seconds_bucket{${labels},le="0.5"} ${count} ${at}`);
      lines.push(`http_request_duration_seconds_bucket{${labels},le="+Inf"} ${count} ${at}`);
      lines.push(`http_request_duration_seconds_count{${labels}} ${count} ${at}`);
      lines.push(`http_request_duration_seconds_sum{${labels}} ${count * 0.01} ${at}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Writes {@link healthyHistory} into `dataDir` as TSDB blocks, before Prometheus starts on it. */
async function backfill(workDir, dataDir, services) {
  const input = join(workDir, 'history.om');
  await writeFile(input, healthyHistory({ services, nowSeconds: Math.floor(Date.now() / 1000) }));
  await new Promise((resolveRun, reject) => {
    const promtool = spawn(
      PROMTOOL_BIN,
      ['tsdb', 'create-blocks-from', 'openmetrics', '-q', input, dataDir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let errors = '';
    promtool.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    promtool.once('error', reject);
    promtool.once('exit', (code) =>
      code === 0
        ? resolveRun()
        : reject(new Error(`promtool could not backfill the history: ${errors.trim()}`)),
    );
  });
}

/** A child process whose output is kept (bounded) for the report when something fails. */
function start(name, command, args, { env = {}, cwd = ROOT } = {}) {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-64_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  return {
    name,
    child,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `url` answers 200, or the proc exits, or the deadline passes. */
async function healthy(proc, url, deadlineMs = 120_000) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null) {
      throw new Error(`${proc.name} exited during startup:\n${proc.output().slice(-4000)}`);
    }
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new Error(
    `${proc.name} was not healthy at ${url} within ${deadlineMs / 1000} s:\n${proc.output().slice(-4000)}`,
  );
}

/**
 * Starts everything in `workDir` and resolves with their addresses and tokens. `serviceEnv` adds variables per
 * service (a scenario's stop-condition threshold, say). `stop()` stops all of it, services first.
 */
export async function startStack({ workDir, serviceEnv = {} }) {
  for (const bin of [PROMETHEUS_BIN, ALERTMANAGER_BIN, PROMTOOL_BIN]) {
    if (!existsSync(bin)) {
      throw new Error(`${bin} is missing: apt-get install prometheus prometheus-alertmanager (.ci/run does)`);
    }
  }
  await mkdir(workDir, { recursive: true });
  await chmod(workDir, 0o755);
  const tokens = {
    chaos: `gameday-chaos-${randomBytes(12).toString('hex')}`,
    alerts: `gameday-alerts-${randomBytes(12).toString('hex')}`,
    integration: `gameday-integration-${randomBytes(12).toString('hex')}`,
  };
  const ports = {
    'users-api': await freePort(),
    'incidents-api': await freePort(),
    prometheus: await freePort(),
    alertmanager: await freePort(),
  };
  const running = [];
  const stop = async () => {
    for (const proc of running.reverse()) await proc.stop();
  };
  try {
    for (const service of ['incidents-api', 'users-api']) {
      const server = join(ROOT, 'apps', service, 'dist/server.js');
      if (!existsSync(server)) throw new Error(`${server} is missing: build first (pnpm gameday does)`);
      const proc = start(service, process.execPath, [server], {
        env: {
          NODE_ENV: 'development',
          LOG_LEVEL: 'info',
          HOST: '127.0.0.1',
          PORT: String(ports[service]),
          DATA_DIR: join(workDir, service),
          // The traffic comes from one client at 20 req/s, over the per-client default of 300 a minute.
          RATE_LIMIT_MAX: '100000',
          CHAOS_ENABLED: 'true',
          CHAOS_ADMIN_TOKEN: tokens.chaos,
          // incidents-api hears of every experiment users-api starts and ends (POST /v1/integrations/chaos).
          ...(service === 'incidents-api'
            ? { ALERTS_TOKEN: tokens.alerts, INTEGRATION_TOKEN: tokens.integration }
            : {
                CHAOS_ANNOUNCE_URL: `http://127.0.0.1:${ports['incidents-api']}/v1/integrations/chaos`,
                CHAOS_ANNOUNCE_TOKEN: tokens.integration,
              }),
          ...serviceEnv[service],
        },
      });
      running.push(proc);
    }
    await Promise.all(
      running.map((proc) => healthy(proc, `http://127.0.0.1:${ports[proc.name]}/health/ready`)),
    );

    const amConfig = join(workDir, 'alertmanager.yml');
    await writeFile(
      amConfig,
      stringify(
        await alertmanagerConfig({ incidentsPort: ports['incidents-api'], alertsToken: tokens.alerts }),
      ),
    );
    const alertmanager = start('alertmanager', ALERTMANAGER_BIN, [
      `--config.file=${amConfig}`,
      `--storage.path=${join(workDir, 'alertmanager-data')}`,
      `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
      '--cluster.listen-address=',
    ]);
    running.push(alertmanager);
    const promConfig = join(workDir, 'prometheus.yml');
    await writeFile(
      promConfig,
      stringify(
        await prometheusConfig({
          services: { 'users-api': ports['users-api'], 'incidents-api': ports['incidents-api'] },
          alertmanager: ports.alertmanager,
        }),
      ),
    );
    const tsdb = join(workDir, 'prometheus-data');
    await mkdir(tsdb, { recursive: true });
    await backfill(workDir, tsdb, ['users-api', 'incidents-api']);
    const prometheus = start('prometheus', PROMETHEUS_BIN, [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${tsdb}`,
      `--web.listen-address=127.0.0.1:${ports.prometheus}`,
    ]);
    running.push(prometheus);
    await healthy(alertmanager, `http://127.0.0.1:${ports.alertmanager}/-/ready`);
    await healthy(prometheus, `http://127.0.0.1:${ports.prometheus}/-/ready`);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = (name) => `http://127.0.0.1:${ports[name]}`;
  return { url, tokens, processes: running, stop };
}
