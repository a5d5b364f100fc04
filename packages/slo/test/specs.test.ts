// biome-ignore-all lint/suspicious/noExplicitAny: each case edits a different corner of a YAML document.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SloSpecError } from '../src/errors.js';
import { parseSpecs } from '../src/specs.js';
import { openSlo, sloth } from './spec-documents.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('Sloth prometheus/v1 specs', () => {
  it('become SLO definitions', () => {
    const [slo] = parseSpecs(fixture('sloth.yaml'), { source: 'sloth.yaml' });
    expect(slo).toMatchObject({
      id: 'myservice-requests-availability',
      service: 'myservice',
      name: 'requests-availability',
      objective: 0.999,
      periodDays: 30,
      labels: { owner: 'myteam', tier: '2' },
      spec: 'prometheus/v1',
      alerting: {
        name: 'MyServiceHighErrorRate',
        labels: { category: 'availability' },
        page: { enabled: true, labels: { severity: 'pageteam', routing_key: 'myteam' } },
        ticket: { enabled: true, labels: { severity: 'slack', slack_channel: '#alerts-myteam' } },
      },
    });
  });

  it('read objectives as percentages, exactly', () => {
    expect(parseSpecs(sloth((s) => (s.slos[0].objective = 99.999)))[0]?.objective).toBe(0.99999);
    // A ratio where a percentage belongs is valid, if odd: 0.999 %.
    expect(parseSpecs(sloth((s) => (s.slos[0].objective = 0.999)))[0]?.objective).toBe(0.00999);
  });

  it('take their period from the caller', () => {
    expect(parseSpecs(sloth(), { periodDays: 28 })[0]?.periodDays).toBe(28);
    expect(() => parseSpecs(sloth(), { periodDays: 2 })).toThrow(
      /periodDays must be a whole number of days ≥ 3; got 2/,
    );
  });

  it('may disable both alerts and then need no alert name', () => {
    const [slo] = parseSpecs(
      sloth((s) => {
        s.slos[0].alerting = { page_alert: { disable: true }, ticket_alert: { disable: true } };
      }),
    );
    expect(slo?.alerting).toBeUndefined();
  });

  it.each([
    ['version', (s: any) => (s.version = 'prometheus/v2'), /version: must be version: prometheus\/v1/],
    ['service', (s: any) => delete s.service, /service: Expected required property/],
    ['service', (s: any) => (s.service = 'my service'), /service: must be letters/],
    ['labels.tier', (s: any) => (s.labels = { tier: { level: 2 } }), /labels\.tier: Expected union value/],
    [
      'labels.bad-name',
      (s: any) => (s.labels = { 'bad-name': 'x' }),
      /labels\.bad-name: is not a valid Prometheus label name/,
    ],
    [
      'labels.sloth_id',
      (s: any) => (s.labels = { sloth_id: 'x' }),
      /labels\.sloth_id: labels starting with sloth_ are reserved/,
    ],
    ['slos', (s: any) => (s.slos = []), /slos: Expected array length to be greater or equal to 1/],
    ['slos[0].name', (s: any) => delete s.slos[0].name, /slos\[0\]\.name: Expected required property/],
    [
      'slos[0].objective',
      (s: any) => (s.slos[0].objective = '99.9'),
      /slos\[0\]\.objective: Expected number; got "99.9"/,
    ],
    [
      'slos[0].objective',
      (s: any) => (s.slos[0].objective = 100),
      /slos\[0\]\.objective: must be a percentage strictly between 0 and 100.*got 100/,
    ],
    ['slos[0].objetive', (s: any) => (s.slos[0].objetive = 1), /slos\[0\]\.objetive: Unexpected property/],
    [
      'slos[0].sli.events.error_query',
      (s: any) => (s.slos[0].sli.events.error_query = 'sum(rate(e[5m]))'),
      /slos\[0\]\.sli\.events\.error_query: must contain \{\{\.window\}\}/,
    ],
    [
      'slos[0].sli.events.total_query',
      (s: any) => delete s.slos[0].sli.events.total_query,
      /slos\[0\]\.sli\.events\.total_query: Expected required property/,
    ],
    [
      'slos[0].sli.raw',
      (s: any) => (s.slos[0].sli = { raw: { error_ratio_query: 'x' } }),
      /slos\[0\]\.sli\.raw\.error_ratio_query: must contain \{\{\.window\}\}/,
    ],
    [
      'slos[0].alerting.name',
      (s: any) => delete s.slos[0].alerting.name,
      /slos\[0\]\.alerting\.name: is required unless/,
    ],
    [
      'slos[0].alerting.name',
      (s: any) => (s.slos[0].alerting.name = 'high errors'),
      /slos\[0\]\.alerting\.name: must be letters, digits, _, :, \. and -/,
    ],
    [
      'slos[0].alerting.page_alert.disable',
      (s: any) => (s.slos[0].alerting.page_alert = { disable: 'yes' }),
      /slos\[0\]\.alerting\.page_alert\.disable: Expected boolean; got "yes"/,
    ],
  ])('names %s when it is bad', (_field, change, message) => {
    expect(() => parseSpecs(sloth(change), { source: 'spec.yaml' })).toThrow(SloSpecError);
    expect(() => parseSpecs(sloth(change), { source: 'spec.yaml' })).toThrow(message);
  });

  it('puts the file and document in front of errors', () => {
    const text = `${sloth()}---\n${sloth((s) => (s.slos[0].objective = 'high'))}`;
    expect(() => parseSpecs(text, { source: 'slos.yaml' })).toThrow(
      /^slos\.yaml \(document 2\): slos\[0\]\.objective: Expected number; got "high"$/,
    );
  });

  it('rejects broken YAML and duplicate SLOs', () => {
    expect(() => parseSpecs('version: [', { source: 'a.yaml' })).toThrow(/^a\.yaml: \(yaml\): /);
    expect(() => parseSpecs(`${sloth()}---\n${sloth()}`)).toThrow(/two SLOs share the id "svc-availability"/);
  });
});

