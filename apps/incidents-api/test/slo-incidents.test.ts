import { useTestApp } from '@steadfast/service-kit/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import * as sloMigration from '../src/db/migrations/20261202T0400-slo-incidents-and-experiments.js';
import { ALERTS_TOKEN, count, incidentsApp, TABLES } from './helpers.js';

const t = useTestApp({ ...incidentsApp(), truncate: TABLES });

type Labels = Record<string, string>;
type Tier = 'page-fast' | 'page-slow' | 'ticket-fast' | 'ticket-slow';

interface SloAlertOptions {
  tier: Tier;
  status?: 'firing' | 'resolved';
  startsAt?: string;
  slo?: string;
  annotations?: Labels;
}

/** An alert of the generated SLO rules (deploy/prometheus/rules), as Alertmanager sends it. */
function sloAlert({
  tier,
  status = 'firing',
  startsAt = '2026-12-02T10:00:00Z',
  slo = 'requests-availability',
  annotations = {},
}: SloAlertOptions) {
  const page = tier.startsWith('page');
  return {
    status,
    labels: {
      alertname: 'UsersApiAvailabilityBudgetBurn',
      category: 'availability',
      severity: page ? 'critical' : 'warning',
      sloth_id: `users-api-${slo}`,
      sloth_service: 'users-api',
      sloth_slo: slo,
      sloth_severity: page ? 'page' : 'ticket',
      sloth_tier: tier,
    } as Labels,
    annotations: { summary: 'users-api is failing requests', ...annotations } as Labels,
    startsAt,
    endsAt: status === 'resolved' ? '2026-12-02T10:30:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: `fp-${slo}-${tier}`,
  };
}

type Alert = ReturnType<typeof sloAlert>;

