import { startTestApp, useTestApp } from '@steadfast/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { ALERTS_TOKEN, count, incidentsApp, TABLES } from './helpers.js';

const t = useTestApp({ ...incidentsApp(), truncate: TABLES });

const URL = '/v1/integrations/alertmanager';
const GROUP_KEY = '{}/{severity="critical"}:{alertname="HighErrorRate", service="checkout"}';
const STARTS_AT = '2026-11-23T10:00:00.123456789Z';
const ENDS_AT = '2026-11-23T10:20:00Z';

interface AlertOptions {
  status?: 'firing' | 'resolved';
  fingerprint?: string;
  instance?: string;
  startsAt?: string;
}

type Labels = Record<string, string>;
interface Alert {
  status: string;
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

function alert({
  status = 'firing',
  fingerprint = 'a1b2c3d4e5f60718',
  instance = 'web-1',
  startsAt = STARTS_AT,
}: AlertOptions = {}): Alert {
  return {
    status,
    labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical', instance },
    annotations: { summary: 'Checkout 5xx above 5%', description: 'Error rate is 12% over 5 minutes' },
    startsAt,
    endsAt: status === 'resolved' ? ENDS_AT : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=rate',
    fingerprint,
  };
}

/** A notification as Alertmanager 0.27 sends it. */
function notification(alerts: Alert[], groupKey = GROUP_KEY) {
  const labels: Labels = { alertname: 'HighErrorRate', service: 'checkout' };
  return {
    receiver: 'incidents-api',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: labels,
    commonLabels: { ...labels, severity: 'critical' } as Labels,
    commonAnnotations: { summary: 'Checkout 5xx above 5%' } as Labels,
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey,
    truncatedAlerts: 0,
  };
}

const send = (payload: unknown, token: string | null = ALERTS_TOKEN) =>
  t.app.inject({
    method: 'POST',
    url: URL,
    payload: payload as object,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });

const timelineKinds = async (id: string) =>
  (await t.app.inject({ url: `/v1/incidents/${id}/timeline` }))
    .json()
    .data.map((e: { kind: string }) => e.kind);

describe('authentication', () => {
  it('answers 401 without a token, 403 with a wrong one, and writes nothing', async () => {
    const missing = await send(notification([alert()]), null);
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error.code).toBe('UNAUTHENTICATED');
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    const basic = await t.app.inject({
      method: 'POST',
      url: URL,
      payload: notification([alert()]),
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expect(basic.statusCode).toBe(401);
    const wrong = await send(notification([alert()]), 'not-the-right-token-at-all');
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('FORBIDDEN');
    const prefix = await send(notification([alert()]), ALERTS_TOKEN.slice(0, -1));
    expect(prefix.statusCode).toBe(403);
    expect(await count(t.app, 'incidents')).toBe(0);
    expect(await count(t.app, 'alerts')).toBe(0);
  });

  it('checks the token before the body', async () => {
    expect((await send({ nonsense: true }, null)).statusCode).toBe(401);
  });
});

describe('a real notification sequence', () => {
  it('opens one incident on firing, ignores the re-send, and moves to monitoring on resolve', async () => {
    const firing = await send(notification([alert()]));
    expect(firing.statusCode).toBe(200);
    expect(firing.json().data).toMatchObject({
      incidentCreated: true,
      alerts: { new: 1, resolved: 0, duplicate: 0 },
    });
    const id = firing.json().data.incidentId;

    const incident = (await t.app.inject({ url: `/v1/incidents/${id}` })).json().data;
    expect(incident).toMatchObject({
      title: 'Checkout 5xx above 5%',
      description: 'Error rate is 12% over 5 minutes',
      severity: 'critical',
      priority: 'P1',
      status: 'open',
      groupKey: GROUP_KEY,
      services: [{ name: 'checkout' }],
    });
    const service = (await t.app.inject({ url: `/v1/services/${incident.services[0].id}` })).json().data;
    expect(service.description).toBe('Created from Alertmanager alerts');

    const resent = await send(notification([alert()]));
    expect(resent.json().data).toMatchObject({
      incidentId: id,
      incidentCreated: false,
      alerts: { new: 0, duplicate: 1 },
    });
    expect(await count(t.app, 'incidents')).toBe(1);
    expect(await timelineKinds(id)).toEqual(['created', 'alert_firing']);

    const resolved = await send(notification([alert({ status: 'resolved' })]));
    expect(resolved.json().data).toMatchObject({ incidentId: id, alerts: { resolved: 1 } });
    const after = (await t.app.inject({ url: `/v1/incidents/${id}` })).json().data;
    expect(after.status).toBe('monitoring');
    // The alerts resolving moved it, not a person: nobody acknowledged it (time to acknowledge stays unknown).
    expect(after.acknowledgedAt).toBeNull();
    expect(after.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'created',
      'alert_firing',
      'alert_resolved',
      'status_changed',
    ]);

    // Alertmanager re-sends resolved notifications too.
    await send(notification([alert({ status: 'resolved' })]));
    expect(await timelineKinds(id)).toHaveLength(4);
    expect(await count(t.app, 'services')).toBe(1);

    // A human's decision stands against re-sent notifications.
    await t.app.inject({ method: 'PATCH', url: `/v1/incidents/${id}`, payload: { status: 'resolved' } });
    await t.app.inject({ method: 'PATCH', url: `/v1/incidents/${id}`, payload: { status: 'investigating' } });
    await send(notification([alert({ status: 'resolved' })]));
    expect((await t.app.inject({ url: `/v1/incidents/${id}` })).json().data.status).toBe('investigating');

    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/alerts_received_total\{status="firing",service="incidents-api"\} 2/);
    expect(metrics).toMatch(/alerts_received_total\{status="resolved",service="incidents-api"\} 3/);
  });

  it('attaches new alerts of the group to its open incident and waits for every alert to resolve', async () => {
    const first = (await send(notification([alert({ fingerprint: 'f1' })]))).json().data;
    const both = [alert({ fingerprint: 'f1' }), alert({ fingerprint: 'f2', instance: 'web-2' })];
    const second = (await send(notification(both))).json().data;
    expect(second).toMatchObject({ incidentId: first.incidentId, alerts: { new: 1, duplicate: 1 } });

    const oneResolved = [
      alert({ fingerprint: 'f1', status: 'resolved' }),
      alert({ fingerprint: 'f2', instance: 'web-2' }),
    ];
    await send(notification(oneResolved));
    const partly = (await t.app.inject({ url: `/v1/incidents/${first.incidentId}` })).json().data;
    expect(partly.status).toBe('open');

    const allResolved = [
      alert({ fingerprint: 'f1', status: 'resolved' }),
      alert({ fingerprint: 'f2', instance: 'web-2', status: 'resolved' }),
    ];
    await send(notification(allResolved));
    const done = (await t.app.inject({ url: `/v1/incidents/${first.incidentId}` })).json().data;
    expect(done.status).toBe('monitoring');
    expect(done.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'created',
      'alert_firing',
      'alert_firing',
      'alert_resolved',
      'alert_resolved',
      'status_changed',
    ]);
  });