describe('OpenSLO v1 specs', () => {
  it('become SLO definitions, with bad = total − good', () => {
    const [slo, ...rest] = parseSpecs(fixture('openslo.yaml'));
    expect(rest).toEqual([]);
    expect(slo).toMatchObject({
      id: 'my-service-requests-availability',
      service: 'my-service',
      name: 'requests-availability',
      description: 'Requests that do not fail',
      objective: 0.99999,
      periodDays: 28,
      labels: { owner: 'myteam' },
      spec: 'openslo/v1',
      alerting: { name: 'MyServiceRequestsAvailabilityErrorBudgetBurn' },
    });
    expect((slo!.sli as { errorQuery: string }).errorQuery).toContain(
      ') - ((sum(rate(http_request_duration_seconds_count{job="myservice",code!~"(5..|429)"}',
    );
  });

  it('resolve indicatorRef against SLI documents and split several objectives', () => {
    const sli = stringify({
      apiVersion: 'openslo/v1',
      kind: 'SLI',
      metadata: { name: 'errors' },
      spec: {
        ratioMetric: {
          bad: { metricSource: { spec: { query: 'sum(rate(e[{{.window}}]))' } } },
          total: { metricSource: { spec: { query: 'sum(rate(t[{{.window}}]))' } } },
        },
      },
    });
    const slo = openSlo((d) => {
      delete d.spec.indicator;
      d.spec.indicatorRef = 'errors';
      d.spec.objectives = [{ target: 0.99 }, { targetPercent: 99.9 }];
    });
    const slos = parseSpecs(`${slo}---\n${sli}`);
    expect(slos.map((s) => [s.id, s.objective, (s.sli as { errorQuery: string }).errorQuery])).toEqual([
      ['svc-availability-0', 0.99, 'sum(rate(e[{{.window}}]))'],
      ['svc-availability-1', 0.999, 'sum(rate(e[{{.window}}]))'],
    ]);
  });

  it.each([
    [
      'kind',
      (d: any) => (d.kind = 'SL0'),
      /kind: must be SLO, SLI, DataSource, AlertPolicy, AlertCondition, Service/,
    ],
    ['metadata.name', (d: any) => delete d.metadata.name, /metadata\.name: Expected required property/],
    ['spec.service', (d: any) => (d.spec.service = 7), /spec\.service: Expected string; got 7/],
    [
      'spec.timeWindow[0].duration',
      (d: any) => (d.spec.timeWindow[0].duration = '1M'),
      /spec\.timeWindow\[0\]\.duration: must be whole days.*got "1M"/,
    ],
    [
      'spec.timeWindow[0].duration',
      (d: any) => (d.spec.timeWindow[0].duration = '1d'),
      /spec\.timeWindow\[0\]\.duration: must be whole days, at least 3d.*got "1d"/,
    ],
    [
      'spec.timeWindow[0].isRolling',
      (d: any) => (d.spec.timeWindow[0].isRolling = false),
      /spec\.timeWindow\[0\]\.calendar\.startTime: is required for a calendar window/,
    ],
    [
      'spec.budgetingMethod',
      (d: any) => (d.spec.budgetingMethod = 'Timeslices'),
      /spec\.objectives\[0\]\.timeSliceWindow: is required for Timeslices, a duration of at most 5m/,
    ],
    [
      'spec.objectives[0].target',
      (d: any) => (d.spec.objectives[0].target = 99.9),
      /spec\.objectives\[0\]\.target: must be a ratio strictly between 0 and 1.*got 99.9/,
    ],
    [
      'spec.objectives[0].target',
      (d: any) => (d.spec.objectives[0] = {}),
      /spec\.objectives\[0\]\.target: is required/,
    ],
    [
      'spec.indicator',
      (d: any) => delete d.spec.indicator,
      /spec\.indicator: is required \(or indicatorRef, or one per objective\)/,
    ],
    [
      'spec.indicatorRef',
      (d: any) => {
        delete d.spec.indicator;
        d.spec.indicatorRef = 'missing';
      },
      /spec\.indicatorRef: no SLI named "missing"/,
    ],
    [
      'ratioMetric',
      (d: any) => {
        d.spec.indicator.spec.ratioMetric.good = d.spec.indicator.spec.ratioMetric.bad;
      },
      /spec\.indicator\.spec\.ratioMetric: needs exactly one of good and bad/,
    ],
    [
      'total query',
      (d: any) => {
        d.spec.indicator.spec.ratioMetric.total.metricSource.spec.query = 'sum(rate(t[5m]))';
      },
      /spec\.indicator\.spec\.ratioMetric\.total\.metricSource\.spec\.query: must contain \{\{\.window\}\}/,
    ],
    [
      'apiVersion',
      (d: any) => (d.apiVersion = 'openslo/v2'),
      /apiVersion: must be .*sloth\.slok\.dev\/v1 \(Sloth CRD\), openslo\/v1 or openslo\/v1alpha \(OpenSLO\); got "openslo\/v2"/,
    ],
  ])('names %s when it is bad', (_field, change, message) => {
    expect(() => parseSpecs(openSlo(change))).toThrow(SloSpecError);
    expect(() => parseSpecs(openSlo(change))).toThrow(message);
  });
});
