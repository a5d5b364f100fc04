// The game day's scenarios. Each drives the stack and records a timeline and its success criteria; a step that
// misses its deadline ends the scenario (the criteria it did not reach are reported as not met).
import { chaos, emptyPanels, incidents, prometheus, sleep, startTraffic, until } from './probes.mjs';

const AVAILABILITY_ALERT = 'UsersApiAvailabilityBudgetBurn';
const firing = (alerts, name, severity) =>
  alerts.filter(
    (alert) =>
      alert.labels.alertname === name &&
      alert.state === 'firing' &&
      (!severity || alert.labels.sloth_severity === severity),
  );

/** (a) Error burst on users-api: 50 % errors → availability page → one incident → kill switch → recovery. */
export const errorBurst = {
  name: 'error-burst',
  title: 'Error burst on users-api',
  // The stop condition stays out of this one: the fault must live long enough to page.
  serviceEnv: { 'users-api': { CHAOS_STOP_BURN_RATE: '100000' } },
  async run(stack, { step, criterion, dashboardsDir }) {
    const users = stack.url('users-api');
    const prom = prometheus(stack.url('prometheus'));
    const incidentApi = incidents(stack.url('incidents-api'));
    const before = new Set((await incidentApi.list()).map((incident) => incident.id));
    const traffic = startTraffic(users, 20);
    await traffic.ready;
    try {
      await sleep(20_000);
      step('traffic steady', '20 req/s on users-api for 20 s');

      const fault = await chaos(users, stack.tokens.chaos).inject({
        kind: 'error',
        target: { route: '/v1/users*' },
        probability: 0.5,
        status: 500,
        durationSeconds: 900,
      });
      const injected = step('fault injected', `50 % errors on /v1/users* (fault ${fault.id})`);

      const page = await until(
        'page alert firing',
        async () => firing(await prom.alerts(), AVAILABILITY_ALERT, 'page')[0],
        240_000,
      );
      const paged = step('page alert firing', `${page.labels.alertname} ${page.labels.sloth_tier ?? ''}`);
      // Against 3 days of healthy history the 1 h window passes 14.4x the budget (1.44 % errors) after ~104 s of
      // 50 % errors at 20 req/s; the 5 m window long before.
      criterion(
        'page within 180 s of the fault',
        paged - injected <= 180_000,
        `${((paged - injected) / 1000).toFixed(1)} s`,
      );

      const incident = await until(
        'incident opened',
        async () => (await incidentApi.list()).find((entry) => !before.has(entry.id)),
        90_000,
      );
      const opened = step('incident opened', `${incident.severity}: ${incident.title}`);
      criterion(
        'incident within 30 s of the page',
        opened - paged <= 30_000,
        `${((opened - paged) / 1000).toFixed(1)} s`,
      );
      const names = (incident.services ?? []).map((service) => service.name);
      criterion(
        'the incident names users-api as affected',
        names.includes('users-api'),
        names.join(', ') || 'none',
      );

      const panels = await emptyPanels(dashboardsDir, prom.query);
      criterion(
        'every dashboard panel has data during the fault',
        panels.empty.length === 0,
        `${panels.checked - panels.empty.length}/${panels.checked} queries with data${panels.empty.length ? `; empty: ${panels.empty.map((panel) => `${panel.panel} (${panel.service})`).join('; ')}` : ''}`,
      );

      await sleep(10_000);
      const killed = await chaos(users, stack.tokens.chaos).killSwitch();
      const recovered = step('kill switch', `${killed.removed} fault(s) removed`);

      await until(
        'page alert resolved',
        async () => firing(await prom.alerts(), AVAILABILITY_ALERT, 'page').length === 0,
        480_000,
      );
      const resolved = step('page alerts resolved', 'no page tier of the availability SLO firing');
      criterion(
        'page resolves within 360 s of the kill switch',
        resolved - recovered <= 360_000,
        `${((resolved - recovered) / 1000).toFixed(1)} s`,
      );

      const settled = await until(
        'incident monitoring or resolved',
        async () => {
          const current = await incidentApi.get(incident.id);
          return ['monitoring', 'resolved'].includes(current.status) && current;
        },
        120_000,
      ).catch((error) => {
        criterion('the incident leaves open within 120 s of the page resolving', false, error.message);
        return undefined;
      });
      if (settled) {
        const closed = step(`incident ${settled.status}`, settled.title);
        criterion(
          'the incident leaves open within 120 s of the page resolving',
          true,
          `${((closed - resolved) / 1000).toFixed(1)} s`,
        );
      }
      // Leaving `open` by itself (the alerts resolved) is not a person acknowledging it.
      const final = await incidentApi.get(incident.id);
      criterion(
        'automation does not acknowledge',
        !final.acknowledgedAt,
        String(final.acknowledgedAt ?? 'not acknowledged'),
      );
      const opens = (await incidentApi.list()).filter((entry) => !before.has(entry.id));
      criterion('one fault, one incident', opens.length === 1, `${opens.length} incident(s) opened`);
    } finally {
      traffic.stop();
    }
  },
};

export const SCENARIOS = [errorBurst];