  it('opens a new incident for a new firing once the previous one is resolved', async () => {
    const first = (await send(notification([alert()]))).json().data;
    await t.app.inject({
      method: 'PATCH',
      url: `/v1/incidents/${first.incidentId}`,
      payload: { status: 'resolved' },
    });
    const again = (await send(notification([alert({ startsAt: '2026-11-23T12:00:00Z' })]))).json().data;
    expect(again.incidentCreated).toBe(true);
    expect(again.incidentId).not.toBe(first.incidentId);
  });

  it('gives one incident to concurrent deliveries of the same group', async () => {
    const responses = await Promise.all(Array.from({ length: 4 }, () => send(notification([alert()]))));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(await count(t.app, 'incidents')).toBe(1);
    expect(await count(t.app, 'alerts')).toBe(1);
    expect(responses.filter((r) => r.json().data.incidentCreated)).toHaveLength(1);
  });

  it('maps severity labels and falls back to the alert name for the title', async () => {
    const payload = notification(
      [{ ...alert(), labels: { alertname: 'DiskFilling', severity: 'warning' }, annotations: {} }],
      'g2',
    );
    payload.commonLabels = { alertname: 'DiskFilling' };
    payload.groupLabels = { alertname: 'DiskFilling', service: '' };
    payload.commonAnnotations = {};
    const { incidentId } = (await send(payload)).json().data;
    const incident = (await t.app.inject({ url: `/v1/incidents/${incidentId}` })).json().data;
    expect(incident).toMatchObject({ title: 'DiskFilling', severity: 'medium', services: [] });
  });
});

