// `pnpm --filter @steadfast/incidents-api bench:load` (after `pnpm build`): incidents-api under load, as its own
// process on an embedded PostgreSQL, the load from processes of their own.
// 1. Alertmanager intake: notifications/s of a 10-alert group, each a new group (one incident opened, ten alerts
//    recorded), and of the same notification re-sent (every alert a duplicate), against a 1-alert new group;
//    BENCH_ROUNDS interleaved rounds of BENCH_DURATION_S seconds, 10 connections.
// 2. Live updates: BENCH_STREAMS (1,000) clients, one token subject each, on /v1/incidents/stream; BENCH_CHANGES
//    changes of one incident, each timed from just before its PATCH to each client's receipt; against 1 client.
//    Then what happens past the limits: one stream more than SSE_MAX_STREAMS, one more than
//    SSE_MAX_STREAMS_PER_CLIENT for one subject.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startEmbeddedPostgres } from '@steadfast/embedded-pg';
import {
  benchDirectory,
  benchServiceEnv,
  benchToken,
  interleaved,
  loadAverage,
  median,
  percentile,
  runLoad,
  startServiceProcess,
} from '@steadfast/service-kit/testing-bench';
import pg from 'pg';

const SECONDS = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const PER_CLIENT = 5;
const CHANGES = Number(process.env.BENCH_CHANGES ?? 20);
const CHANGE_GAP_MS = 500;
const ALERTS_TOKEN = 'bench-alerts-token-0123456789';
const SERVICE = new URL('../dist/server.js', import.meta.url).pathname;
const CLIENTS = new URL('./sse-clients.js', import.meta.url).pathname;

/** An Alertmanager (version 4) notification of one firing group of `alerts` alerts; `__N__` marks its group. */
function notification(alerts) {
  const labels = (i) => ({
    alertname: 'HighErrorRate',
    service: 'checkout',
    severity: i === 0 ? 'critical' : 'warning',
    group: '__N__',
    instance: `checkout-${i}:8080`,
  });
  return JSON.stringify({
    version: '4',
    groupKey: '{}:{alertname="HighErrorRate", group="__N__"}',
    status: 'firing',
    receiver: 'incidents-api',
    groupLabels: { alertname: 'HighErrorRate', group: '__N__' },
    commonLabels: { alertname: 'HighErrorRate', service: 'checkout', group: '__N__' },
    commonAnnotations: {
      summary: 'Checkout 5xx above 5%',
      description: 'Error ratio over the last 5 minutes',
    },
    externalURL: 'http://alertmanager:9093',
    alerts: Array.from({ length: alerts }, (_, i) => ({
      status: 'firing',
      labels: labels(i),
      annotations: { summary: `Checkout instance ${i} 5xx above 5%` },
      startsAt: '2026-12-02T04:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=errors',
      fingerprint: `__N__-${i.toString(16).padStart(4, '0')}`,
    })),
  });
}

