import { useTestApp } from '@steadfast/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { ALERTS_TOKEN, count, createIncident, createService, incidentsApp, TABLES } from './helpers.js';

const t = useTestApp({ ...incidentsApp(), truncate: TABLES });

const names = (incident: { services: Array<{ name: string }> }) => incident.services.map((s) => s.name);
const list = async (url: string) =>
  (await t.app.inject({ url })).json().data.map((incident: { title: string }) => incident.title);

describe('services by name', () => {
  it('opens an incident on services named in `services`, adding unknown names to the catalog once', async () => {
    const payments = await createService(t.app, { name: 'payments', owner: 'team-pay' });
    const first = await t.app.inject({
      method: 'POST',
      url: '/v1/incidents',
      payload: { title: 'Checkout down', services: ['checkout', ' checkout '] },
    });
    expect(first.statusCode).toBe(201);
    expect(names(first.json().data)).toEqual(['checkout']);
    const second = await createIncident(t.app, {
      title: 'Both down',
      services: ['checkout', 'payments'],
      serviceIds: [payments.id],
    });
    expect(names(second as never)).toEqual(['checkout', 'payments']);
    expect(await count(t.app, 'services')).toBe(2);

    const catalog = (await t.app.inject({ url: '/v1/services' })).json().data;
    expect(catalog.find((s: { name: string }) => s.name === 'checkout')).toMatchObject({
      owner: null,
      tier: null,
      description: 'Created when an incident named it',
    });
    expect(catalog.find((s: { name: string }) => s.name === 'payments')).toMatchObject({ owner: 'team-pay' });
  });

  it('attaches alerts to the service an incident created by name, and the other way round (one code path)', async () => {
    await createIncident(t.app, { title: 'By hand', services: ['checkout'] });
    const alerted = await t.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers: { authorization: `Bearer ${ALERTS_TOKEN}` },
      payload: {
        version: '4',
        groupKey: '{}:{alertname="Down"}',
        status: 'firing',
        receiver: 'incidents-api',
        groupLabels: { alertname: 'Down' },
        commonLabels: { alertname: 'Down', service: 'checkout' },
        commonAnnotations: { summary: 'From an alert' },
        externalURL: 'http://alertmanager:9093',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'Down', service: 'checkout' },
            annotations: {},
            startsAt: '2026-11-23T10:00:00Z',
            fingerprint: 'f00d',
          },
        ],
      },
    });
    expect(alerted.statusCode).toBe(200);
    expect(await count(t.app, 'services')).toBe(1);
    expect(await list('/v1/incidents?service=checkout')).toEqual(['From an alert', 'By hand']);
  });

  it('filters both list routes by service name', async () => {
    await createIncident(t.app, { title: 'A', services: ['checkout'] });
    const b = await createIncident(t.app, { title: 'B', services: ['payments', 'checkout'] });
    await createIncident(t.app, { title: 'C' });
    await t.app.inject({ method: 'PATCH', url: `/v1/incidents/${b.id}`, payload: { status: 'resolved' } });

    expect(await list('/v1/incidents?service=checkout')).toEqual(['B', 'A']);
    expect(await list('/v1/incidents?service=payments')).toEqual(['B']);
    expect(await list('/v1/incidents/active?service=checkout')).toEqual(['A']);
    expect(await list('/v1/incidents?service=nobody')).toEqual([]);
    expect(await list('/v1/incidents?service=checkout&status=resolved')).toEqual(['B']);
  });

  it('refuses blank, over-long or repeated names with 400 and writes nothing', async () => {
    for (const services of [[' '], ['x'.repeat(101)], ['a', 'a'], 'checkout']) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/incidents',
        payload: { title: 'Down', services },
      });
      expect(response.statusCode, JSON.stringify(services)).toBe(400);
    }
    expect(await count(t.app, 'incidents')).toBe(0);
    expect(await count(t.app, 'services')).toBe(0);
  });
});