describe('the affected service', () => {
  // A generated SLO alert carries sloth_service, not service; an alert on a raw target only Prometheus' job.
  it.each([
    [
      'sloth_service',
      { alertname: 'UsersApiAvailabilityBudgetBurn', sloth_service: 'users-api', sloth_severity: 'page' },
      'users-api',
    ],
    ['job', { alertname: 'TargetDown', job: 'incidents-api' }, 'incidents-api'],
    [
      'service over sloth_service and job',
      { alertname: 'X', service: 'checkout', sloth_service: 'other', job: 'j' },
      'checkout',
    ],
  ])('comes from %s', async (_case, labels, expected) => {
    const payload = notification(
      [{ ...alert(), labels, annotations: {} }],
      `g-${expected}-${Object.keys(labels).length}`,
    );
    payload.commonLabels = labels;
    payload.groupLabels = { alertname: labels.alertname };
    const { incidentId } = (await send(payload)).json().data;
    const incident = (await t.app.inject({ url: `/v1/incidents/${incidentId}` })).json().data;
    expect(incident.services.map((service: { name: string }) => service.name)).toEqual([expected]);
  });
});

describe('invalid payloads', () => {
  const valid = notification([alert()]);
  it.each([
    ['no alerts', { ...valid, alerts: [] }],
    ['alerts missing', { ...valid, alerts: undefined }],
    ['no groupKey', { ...valid, groupKey: undefined }],
    ['a bad status', { ...valid, status: 'burning' }],
    ['an alert without fingerprint', { ...valid, alerts: [{ ...alert(), fingerprint: undefined }] }],
    [
      'a bad startsAt',
      { ...valid, alerts: [alert(), { ...alert({ fingerprint: 'x' }), startsAt: 'yesterday' }] },
    ],
    ['a non-string label', { ...valid, alerts: [{ ...alert(), labels: { severity: 1 } }] }],
    ['not an object', [valid]],
  ])('rejects %s with 400 and writes nothing', async (_name, payload) => {
    const response = await send(payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    for (const table of ['incidents', 'alerts', 'services', 'timeline_events', 'incident_events']) {
      expect(await count(t.app, table)).toBe(0);
    }
  });

  it('rejects malformed JSON with 400', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: URL,
      headers: { authorization: `Bearer ${ALERTS_TOKEN}`, 'content-type': 'application/json' },
      payload: '{"version": "4", ',
    });
    expect(response.statusCode).toBe(400);
    expect(await count(t.app, 'incidents')).toBe(0);
  });
});