/** Starts a clients process and resolves once its streams are open or refused. */
async function startClients(url, count, prefix) {
  const child = spawn(process.execPath, [CLIENTS, JSON.stringify({ url, count, prefix })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const opened = JSON.parse((await lines.next()).value);
  return {
    ...opened,
    async report() {
      child.stdin.write('report\n');
      const { received } = JSON.parse((await lines.next()).value);
      await once(child, 'exit');
      return received;
    },
  };
}

/** One more stream for `subject`: its status, error code and Retry-After, and a way to close it if it opened. */
async function openStream(url, subject) {
  const aborted = new AbortController();
  const response = await fetch(`${url}/v1/incidents/stream`, {
    headers: { authorization: `Bearer ${await benchToken('incidents-api', 'incidents:read', subject)}` },
    signal: aborted.signal,
  });
  const code = response.status === 200 ? undefined : (await response.json()).error.code;
  return {
    status: response.status,
    code,
    retryAfter: response.headers.get('retry-after'),
    // Holds the response: one nobody references is collected, and fetch then cancels its stream.
    close: () => {
      aborted.abort();
      return response.status;
    },
  };
}

const root = benchDirectory('incidents-api-load-');
const postgres = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), database: 'incidents_load' });
const db = new pg.Client({ connectionString: postgres.url });
let service;
try {
  service = await startServiceProcess(
    SERVICE,
    benchServiceEnv('incidents-api', {
      DATABASE_URL: postgres.url,
      ALERTS_TOKEN,
      SSE_MAX_STREAMS: String(STREAMS),
      SSE_MAX_STREAMS_PER_CLIENT: String(PER_CLIENT),
      // Every stream is a connection; room for them and for the load.
      MAX_CONNECTIONS: String(STREAMS + 100),
    }),
  );
  await db.connect();
  const write = { authorization: `Bearer ${await benchToken('incidents-api', 'incidents:write')}` };
  const intake = `${service.url}/v1/integrations/alertmanager`;
  const alertHeaders = { authorization: `Bearer ${ALERTS_TOKEN}`, 'content-type': 'application/json' };
  const post = async (body) => {
    const response = await fetch(intake, { method: 'POST', headers: alertHeaders, body });
    if (response.status !== 200) throw new Error(`intake: ${response.status} ${await response.text()}`);
    return (await response.json()).data;
  };

  // 1. Alertmanager intake.
  const resent = notification(10).replaceAll('__N__', 'resent');
  const first = await post(resent);
  if (first.alerts.new !== 10 || !first.incidentCreated)
    throw new Error(`first send: ${JSON.stringify(first)}`);
  // What the re-sent group holds: a re-send must change none of it.
  const resentGroup = JSON.parse(resent).groupKey;
  const counts = async () =>
    (
      await db.query(
        `SELECT (SELECT count(*) FROM incidents WHERE group_key = $1)::int AS incidents,
                (SELECT max(version) FROM incidents WHERE group_key = $1)::int AS version,
                (SELECT count(*) FROM alerts WHERE group_key = $1)::int AS alerts,
                (SELECT count(*) FROM timeline_events WHERE incident_id = $2)::int AS entries`,
        [resentGroup, first.incidentId],
      )
    ).rows[0];
  const modes = [
    { name: '1 alert, new group (baseline)', alerts: 1, body: notification(1), uniqueBodies: true },
    { name: '10 alerts, new group', alerts: 10, body: notification(10), uniqueBodies: true },
    { name: '10 alerts, re-sent (all duplicates)', alerts: 10, body: resent, uniqueBodies: false },
  ];
  const run = (mode, seconds = SECONDS) =>
    runLoad({
      url: intake,
      seconds,
      connections: CONNECTIONS,
      method: 'POST',
      headers: alertHeaders,
      body: mode.body,
      uniqueBodies: mode.uniqueBodies,
    });
  for (const mode of modes) await run(mode, 1); // warm-up
  const intakeLoad = loadAverage();
  let resentBefore;
  let resentChanged = false;
  const results = await interleaved(
    modes.map((mode) => ({
      name: mode.name,
      run: async () => {
        if (!mode.uniqueBodies) resentBefore = await counts();
        const result = await run(mode);
        if (!mode.uniqueBodies) {
          const after = await counts();
          resentChanged ||= JSON.stringify(after) !== JSON.stringify(resentBefore);
        }
        return result;
      },
    })),
    ROUNDS,
  );
  const again = await post(resent);
  for (const [name, runs] of results) {
    const failed = runs.find((r) => r.non2xx > 0 || r.errors > 0);
    if (failed)
      throw new Error(
        `${name}: ${failed.non2xx} non-2xx (${JSON.stringify(failed.statuses)}), ${failed.errors} errors`,
      );
  }
  const rate = (name) => median(results.get(name).map((r) => r.requestsPerSecond));
  const baseline = rate(modes[0].name);
  const intakeRows = modes.map((mode) => {
    const runs = results.get(mode.name);
    return `| ${mode.name} | ${rate(mode.name).toFixed(0)} | ${(rate(mode.name) * mode.alerts).toFixed(0)} | ${median(runs.map((r) => r.p50Ms))} / ${median(runs.map((r) => r.p99Ms))} | ${(rate(mode.name) / baseline).toFixed(2)} | ${runs.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')} |`;
  });

  // 2. Live updates.
  const created = await fetch(`${service.url}/v1/incidents`, {
    method: 'POST',
    headers: { ...write, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'change-0', severity: 'high' }),
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
  const incident = (await created.json()).data;
  /** Makes CHANGES changes; resolves with when each was sent, by k. */
  async function changes() {
    const sent = {};
    for (let k = 1; k <= CHANGES; k++) {
      sent[k] = performance.timeOrigin + performance.now();
      const response = await fetch(`${service.url}/v1/incidents/${incident.id}`, {
        method: 'PATCH',
        headers: { ...write, 'content-type': 'application/json', 'if-match': '*' },
        body: JSON.stringify({ title: `change-${k}` }),
      });
      if (response.status !== 200)
        throw new Error(`change ${k}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, CHANGE_GAP_MS));
    }
    return sent;
  }
  /** Streams 2 to PER_CLIENT of a subject whose first is open, then one more; all closed again. */
  async function pastTheClientLimit(subject) {
    const held = [];
    for (let i = 1; i < PER_CLIENT; i++) held.push(await openStream(service.url, subject));
    const refused = await openStream(service.url, subject);
    for (const stream of [...held, refused]) stream.close();
    return { held, refused };
  }
  async function delivery(count, prefix) {
    const clients = await startClients(service.url, count, prefix);
    if (clients.open !== count)
      throw new Error(`${clients.open} of ${count} streams open: ${JSON.stringify(clients.refused)}`);
    const past = {
      process: count === STREAMS ? await openStream(service.url, `${prefix}-extra`) : undefined,
      client: count === 1 ? await pastTheClientLimit(`${prefix}-0`) : undefined,
    };
    past.process?.close();
    const load = loadAverage();
    const sent = await changes();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const received = await clients.report();
    const delays = Object.entries(sent).flatMap(([k, at]) => (received[k] ?? []).map((t) => t - at));
    return { count, delays, expected: count * CHANGES, load, past };
  }
  const solo = await delivery(1, 'solo');
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the server frees the solo streams' slots
  const crowd = await delivery(STREAMS, 'operator');
  const ms = (value) => value.toFixed(1);
  const deliveryRow = ({ count, delays, expected, load }) =>
    `| ${count.toLocaleString('en')} | ${delays.length.toLocaleString('en')} of ${expected.toLocaleString('en')} | ${ms(percentile(delays, 50))} | ${ms(percentile(delays, 99))} | ${ms(Math.max(...delays))} | ${(percentile(delays, 99) / percentile(solo.delays, 99)).toFixed(2)} | ${load} |`;
  const refusal = (r) => `${r.status} ${r.code ?? ''}, Retry-After: ${r.retryAfter}`;

  console.log(
    [
      `incidents-api under load, Node ${process.version}, load average ${intakeLoad} before the intake runs, ${loadAverage()} at the end`,
      '',
      `Alertmanager intake: ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s`,
      '',
      '| notification | notifications/s (median) | alerts/s | p50 / p99 ms | ÷ baseline | rounds |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
      ...intakeRows,
      '',
      `Re-sends: a last one answered ${JSON.stringify(again.alerts)} (incidentCreated: ${again.incidentCreated}); ` +
        `the group's incident, its version, alerts and timeline entries ${resentChanged ? '**changed**' : 'unchanged'} across every re-send run`,
      '',
      `Live updates: ${CHANGES} changes of one incident ${CHANGE_GAP_MS} ms apart, delay from just before the PATCH to each client's receipt`,
      '',
      '| streams | deliveries | p50 ms | p99 ms | max ms | p99 ÷ 1 stream | load average |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      deliveryRow(solo),
      deliveryRow(crowd),
      '',
      `Past the limits (SSE_MAX_STREAMS=${STREAMS}, SSE_MAX_STREAMS_PER_CLIENT=${PER_CLIENT}): stream ${STREAMS + 1} → ${refusal(crowd.past.process)}; ` +
        `a subject's streams 2–${PER_CLIENT} → ${solo.past.client.held.map((r) => r.status).join(', ')}, stream ${PER_CLIENT + 1} → ${refusal(solo.past.client.refused)}`,
    ].join('\n'),
  );
} finally {
  await service?.stop();
  await db.end().catch(() => undefined);
  await postgres.stop();
  rmSync(root, { recursive: true, force: true });
}
