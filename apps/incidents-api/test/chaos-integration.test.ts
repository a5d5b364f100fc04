import { startTestApp, useTestApp } from '@steadfast/service-kit/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { pruneExperimentEvents } from '../src/experiments/experiment.repository.js';
import { ALERTS_TOKEN, count, createIncident, INTEGRATION_TOKEN, incidentsApp, TABLES } from './helpers.js';

const t = useTestApp({ ...incidentsApp(), truncate: TABLES });

const URL = '/v1/integrations/chaos';
const started = {
  event: 'started',
  experimentId: 'exp-errors-1',
  service: 'users-api',
  description: '50 % errors on /v1/users*',
  at: '2026-12-02T10:00:00Z',
  endsAt: '2099-12-02T10:10:00Z',
};
const ended = {
  event: 'ended',
  experimentId: 'exp-errors-1',
  service: 'users-api',
  description: '50 % errors on /v1/users*',
  at: '2026-12-02T10:04:00Z',
  endedBy: 'stop-condition',
  stopCondition: { description: 'error ratio', value: 0.52, threshold: 0.5 },
};

const announce = (body: unknown, token: string | null = INTEGRATION_TOKEN, app = t.app) =>
  app.inject({
    method: 'POST',
    url: URL,
    payload: body as object,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
const messages = async (id: string) =>
  (await t.app.inject({ url: `/v1/incidents/${id}/timeline?limit=100` }))
    .json()
    .data.map((e: { kind: string; message: string }) => `${e.kind}: ${e.message}`);

describe('POST /v1/integrations/chaos', () => {
  it('writes start and end onto the unresolved incidents of the service, once per experiment and event', async () => {
    const { id } = await createIncident(t.app, { services: ['users-api'] });
    const other = await createIncident(t.app, { services: ['checkout'] });
    const response = await announce(started);
    expect(response.statusCode).toBe(202);
    expect(response.json().data).toEqual({ accepted: true });
    // Every chaos replica may send it.
    expect((await announce(started)).statusCode).toBe(202);
    expect((await announce(ended)).statusCode).toBe(202);
    expect((await announce(ended)).statusCode).toBe(202);

    expect(await messages(id)).toEqual([
      'created: Incident opened (medium, via api)',
      'experiment_started: experiment exp-errors-1 started: 50 % errors on /v1/users*',
      'experiment_ended: experiment exp-errors-1 ended (stop-condition: error ratio at 0.52 (threshold 0.5))',
    ]);
    expect(await messages(other.id)).toEqual(['created: Incident opened (medium, via api)']);
    expect((await t.app.inject({ url: `/v1/incidents/${id}` })).json().data.version).toBe(3);
    expect(await count(t.app, 'experiment_events')).toBe(2);
  });

  it('writes one entry for concurrent re-sends (every replica announcing at once)', async () => {
    const { id } = await createIncident(t.app, { services: ['users-api'] });
    const responses = await Promise.all(Array.from({ length: 4 }, () => announce(started)));
    expect(responses.map((r) => r.statusCode)).toEqual([202, 202, 202, 202]);
    expect((await messages(id)).filter((m: string) => m.startsWith('experiment_started'))).toHaveLength(1);
    expect(await count(t.app, 'experiment_events')).toBe(1);
  });

  it('gives an incident opened during an experiment on its service the started entry', async () => {
    await announce(started);
    const { id } = await createIncident(t.app, { services: ['users-api'] });
    expect(await messages(id)).toEqual([
      'created: Incident opened (medium, via api)',
      'experiment_started: experiment exp-errors-1 started: 50 % errors on /v1/users*',
    ]);
    await announce(ended);
    const { id: later } = await createIncident(t.app, { services: ['users-api'] });
    expect(await messages(later)).toEqual(['created: Incident opened (medium, via api)']);
  });

  it('lists the overlapping experiment in the postmortem of an alert incident on that service', async () => {
    await announce({ ...started, at: new Date(Date.now() - 60_000).toISOString() });
    const alert = {
      status: 'firing',
      labels: {
        alertname: 'UsersApiAvailabilityBudgetBurn',
        sloth_service: 'users-api',
        sloth_slo: 'requests-availability',
        sloth_tier: 'page-fast',
        sloth_severity: 'page',
        severity: 'critical',
      },
      annotations: {
        summary: 'users-api fails',
        runbook_url: 'https://runbooks.example/users-api',
        error_ratio: '0.5',
        objective: '99.9',
        period_days: '30',
      },
      startsAt: new Date(Date.now() - 30_000).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: 'users-page-fast',
    };
    const opened = await t.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers: { authorization: `Bearer ${ALERTS_TOKEN}` },
      payload: {
        version: '4',
        groupKey: 'page-route',
        status: 'firing',
        receiver: 'pager',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://alertmanager:9093',
        alerts: [alert],
      },
    });
    const { incidentId } = opened.json().data;
    expect(await messages(incidentId)).toContain(
      'experiment_started: experiment exp-errors-1 started: 50 % errors on /v1/users*',
    );
    await announce({ ...ended, at: new Date().toISOString() });
    const postmortem = (await t.app.inject({ url: `/v1/incidents/${incidentId}/postmortem` })).body;
    expect(postmortem).toContain(
      '- Experiment `exp-errors-1` on users-api: 50 % errors on /v1/users\\*; started',
    );
    expect(postmortem).toContain('(stop-condition: error ratio at 0.52, threshold 0.5).');
    expect(postmortem).toMatch(/\| Time to detect \| 1 min( \d+ s)? \|/);
    expect(postmortem).toContain('[runbook](<https://runbooks.example/users-api>)');
    expect(postmortem).toContain(
      '| UsersApiAvailabilityBudgetBurn | page-fast | 1h / 5m (tier default) | — | 500× | 50 % |',
    );
    expect(postmortem).toMatch(
      /\| Error budget consumed \| [\d.]+ % of the period's budget \(estimated\) \|/,
    );
  });

  it('answers 401 without a token and 403 with a wrong one, before reading the body', async () => {
    const missing = await announce(started, null);
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect((await announce({ nonsense: true }, null)).statusCode).toBe(401);
    const wrong = await announce(started, ALERTS_TOKEN);
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('FORBIDDEN');
    expect(await count(t.app, 'experiment_events')).toBe(0);
  });

  it.each([
    ['an unknown event', { ...started, event: 'paused' }],
    ['an unknown field', { ...started, extra: 1 }],
    ['an experiment id over 128 characters', { ...started, experimentId: 'x'.repeat(129) }],
    ['a description over 500 characters', { ...started, description: 'x'.repeat(501) }],
    ['a bad time', { ...started, at: 'yesterday' }],
    ['an unknown endedBy', { ...ended, endedBy: 'boredom' }],
    ['a stop condition without its value', { ...ended, stopCondition: { description: 'x', threshold: 1 } }],
    ['a NUL', { ...started, service: 'users\u0000api' }],
    ['no service', { ...started, service: undefined }],
  ])('refuses %s with 400 and stores nothing', async (_case, body) => {
    const response = await announce(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(await count(t.app, 'experiment_events')).toBe(0);
  });

  it('is disabled (404) when INTEGRATION_TOKEN is not set', async () => {
    const other = await startTestApp(incidentsApp({ INTEGRATION_TOKEN: '' }));
    try {
      const response = await announce(started, INTEGRATION_TOKEN, other.app);
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('INTEGRATION_DISABLED');
    } finally {
      await other.close();
    }
  });

  it('prunes announcements past their retention', async () => {
    await announce(started);
    await announce(ended);
    await sql`update experiment_events set created_at = now() - interval '800 hours' where event = 'started'`.execute(
      t.app.db,
    );
    expect(await pruneExperimentEvents(t.app.db, 720, 100)).toBe(1);
    expect(await count(t.app, 'experiment_events')).toBe(1);
  });
});