describe('configuration', () => {
  it('resolves the incident when ALERTS_RESOLVE_STATUS=resolved', async () => {
    const other = await startTestApp(incidentsApp({ ALERTS_RESOLVE_STATUS: 'resolved' }));
    try {
      const post = (payload: unknown) =>
        other.app.inject({
          method: 'POST',
          url: URL,
          payload: payload as object,
          headers: { authorization: `Bearer ${ALERTS_TOKEN}` },
        });
      const { incidentId } = (await post(notification([alert()]))).json().data;
      await post(notification([alert({ status: 'resolved' })]));
      const incident = (await other.app.inject({ url: `/v1/incidents/${incidentId}` })).json().data;
      expect(incident.status).toBe('resolved');
      expect(incident.resolvedAt).not.toBeNull();
    } finally {
      await other.close();
    }
  });

  it('is disabled (404, so strangers cannot burn the availability SLO) when ALERTS_TOKEN is not set', async () => {
    const other = await startTestApp(incidentsApp({ ALERTS_TOKEN: '' }));
    try {
      const response = await other.app.inject({
        method: 'POST',
        url: URL,
        payload: notification([alert()]),
        headers: { authorization: `Bearer ${ALERTS_TOKEN}` },
      });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('INTEGRATION_DISABLED');
      const anonymous = await other.app.inject({ method: 'POST', url: URL, payload: {} });
      expect(anonymous.statusCode).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe('input that used to be a 5xx', () => {
  it('refuses NUL in a label value, a label name or an annotation with 400, and writes nothing', async () => {
    const withNul: Array<(a: Alert) => void> = [
      (a) => {
        a.labels.instance = 'web\u0000-1';
      },
      (a) => {
        a.labels['inst\u0000ance'] = 'web-1';
      },
      (a) => {
        a.annotations.summary = 'Checkout\u0000 down';
      },
    ];
    for (const corrupt of withNul) {
      const bad = alert();
      corrupt(bad);
      const response = await send(notification([bad]));
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
    }
    const group = notification([alert()]);
    group.commonLabels.service = 'check\u0000out';
    expect((await send(group)).statusCode).toBe(400);
    expect(await count(t.app, 'alerts')).toBe(0);
    expect(await count(t.app, 'incidents')).toBe(0);
  });

  it('takes a severity label naming an Object.prototype member as unknown (high), not a 500', async () => {
    for (const [i, severity] of ['constructor', '__proto__', 'toString', 'hasOwnProperty'].entries()) {
      const firing = alert({ fingerprint: `proto-${i}` });
      firing.labels.severity = severity;
      const payload = notification([firing], `{}:{alertname="Proto${i}"}`);
      payload.commonLabels = { alertname: 'HighErrorRate' };
      const response = await send(payload);
      expect(response.statusCode, severity).toBe(200);
      const incident = await t.app.inject({ url: `/v1/incidents/${response.json().data.incidentId}` });
      expect(incident.json().data.severity, severity).toBe('high');
    }
  });

  it('takes a groupKey of 2,000 multibyte characters (8,000 bytes) and finds its group again', async () => {
    // 1,999 code points (within the schema's length) of 4 bytes each, varied so that compression cannot shrink
    // them: past a btree entry's 2,704 bytes.
    const varied = Array.from({ length: 1990 }, (_, i) =>
      String.fromCodePoint(0x1f300 + ((i * 7919) % 0x500)),
    );
    const groupKey = `{}:{a="${varied.join('')}"}`;
    const opened = await send(notification([alert()], groupKey));
    expect(opened.statusCode).toBe(200);
    expect(opened.json().data.incidentCreated).toBe(true);
    const joined = await send(notification([alert({ fingerprint: 'second-alert-0001' })], groupKey));
    expect(joined.statusCode).toBe(200);
    expect(joined.json().data).toMatchObject({
      incidentId: opened.json().data.incidentId,
      incidentCreated: false,
    });
    expect(await count(t.app, 'incidents')).toBe(1);
  });

  it('takes a group of 1,100 alerts over 1 MiB (as Alertmanager sends it) in batches, all recorded once', async () => {
    const alerts = Array.from({ length: 1100 }, (_, i) => {
      const a = alert({ fingerprint: `big-${i.toString(16).padStart(6, '0')}`, instance: `web-${i}` });
      a.annotations.description = `Error rate is high on web-${i}. ${'x'.repeat(900)}`;
      return a;
    });
    const payload = notification(alerts);
    expect(JSON.stringify(payload).length).toBeGreaterThan(1024 * 1024);
    const response = await send(payload);
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({
      incidentCreated: true,
      alerts: { new: 1100, duplicate: 0 },
    });
    expect(await count(t.app, 'alerts')).toBe(1100);
    expect(await count(t.app, 'incidents')).toBe(1);

    // Re-sent whole (Alertmanager's retry after a timeout, say): nothing is added.
    const again = await send(payload);
    expect(again.json().data).toMatchObject({ incidentCreated: false, alerts: { new: 0, duplicate: 1100 } });
    expect(await count(t.app, 'alerts')).toBe(1100);
  });
});
