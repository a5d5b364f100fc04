import { startTestApp, useTestApp } from '@steadfast/service-kit/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALERTS_TOKEN, type App, createIncident, incidentsApp, patchIncident, TABLES } from './helpers.js';

const t = useTestApp({ ...incidentsApp({ INCIDENT_QUIET_CHECK_MS: '1000' }), truncate: TABLES });

afterEach(() => {
  vi.useRealTimers();
});

const MINUTE = 60_000;

function alert(status: 'firing' | 'resolved', fingerprint = 'quiet-1') {
  return {
    status,
    labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical' },
    annotations: {},
    startsAt: '2026-12-02T10:00:00Z',
    endsAt: status === 'resolved' ? '2026-12-02T10:05:00Z' : '0001-01-01T00:00:00Z',
    fingerprint,
  };
}

async function send(app: App, alerts: ReturnType<typeof alert>[]) {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/integrations/alertmanager',
    headers: { authorization: `Bearer ${ALERTS_TOKEN}` },
    payload: {
      version: '4',
      groupKey: 'quiet-group',
      status: alerts[0]?.status,
      receiver: 'incidents-api',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts,
    },
  });
  return response.json().data.incidentId as string;
}

/** An incident whose only alert fired and resolved: monitoring. */
async function monitoring(app: App) {
  const id = await send(app, [alert('firing')]);
  await send(app, [alert('resolved')]);
  return id;
}

const incident = async (app: App, id: string) =>
  (await app.inject({ url: `/v1/incidents/${id}` })).json().data;

/** Polls (in real time) until the incident has `status`, for at most `ms`. */
async function waitForStatus(app: App, id: string, status: string, ms = 10_000) {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if ((await incident(app, id)).status === status) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('the quiet period (INCIDENT_QUIET_PERIOD_MS, default 30 min)', () => {
  it('resolves a monitoring incident whose alerts stayed resolved for the period, and not before', async () => {
    const id = await monitoring(t.app);
    const fired = await createIncident(t.app, { title: 'Still firing' });
    expect((await incident(t.app, id)).status).toBe('monitoring');

    // The clock moves, nothing else does: the check (every INCIDENT_QUIET_CHECK_MS) finds the incident quiet.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 29 * MINUTE });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await incident(t.app, id)).status).toBe('monitoring');
    vi.setSystemTime(Date.now() + 2 * MINUTE);
    expect(await waitForStatus(t.app, id, 'resolved')).toBe(true);

    const resolved = await incident(t.app, id);
    expect(resolved.resolvedAt).not.toBeNull();
    // Automation resolved it; no one acknowledged it.
    expect(resolved.acknowledgedAt).toBeNull();
    expect(resolved.timeline.at(-1)).toMatchObject({
      kind: 'status_changed',
      message: 'Status changed from monitoring to resolved: every alert stayed resolved for 30 min',
      details: { from: 'monitoring', to: 'resolved', source: 'quiet-period' },
    });
    // An incident without alerts is a person's to resolve.
    expect((await incident(t.app, fired.id)).status).toBe('open');
  });

  it('leaves alone an incident with a firing alert, and one a person moved to monitoring without alerts', async () => {
    const id = await send(t.app, [alert('firing'), alert('firing', 'quiet-2')]);
    await send(t.app, [alert('resolved')]);
    const byHand = await createIncident(t.app);
    await patchIncident(t.app, byHand.id, { status: 'monitoring' });
    // Firing alerts keep it open; force it to monitoring as a person would.
    await patchIncident(t.app, id, { status: 'monitoring' });
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * 60 * MINUTE });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await incident(t.app, id)).status).toBe('monitoring');
    expect((await incident(t.app, byHand.id)).status).toBe('monitoring');
  });

  it('never resolves by itself with INCIDENT_QUIET_PERIOD_MS=0', async () => {
    const other = await startTestApp(
      incidentsApp({ INCIDENT_QUIET_PERIOD_MS: '0', INCIDENT_QUIET_CHECK_MS: '1000' }),
    );
    try {
      const id = await monitoring(other.app);
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 24 * 60 * MINUTE });
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect((await incident(other.app, id)).status).toBe('monitoring');
    } finally {
      await other.close();
    }
  });
});
