/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ConsoleInBrowser, openConsole } from './browser.js';

const ALERTS_TOKEN = 'console-test-alerts-token';
const ALERTNAME = 'UsersApiAvailabilityBudgetBurn';
const SLOTH_ID = 'users-api-requests-availability';
const STARTS_AT = '2026-12-02T03:00:00Z';
const SUMMARY = 'users-api is failing requests fast enough to spend its availability error budget';

/** Labels and annotations as users-api's generated rules (deploy/prometheus/rules) give its paging alerts. */
function alert(tier: 'page-fast' | 'page-slow', fingerprint: string, status: 'firing' | 'resolved') {
  return {
    status,
    labels: {
      alertname: ALERTNAME,
      category: 'availability',
      severity: 'critical',
      sloth_id: SLOTH_ID,
      sloth_service: 'users-api',
      sloth_slo: 'requests-availability',
      sloth_severity: 'page',
      sloth_tier: tier,
    },
    annotations: {
      title: '(page) users-api requests-availability SLO error budget burn rate is too fast.',
      summary: SUMMARY,
      runbook_url: 'https://runbooks.example.com/users-api/availability',
    },
    startsAt: STARTS_AT,
    endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-02T03:20:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=slo%3Asli_error%3Aratio_rate5m',
    fingerprint,
  };
}

/** Alertmanager's webhook body (version 4) for the group `group_by: [alertname, sloth_id]` makes. */
function notification(status: 'firing' | 'resolved') {
  const alerts = [
    alert('page-fast', '5f1e0c2a9b7d3e41', status),
    alert('page-slow', '8a2b4c6d0e1f3a57', status),
  ];
  const { sloth_tier: _tier, ...commonLabels } = alerts[0]?.labels ?? {};
  return {
    version: '4',
    groupKey: `{}:{alertname="${ALERTNAME}", sloth_id="${SLOTH_ID}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'incidents-api',
    groupLabels: { alertname: ALERTNAME, sloth_id: SLOTH_ID },
    commonLabels,
    commonAnnotations: alerts[0]?.annotations ?? {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

let opened: ConsoleInBrowser<'incidents-api'> | undefined;
let consoleApi: (path: string) => Promise<unknown>;

async function deliver(status: 'firing' | 'resolved') {
  const response = await fetch(`${opened?.services['incidents-api'].url}/v1/integrations/alertmanager`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ALERTS_TOKEN}`,
      'content-type': 'application/json',
      'user-agent': 'Alertmanager/0.28.1',
    },
    body: JSON.stringify(notification(status)),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the intake's answer, read field by field
  const body: any = await response.json();
  return { status: response.status, body };
}

beforeAll(async () => {
  opened = await openConsole(inject('postgresAdminUrl'), { 'incidents-api': { ALERTS_TOKEN } });
  const url = opened.url;
  consoleApi = (path) => fetch(`${url}/api/incidents-api${path}`).then((r) => r.json());
}, 120_000);

afterAll(() => opened?.close(), 60_000);

describe('an incident opened by Alertmanager, in the browser', () => {
  it('appears live on the overview, shows its alerts, and moves to monitoring live when they resolve', async () => {
    const { page, newPage, shot, url } = opened as ConsoleInBrowser<'incidents-api'>;
    await page.goto(url);
    await page.getByText('live', { exact: true }).waitFor();
    await page.getByText('No active incidents.').waitFor();

    const firing = await deliver('firing');
    expect(firing.status).toBe(200);
    expect(firing.body.data).toMatchObject({ incidentCreated: true, alerts: { new: 2 } });
    const id: string = firing.body.data.incidentId;
    const row = page.locator(`tr[data-incident="${id}"]`);
    await row.getByText(SUMMARY).waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(1, 4)).toEqual(['P1 critical', 'users-api', 'open']);
    await shot('overview-alert');

    // The person paged opens the incident in a browser of their own.
    const incidentPage = await newPage();
    await incidentPage.goto(`${url}/#/incidents/${id}`);
    const timeline = incidentPage.locator('.timeline');
    const entry = `${ALERTNAME}: ${SUMMARY}`;
    await timeline.getByText(`Alert firing: ${entry}`).nth(1).waitFor();
    await expect(timeline.locator('strong').allTextContents()).resolves.toEqual([
      'created',
      'alert firing',
      'alert firing',
    ]);
    await incidentPage.getByRole('heading', { name: SUMMARY, exact: true }).waitFor();
    await incidentPage.getByText('P1 critical · users-api · opened').waitFor();

    const resolved = await deliver('resolved');
    expect(resolved.status).toBe(200);
    expect(resolved.body.data).toMatchObject({ incidentCreated: false, alerts: { resolved: 2 } });
    // The overview follows the stream; the incident's own page announces the change and shows it on request.
    await row.locator('td').nth(3).getByText('monitoring', { exact: true }).waitFor();
    await incidentPage.getByText('Someone else changed this incident').waitFor();
    await incidentPage.getByRole('button', { name: 'Show the latest' }).click();
    await incidentPage.locator('.badge', { hasText: 'monitoring' }).waitFor();
    await timeline.getByText(`Alert resolved: ${entry}`).nth(1).waitFor();
    await expect(timeline.locator('strong').allTextContents()).resolves.toEqual([
      'created',
      'alert firing',
      'alert firing',
      'alert resolved',
      'alert resolved',
      'status changed',
    ]);
    await shot('incident-alert-resolved', incidentPage);
    await shot('overview-alert-resolved');

    const viaConsole = (await consoleApi(`/v1/incidents/${id}`)) as { data: { status: string } };
    expect(viaConsole.data.status).toBe('monitoring');
  }, 90_000);
});