/** A notification of the page or the ticket route: each has its own receiver and groupKey. */
function routed(alerts: Alert[], route: 'page' | 'ticket' = alerts[0]?.labels.sloth_severity as 'page') {
  return {
    version: '4',
    groupKey: `{}/{sloth_severity="${route}"}:{alertname="UsersApiAvailabilityBudgetBurn", sloth_id="${alerts[0]?.labels.sloth_id}"}`,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: route === 'page' ? 'pager' : 'tickets',
    groupLabels: { alertname: 'UsersApiAvailabilityBudgetBurn' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

const send = (payload: unknown) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/integrations/alertmanager',
    payload: payload as object,
    headers: { authorization: `Bearer ${ALERTS_TOKEN}` },
  });
const incident = async (id: string) => (await t.app.inject({ url: `/v1/incidents/${id}` })).json().data;
const entries = async (id: string) =>
  (await t.app.inject({ url: `/v1/incidents/${id}/timeline?limit=100` }))
    .json()
    .data.map((e: { kind: string; message: string }) => `${e.kind}: ${e.message}`);

describe('one SLO, one incident', () => {
  it('joins the page and ticket tiers of one SLO from different routes, following the worst firing alert', async () => {
    const ticket = (await send(routed([sloAlert({ tier: 'ticket-fast' })]))).json().data;
    expect(ticket.incidentCreated).toBe(true);
    expect(await incident(ticket.incidentId)).toMatchObject({ severity: 'medium', status: 'open' });

    // The page arrives through the pager route: another groupKey, the same SLO.
    const page = (await send(routed([sloAlert({ tier: 'page-fast' })]))).json().data;
    expect(page).toMatchObject({ incidentId: ticket.incidentId, incidentCreated: false });
    expect(await count(t.app, 'incidents')).toBe(1);
    expect((await incident(ticket.incidentId)).severity).toBe('critical');

    // The page resolving lowers it back to the ticket's.
    await send(routed([sloAlert({ tier: 'page-fast', status: 'resolved' })]));
    expect(await incident(ticket.incidentId)).toMatchObject({ severity: 'medium', status: 'open' });

    // Every alert of the SLO resolved: monitoring, and no one acknowledged it.
    await send(routed([sloAlert({ tier: 'ticket-fast', status: 'resolved' })]));
    expect(await incident(ticket.incidentId)).toMatchObject({
      severity: 'medium',
      status: 'monitoring',
      acknowledgedAt: null,
    });

    // The fault is back: a new page re-opens it.
    await send(routed([sloAlert({ tier: 'page-fast', startsAt: '2026-12-02T11:00:00Z' })]));
    expect(await incident(ticket.incidentId)).toMatchObject({
      severity: 'critical',
      status: 'investigating',
      acknowledgedAt: null,
    });
    expect(await count(t.app, 'incidents')).toBe(1);

    expect(await entries(ticket.incidentId)).toEqual([
      'created: Incident opened (medium, via alertmanager)',
      'alert_firing: Alert firing: UsersApiAvailabilityBudgetBurn: users-api is failing requests',
      'alert_firing: Alert firing: UsersApiAvailabilityBudgetBurn: users-api is failing requests',
      'severity_changed: Severity raised from medium to critical: the most severe firing alert is UsersApiAvailabilityBudgetBurn (page-fast)',
      'alert_resolved: Alert resolved: UsersApiAvailabilityBudgetBurn: users-api is failing requests',
      'severity_changed: Severity lowered from critical to medium: the most severe firing alert is UsersApiAvailabilityBudgetBurn (ticket-fast)',
      'alert_resolved: Alert resolved: UsersApiAvailabilityBudgetBurn: users-api is failing requests',
      'status_changed: Status changed from open to monitoring: every alert has resolved',
      'alert_firing: Alert firing: UsersApiAvailabilityBudgetBurn: users-api is failing requests',
      'severity_changed: Severity raised from medium to critical: the most severe firing alert is UsersApiAvailabilityBudgetBurn (page-fast)',
      'status_changed: Status changed from monitoring to investigating: UsersApiAvailabilityBudgetBurn (page-fast) is firing again',
    ]);
  });

  it('does not re-open a monitoring incident for a ticket', async () => {
    const { incidentId } = (await send(routed([sloAlert({ tier: 'ticket-fast' })]))).json().data;
    await send(routed([sloAlert({ tier: 'ticket-fast', status: 'resolved' })]));
    await send(routed([sloAlert({ tier: 'ticket-slow' })]));
    expect(await incident(incidentId)).toMatchObject({ status: 'monitoring', severity: 'medium' });
  });

  it('gives two SLOs of one service two incidents, even from one notification', async () => {
    const payload = routed([
      sloAlert({ tier: 'page-fast' }),
      sloAlert({ tier: 'page-fast', slo: 'requests-latency' }),
    ]);
    const response = await send(payload);
    expect(response.statusCode).toBe(200);
    expect(response.json().data.alerts.new).toBe(2);
    const keys = await t.app.db
      .selectFrom('incidents')
      .select('incident_key')
      .orderBy('incident_key')
      .execute();
    expect(keys).toEqual([
      { incident_key: 'slo:users-api/requests-availability' },
      { incident_key: 'slo:users-api/requests-latency' },
    ]);
  });

  it('exposes each alert with its tier, windows and runbook on the incident', async () => {
    const runbook = 'https://runbooks.example/users-api/availability';
    const page = sloAlert({
      tier: 'page-fast',
      annotations: { runbook_url: runbook, error_ratio: '0.5', objective: '99.9', period_days: '30' },
    });
    const { incidentId } = (await send(routed([page]))).json().data;
    await send(
      routed([sloAlert({ tier: 'ticket-slow', annotations: { runbook_url: 'javascript:alert(1)' } })]),
    );
    const { alerts, alertsTruncated } = await incident(incidentId);
    expect(alertsTruncated).toBe(false);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({
      alertname: 'UsersApiAvailabilityBudgetBurn',
      tier: 'page-fast',
      sloSeverity: 'page',
      longWindow: '1h',
      shortWindow: '5m',
      defaultWindows: true,
      errorRatio: 0.5,
      objective: 0.999,
      periodDays: 30,
      runbookUrl: runbook,
      status: 'firing',
      endsAt: null,
    });
    expect(alerts[0].burnRate).toBeCloseTo(500);
    // Only web links are links.
    expect(alerts[1]).toMatchObject({
      tier: 'ticket-slow',
      longWindow: '3d',
      shortWindow: '6h',
      runbookUrl: null,
    });
  });

  it('keeps the groupKey as the identity of alerts that are not from an SLO', async () => {
    const plain = {
      ...sloAlert({ tier: 'page-fast' }),
      labels: { alertname: 'TargetDown', job: 'users-api' },
    };
    const first = (await send({ ...routed([plain]), groupKey: 'g-one' })).json().data;
    const second = (await send({ ...routed([{ ...plain, fingerprint: 'other' }]), groupKey: 'g-two' })).json()
      .data;
    expect(second.incidentId).not.toBe(first.incidentId);
    const row = await t.app.db
      .selectFrom('incidents')
      .select('incident_key')
      .where('id', '=', first.incidentId)
      .executeTakeFirstOrThrow();
    expect(row.incident_key).toBe('group:g-one');
  });
});

describe('the migration to SLO identities', () => {
  it('keeps an unresolved incident of an existing group findable by its group', async () => {
    await sloMigration.down(t.app.db);
    try {
      // As the previous schema held it: an incident opened by a group, its alert recorded.
      await sql`insert into incidents (id, title, severity, group_key) values
        ('11111111-1111-4111-8111-111111111111', 'Old', 'high', 'old-group'),
        ('22222222-2222-4222-8222-222222222222', 'By hand', 'low', null)`.execute(t.app.db);
    } finally {
      await sloMigration.up(t.app.db);
    }
    const rows = await t.app.db
      .selectFrom('incidents')
      .select(['id', 'incident_key'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: '11111111-1111-4111-8111-111111111111', incident_key: 'group:old-group' },
      { id: '22222222-2222-4222-8222-222222222222', incident_key: null },
    ]);
    const plain = {
      ...sloAlert({ tier: 'page-fast' }),
      labels: { alertname: 'TargetDown', severity: 'critical' },
    };
    const joined = (await send({ ...routed([plain]), groupKey: 'old-group' })).json().data;
    expect(joined).toMatchObject({
      incidentId: '11111111-1111-4111-8111-111111111111',
      incidentCreated: false,
    });
  });
});
