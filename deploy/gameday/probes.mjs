// What a game day watches and drives: traffic, Prometheus alerts, Alertmanager, incidents, chaos, dashboards.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

async function json(url, init = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Polls `probe` every 500 ms until it returns something truthy; throws naming `what` at the deadline. */
export async function until(what, probe, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(500);
  }
  throw new Error(
    `${what}: not within ${deadlineMs / 1000} s${lastError ? ` (last error: ${lastError.message})` : ''}`,
  );
}

/** Steady traffic at `perSecond` on users-api: reads of the list and of one user, a write now and then. */
export function startTraffic(base, perSecond = 20) {
  const counts = { sent: 0, byStatus: {} };
  let userId;
  const one = async (tick) => {
    const path = tick % 10 === 0 || !userId ? '/v1/users?limit=5' : `/v1/users/${userId}`;
    try {
      const response = await fetch(`${base}${path}`);
      counts.byStatus[response.status] = (counts.byStatus[response.status] ?? 0) + 1;
      await response.arrayBuffer();
    } catch {
      counts.byStatus.network = (counts.byStatus.network ?? 0) + 1;
    }
  };
  let tick = 0;
  const timer = setInterval(() => {
    counts.sent++;
    void one(tick++);
  }, 1000 / perSecond);
  const ready = json(`${base}/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Game Day', email: `gameday-${Date.now()}@example.com` }),
  }).then((body) => {
    userId = body.data.id;
  });
  return { ready, counts, stop: () => clearInterval(timer) };
}

export const chaos = (base, token) => {
  const headers = { authorization: `Bearer ${token}` };
  return {
    inject: async (fault) =>
      (
        await json(`${base}/admin/chaos/faults`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(fault),
        })
      ).data,
    fault: async (id) => (await json(`${base}/admin/chaos/faults/${id}`, { headers })).data,
    setStopCondition: async (condition) =>
      (
        await json(`${base}/admin/chaos/stop-condition`, {
          method: 'PUT',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(condition),
        })
      ).data,
    faults: async () => (await json(`${base}/admin/chaos/faults`, { headers })).data,
    killSwitch: async () => (await json(`${base}/admin/chaos/faults`, { method: 'DELETE', headers })).data,
    audit: async () => (await json(`${base}/admin/chaos/audit?limit=50`, { headers })).data,
  };
};

export const prometheus = (base) => ({
  alerts: async () => (await json(`${base}/api/v1/alerts`)).data.alerts,
  query: async (expr) => (await json(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`)).data.result,
});

export const incidents = (base) => ({
  list: async () => (await json(`${base}/v1/incidents?limit=100`)).data,
  get: async (id) => (await json(`${base}/v1/incidents/${id}`)).data,
  /** The first 100 entries of an incident's timeline, oldest first. */
  timeline: async (id) => (await json(`${base}/v1/incidents/${id}/timeline?limit=100`)).data,
  postmortem: async (id) => {
    const response = await fetch(`${base}/v1/incidents/${id}/postmortem`);
    if (!response.ok) throw new Error(`GET postmortem of ${id}: ${response.status}`);
    return response.text();
  },
});

/**
 * Every panel query of every dashboard in `dir`, with `$service` set to each of its values, run against
 * Prometheus: the panels that return no series are the ones a person would see as "No data".
 */
export async function emptyPanels(dir, query) {
  const empty = [];
  let checked = 0;
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.json'))) {
    const dashboard = JSON.parse(await readFile(join(dir, file), 'utf8'));
    const variable = dashboard.templating?.list?.find((entry) => entry.name === 'service');
    const services = variable?.query ? String(variable.query).split(',') : [undefined];
    for (const panel of dashboard.panels ?? []) {
      for (const target of panel.targets ?? []) {
        for (const service of services) {
          const expr = service ? target.expr.replaceAll('$service', service) : target.expr;
          checked++;
          if ((await query(expr)).length === 0) empty.push({ file, panel: panel.title, service, expr });
        }
      }
    }
  }
  return { checked, empty };
}
