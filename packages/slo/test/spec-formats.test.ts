// biome-ignore-all lint/suspicious/noExplicitAny: each case edits a different corner of a YAML document.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseAlertWindows } from '../src/alert-windows-spec.js';
import { SloSpecError } from '../src/errors.js';
import { generateRules, type RecordingRule } from '../src/rules.js';
import type { SloDefinition } from '../src/slo-definition.js';
import { parseSpecs } from '../src/specs.js';
import { openSlo, sloth } from './spec-documents.js';

const EVENTS = {
  error_query: 'sum(rate(errors_total[{{.window}}]))',
  total_query: 'sum(rate(requests_total[{{.window}}]))',
};
const crd = (change: (spec: Record<string, any>) => void = () => {}): string => {
  const doc: Record<string, any> = {
    apiVersion: 'sloth.slok.dev/v1',
    kind: 'PrometheusServiceLevel',
    metadata: { name: 'svc-slos', namespace: 'monitoring' },
    spec: {
      service: 'svc',
      slos: [
        {
          name: 'availability',
          objective: 99.9,
          sli: { events: { errorQuery: EVENTS.error_query, totalQuery: EVENTS.total_query } },
          alerting: {
            name: 'A',
            pageAlert: { labels: { severity: 'critical' } },
            ticketAlert: { disable: true },
          },
        },
      ],
    },
  };
  change(doc);
  return stringify(doc);
};
const metric = (query: string, type = 'Prometheus') => ({ metricSource: { type, spec: { query } } });
const queries = (slo: SloDefinition | undefined) => slo!.sli as { errorQuery: string; totalQuery: string };
const ratioQuery = (slo: SloDefinition | undefined) =>
  (slo!.sli as { errorRatioQuery: string }).errorRatioQuery;
const recordsOf = (slos: SloDefinition[]) =>
  generateRules(slos)
    .groups.flatMap((g) => g.rules)
    .filter((r): r is RecordingRule => 'record' in r);

describe('Sloth prometheus/v1, as Sloth accepts it', () => {
  it('reads non-string label values and hyphenated alert names', () => {
    const [slo] = parseSpecs(
      sloth((s) => {
        s.labels = { generated: true, tier: 2 };
        s.slos[0].alerting.name = 'svc-availability';
      }),
    );
    expect(slo).toMatchObject({
      labels: { generated: 'true', tier: '2' },
      alerting: { name: 'svc-availability' },
    });
  });

  it('reads sli.raw as a ratio SLI whose period ratio averages the 5m record, as Sloth does', () => {
    const query = 'sum(rate(e[{{.window}}])) / sum(rate(t[{{.window}}]))';
    const slos = parseSpecs(sloth((s) => (s.slos[0].sli = { raw: { error_ratio_query: query } })));
    expect(ratioQuery(slos[0])).toBe(query);
    const byName = Object.fromEntries(recordsOf(slos).map((r) => [r.record, r.expr]));
    expect(byName['slo:sli_error:ratio_rate1h']).toBe('sum(rate(e[1h])) / sum(rate(t[1h]))\n');
    expect(byName['slo:sli_error:ratio_rate30d']).toBe(
      'avg_over_time(slo:sli_error:ratio_rate5m{sloth_id="svc-availability", sloth_service="svc", sloth_slo="availability"}[30d])\n',
    );
  });

  it('averages the 5m record over the period when an events query holds a subquery', () => {
    // A 30-day subquery evaluated at every rule evaluation is what made such SLIs ~10x heavier than Sloth's.
    const slos = parseSpecs(
      sloth((s) => (s.slos[0].sli.events.error_query = 'sum(max_over_time(errors[{{.window}}:1m]))')),
    );
    const period = recordsOf(slos).find((r) => r.record === 'slo:sli_error:ratio_rate30d')!;
    expect(period.expr).toMatch(/^avg_over_time\(slo:sli_error:ratio_rate5m\{.*\}\[30d\]\)\n$/);
    const plain = recordsOf(parseSpecs(sloth())).find((r) => r.record === 'slo:sli_error:ratio_rate30d')!;
    expect(plain.expr).toContain('sum(rate(errors_total[30d]))');
  });

  it('turns the common availability and latency SLI plugins into error and total queries', () => {
    const plugin = (id: string, options: object) =>
      parseSpecs(sloth((s) => (s.slos[0].sli = { plugin: { id, options } })))[0];
    expect(
      queries(plugin('sloth-common/kubernetes/apiserver/availability', { filter: 'job="apiserver"' })),
    ).toEqual({
      errorQuery: 'sum(rate(apiserver_request_total{job="apiserver",code=~"(5..|429)"}[{{.window}}]))',
      totalQuery: 'sum(rate(apiserver_request_total{job="apiserver"}[{{.window}}]))',
    });
    expect(queries(plugin('sloth-common/kubernetes/apiserver/availability', {})).totalQuery).toBe(
      'sum(rate(apiserver_request_total[{{.window}}]))',
    );
    const latency = queries(
      plugin('sloth-common/slok-go-http-metrics/latency', {
        filter: '{handler="/a"}',
        bucket: 0.25,
        exclude_errors: true,
      }),
    );
    expect(latency.errorQuery).toBe(
      'sum(rate(http_request_duration_seconds_count{handler="/a",code!~"5.."}[{{.window}}])) - sum(rate(http_request_duration_seconds_bucket{handler="/a",code!~"5..",le="0.25"}[{{.window}}]))',
    );
    expect(
      queries(plugin('sloth-common/kubernetes/apiserver/latency', { bucket: '1' })).errorQuery,
    ).toContain('apiserver_request_duration_seconds_bucket{verb!="WATCH",le="1"}');
    expect(
      queries(plugin('sloth-common/slok-go-http-metrics/availability', { filter: 'service="a"' })).errorQuery,
    ).toBe('sum(rate(http_request_duration_seconds_count{service="a",code=~"(5..|429)"}[{{.window}}]))');
  });

  it.each([
    [
      'an unknown plugin, by id',
      (s: any) => (s.slos[0].sli = { plugin: { id: 'sloth-common/coredns/latency' } }),
      /slo availability: slos\[0\]\.sli\.plugin\.id: SLI plugin "sloth-common\/coredns\/latency" is not supported; supported: sloth-common\/kubernetes/,
    ],
    [
      'a missing plugin option',
      (s: any) => (s.slos[0].sli = { plugin: { id: 'sloth-common/kubernetes/apiserver/latency' } }),
      /slos\[0\]\.sli\.plugin\.options\.bucket: is required by sloth-common\/kubernetes\/apiserver\/latency/,
    ],
    [
      'an unknown plugin option',
      (s: any) =>
        (s.slos[0].sli = {
          plugin: { id: 'sloth-common/kubernetes/apiserver/availability', options: { bukket: 1 } },
        }),
      /slos\[0\]\.sli\.plugin\.options\.bukket: is not an option of .*; its options: filter/,
    ],
    [
      'a filter that is more than label matchers',
      (s: any) =>
        (s.slos[0].sli = {
          plugin: {
            id: 'sloth-common/kubernetes/apiserver/availability',
            options: { filter: 'a="b"} or vector(1) or up{c="d"' },
          },
        }),
      /slos\[0\]\.sli\.plugin\.options\.filter: must be label matchers/,
    ],
    [
      'a bucket that is not a number',
      (s: any) =>
        (s.slos[0].sli = {
          plugin: { id: 'sloth-common/kubernetes/apiserver/latency', options: { bucket: 'fast' } },
        }),
      /options\.bucket: must be a histogram bucket bound such as 0\.5; got "fast"/,
    ],
    [
      'two SLI kinds',
      (s: any) => (s.slos[0].sli.raw = { error_ratio_query: 'x[{{.window}}]' }),
      /slos\[0\]\.sli: needs exactly one of events, raw and plugin; got events and raw/,
    ],
    [
      'SLO plugins',
      (s: any) => (s.slo_plugins = { chain: [{ id: 'sloth.dev/core/debug/v1' }] }),
      /^spec: slo_plugins: Sloth SLO plugins are not supported/,
    ],
    [
      'SLO plugins on one SLO',
      (s: any) => (s.slos[0].plugins = { chain: [] }),
      /slos\[0\]\.plugins: Sloth SLO plugins are not supported/,
    ],
    [
      'an unknown template variable',
      (s: any) => (s.slos[0].sli.events.error_query = 'sum(rate(e{job="{{.job}}"}[{{.window}}]))'),
      /slos\[0\]\.sli\.events\.error_query: uses \{\{\.job\}\}; the only template variable is \{\{\.window\}\}/,
    ],
    [
      'identical error and total queries',
      (s: any) => (s.slos[0].sli.events.error_query = ' sum(rate(requests_total[{{ .window }}]))\n'),
      /slos\[0\]\.sli\.events\.error_query: is the same query as slos\[0\]\.sli\.events\.total_query/,
    ],
    [
      'a query that is not PromQL',
      (s: any) => (s.slos[0].sli.events.total_query = 'sum(rate(requests_total[{{.window}}])'),
      /slos\[0\]\.sli\.events\.total_query: is not valid PromQL: unexpected end of query at character 29 \(with 5m for \{\{\.window\}\}\)/,
    ],
    [
      'a raw query that is not PromQL',
      (s: any) => (s.slos[0].sli = { raw: { error_ratio_query: 'sum(rate(e[{{.window}}])) by' } }),
      /sli\.raw\.error_ratio_query: is not valid PromQL/,
    ],
  ])('refuses %s, naming the field', (_what, change, message) => {
    expect(() => parseSpecs(sloth(change), { source: 'spec' })).toThrow(SloSpecError);
    expect(() => parseSpecs(sloth(change), { source: 'spec' })).toThrow(message);
  });
});

describe('the Sloth PrometheusServiceLevel CRD', () => {
  it('reads the camelCase spec and keeps the object for a PrometheusRule', () => {
    const [slo] = parseSpecs(crd());
    expect(slo).toMatchObject({
      id: 'svc-availability',
      spec: 'sloth.slok.dev/v1',
      origin: { name: 'svc-slos', namespace: 'monitoring' },
      alerting: { page: { labels: { severity: 'critical' } }, ticket: { enabled: false } },
    });
    expect(queries(slo)).toEqual({ errorQuery: EVENTS.error_query, totalQuery: EVENTS.total_query });
    const info = recordsOf([slo!]).find((r) => r.record === 'sloth_slo_info')!;
    expect(info.labels).toMatchObject({ sloth_mode: 'cli-gen-k8s', sloth_spec: 'sloth.slok.dev/v1' });
  });

  it('reads sli.raw.errorRatioQuery and plugins', () => {
    const [raw] = parseSpecs(
      crd((d) => (d.spec.slos[0].sli = { raw: { errorRatioQuery: 'x[{{.window}}]' } })),
    );
    expect(ratioQuery(raw)).toBe('x[{{.window}}]');
  });

  it.each([
    [
      'spec.slos[0].sli.events.errorQuery',
      (d: any) => delete d.spec.slos[0].sli.events.errorQuery,
      /Expected required property/,
    ],
    [
      'spec.slos[0].alerting.pageAlert.disable',
      (d: any) => (d.spec.slos[0].alerting.pageAlert.disable = 'no'),
      /Expected boolean/,
    ],
    [
      'spec.sloPlugins',
      (d: any) => (d.spec.sloPlugins = { chain: [] }),
      /Sloth SLO plugins are not supported/,
    ],
    ['spec.slos[0].objective', (d: any) => (d.spec.slos[0].objective = 120), /must be a percentage/],
    ['metadata.name', (d: any) => delete d.metadata.name, /Expected required property/],
  ])('names %s in its own spelling', (field, change, message) => {
    const escaped = field.replace(/[.[\]]/g, (c) => `\\${c}`);
    expect(() => parseSpecs(crd(change))).toThrow(new RegExp(`${escaped}: ${message.source}`));
  });

  it('refuses an AlertWindows document among specs, pointing to --alert-windows', () => {
    expect(() =>
      parseSpecs(stringify({ apiVersion: 'sloth.slok.dev/v1', kind: 'AlertWindows', spec: {} })),
    ).toThrow(
      /kind: must be PrometheusServiceLevel; got "AlertWindows": alert windows go in a file of their own, passed with --alert-windows/,
    );
  });
});

describe('OpenSLO', () => {
  it('checks metricSource.type, given or from the referenced DataSource', () => {
    expect(() =>
      parseSpecs(
        openSlo((d) => (d.spec.indicator.spec.ratioMetric.total = metric('sum(x[{{.window}}])', 'Datadog'))),
      ),
    ).toThrow(
      /spec\.indicator\.spec\.ratioMetric\.total\.metricSource\.type: only Prometheus metric sources .*got "Datadog"/,
    );
    const dataSource = (type: string) =>
      stringify({ apiVersion: 'openslo/v1', kind: 'DataSource', metadata: { name: 'ds' }, spec: { type } });
    const viaRef = openSlo((d) => {
      d.spec.indicator.spec.ratioMetric.bad.metricSource = {
        metricSourceRef: 'ds',
        spec: { query: 'sum(rate(errors_total[{{.window}}]))' },
      };
    });
    expect(parseSpecs(`${dataSource('Prometheus')}---\n${viaRef}`)).toHaveLength(1);
    expect(() => parseSpecs(`${dataSource('CloudWatch')}---\n${viaRef}`)).toThrow(
      /bad\.metricSource\.type: .*"CloudWatch"/,
    );
    expect(() => parseSpecs(viaRef)).toThrow(/bad\.metricSource\.metricSourceRef: no DataSource named "ds"/);
  });

  it('treats a window with a calendar and no isRolling as a calendar window: alerts, no period records', () => {
    // Regression: it was read as a rolling 30 days, with a period budget that is not the calendar month's.
    const slos = parseSpecs(
      openSlo(
        (d) =>
          (d.spec.timeWindow = [
            { duration: '1M', calendar: { startTime: '2026-01-01 00:00:00', timeZone: 'UTC' } },
          ]),
      ),
    );
    expect(slos[0]).toMatchObject({
      periodDays: 30,
      calendar: { duration: '1M', startTime: '2026-01-01 00:00:00' },
    });
    const names = recordsOf(slos).map((r) => r.record);
    expect(names).toContain('slo:sli_error:ratio_rate3d');
    expect(names).not.toContain('slo:sli_error:ratio_rate30d');
    expect(names).not.toContain('slo:period_error_budget_remaining:ratio');
    const quarter = parseSpecs(
      openSlo(
        (d) =>
          (d.spec.timeWindow = [{ duration: '1Q', isRolling: false, calendar: { startTime: '2026-01-01' } }]),
      ),
    );
    expect(quarter[0]?.periodDays).toBe(90);
    expect(() =>
      parseSpecs(openSlo((d) => (d.spec.timeWindow = [{ duration: '1M', isRolling: false }]))),
    ).toThrow(/spec\.timeWindow\[0\]\.calendar\.startTime: is required for a calendar window/);
    expect(() =>
      parseSpecs(openSlo((d) => (d.spec.timeWindow = [{ duration: '1M', calendar: { startTime: 'soon' } }]))),
    ).toThrow(/calendar\.startTime: must be a date and time .*got "soon"/);
  });

  it('uses an objective’s own indicatorRef, not the SLO’s', () => {
    // Regression: objective-level indicators were ignored, so every objective measured the SLO's SLI.
    const sli = stringify({
      apiVersion: 'openslo/v1',
      kind: 'SLI',
      metadata: { name: 'latency' },
      spec: {
        ratioMetric: {
          good: metric('sum(rate(fast[{{.window}}]))'),
          total: metric('sum(rate(all[{{.window}}]))'),
        },
      },
    });
    const slos = parseSpecs(
      `${openSlo((d) => (d.spec.objectives = [{ target: 0.999 }, { target: 0.99, indicatorRef: 'latency' }]))}---\n${sli}`,
    );
    expect(queries(slos[0]).errorQuery).toBe('sum(rate(errors_total[{{.window}}]))');
    expect(queries(slos[1]).totalQuery).toBe('sum(rate(all[{{.window}}]))');
    expect(() => parseSpecs(openSlo((d) => (d.spec.objectives[0].compositeWeight = 2)))).toThrow(
      /spec\.objectives\[0\]\.compositeWeight: composite SLOs .* are not supported/,
    );
  });

  it('turns a threshold metric into the share of minutes that miss the threshold', () => {
    const threshold = (objective: object, method?: string) =>
      parseSpecs(
        openSlo((d) => {
          d.spec.indicator = { spec: { thresholdMetric: metric('max(queue_depth)') } };
          d.spec.objectives = [{ target: 0.95, ...objective }];
          if (method !== undefined) d.spec.budgetingMethod = method;
        }),
      );
    expect(ratioQuery(threshold({ op: 'lt', value: 100 })[0])).toBe(
      'avg_over_time(((max(queue_depth)) >= bool 100)[{{.window}}:1m])',
    );
    expect(ratioQuery(threshold({ op: 'gte', value: 1, timeSliceWindow: '2m' }, 'Timeslices')[0])).toBe(
      'avg_over_time(((max(queue_depth)) < bool 1)[{{.window}}:2m])',
    );
    expect(() => threshold({ op: 'lt' })).toThrow(
      /spec\.objectives\[0\]\.value: is required with a thresholdMetric/,
    );
    expect(() => threshold({ op: 'lt', value: 1, timeSliceWindow: '1m' }, 'RatioTimeslices')).toThrow(
      /spec\.budgetingMethod: RatioTimeslices needs a ratioMetric/,
    );
  });

  it('counts Timeslices as the share of bad slices and RatioTimeslices as the mean slice error ratio', () => {
    const sliced = (method: string, objective: object) =>
      parseSpecs(
        openSlo((d) => {
          d.spec.budgetingMethod = method;
          d.spec.objectives = [{ target: 0.95, ...objective }];
        }),
      )[0];
    const slices = ratioQuery(sliced('Timeslices', { timeSliceTarget: 0.999, timeSliceWindow: '1m' }));
    expect(slices).toMatch(/^avg_over_time\(\(\(.*\[1m\].*\) > bool 0\.001\)\[\{\{\.window\}\}:1m\]\)$/);
    const ratio = ratioQuery(sliced('RatioTimeslices', { timeSliceWindow: '5m' }));
    expect(ratio).toMatch(
      /^avg_over_time\(\(.*sum\(rate\(errors_total\[5m\]\)\).*\)\[\{\{\.window\}\}:5m\]\)$/,
    );
    expect(() => sliced('Timeslices', { timeSliceWindow: '1h', timeSliceTarget: 0.9 })).toThrow(
      /timeSliceWindow: is required for Timeslices, a duration of at most 5m/,
    );
    expect(() => sliced('Timeslices', { timeSliceWindow: '1m' })).toThrow(
      /timeSliceTarget: must be a ratio above 0/,
    );
  });

  it.each([
    [
      'neither ratio nor threshold',
      (d: any) => (d.spec.indicator.spec = {}),
      /spec\.indicator\.spec: needs exactly one of ratioMetric and thresholdMetric/,
    ],
    [
      'raw without rawType',
      (d: any) => (d.spec.indicator.spec.ratioMetric = { raw: metric('x[{{.window}}]') }),
      /ratioMetric\.rawType: is required with raw/,
    ],
    [
      'no total',
      (d: any) => delete d.spec.indicator.spec.ratioMetric.total,
      /ratioMetric\.total: is required \(or raw with rawType\)/,
    ],
    [
      'a threshold query with {{.window}}',
      (d: any) => {
        d.spec.indicator.spec = { thresholdMetric: metric('max(rate(x[{{.window}}]))') };
        d.spec.objectives = [{ op: 'lt', value: 1, target: 0.9 }];
      },
      /thresholdMetric\.metricSource\.spec\.query: is a value, sampled each minute: write its own range/,
    ],
    [
      'an unknown budgeting method',
      (d: any) => (d.spec.budgetingMethod = 'Sometimes'),
      /spec\.budgetingMethod: Expected union value/,
    ],
  ])('refuses %s, naming the field', (_what, change, message) => {
    expect(() => parseSpecs(openSlo(change))).toThrow(message);
  });

  it('reads rawType ratios', () => {
    const raw = (rawType: string) =>
      parseSpecs(
        openSlo(
          (d) =>
            (d.spec.indicator.spec.ratioMetric = {
              rawType,
              raw: metric('sum(ok[{{.window}}]) / sum(all[{{.window}}])'),
            }),
        ),
      )[0];
    expect(ratioQuery(raw('failure'))).toBe('sum(ok[{{.window}}]) / sum(all[{{.window}}])');
    expect(ratioQuery(raw('success'))).toBe('1 - (sum(ok[{{.window}}]) / sum(all[{{.window}}]))');
  });

  it('turns an AlertPolicy, inline or by reference, into alert tiers at its burn rates', () => {
    const policy = {
      apiVersion: 'openslo/v1',
      kind: 'AlertPolicy',
      metadata: { name: 'burn' },
      spec: {
        conditions: [
          { conditionRef: 'fast' },
          {
            metadata: { name: 'slow' },
            spec: {
              severity: 'critical',
              condition: { kind: 'burnrate', op: 'gt', threshold: 6, lookbackWindow: '6h' },
            },
          },
          {
            metadata: { name: 't' },
            spec: {
              severity: 'warning',
              condition: { kind: 'burnrate', op: 'gte', threshold: 1, lookbackWindow: '3d' },
            },
          },
        ],
      },
    };
    const condition = {
      apiVersion: 'openslo/v1',
      kind: 'AlertCondition',
      metadata: { name: 'fast' },
      spec: {
        severity: 'page',
        condition: { kind: 'burnrate', op: 'gt', threshold: 14.4, lookbackWindow: '1h' },
      },
    };
    const slo = openSlo((d) => (d.spec.alertPolicies = [{ alertPolicyRef: 'burn' }]));
    const [parsed] = parseSpecs(`${slo}---\n${stringify(policy)}---\n${stringify(condition)}`);
    expect(parsed?.alerting?.name).toBe('SvcBurn');
    expect(parsed?.alertWindows?.map((w) => [w.tier, w.shortWindow, w.longWindow, w.factor])).toEqual([
      ['page-fast', '5m', '1h', 14.4],
      ['page-slow', '30m', '6h', 6],
      ['ticket-fast', '6h', '3d', 1],
    ]);
    expect(parsed?.alerting?.ticket.labels).toEqual({ severity: 'warning' });
    expect(() => parseSpecs(slo)).toThrow(
      /spec\.alertPolicies\[0\]\.alertPolicyRef: no AlertPolicy named "burn"/,
    );
    const withPolicy = (change: (p: any) => void, policies = [{ alertPolicyRef: 'burn' }]) => {
      const changed = structuredClone(policy);
      change(changed);
      const text = openSlo((d) => (d.spec.alertPolicies = policies));
      return () => parseSpecs(`${text}---\n${stringify(changed)}---\n${stringify(condition)}`);
    };
    expect(withPolicy(() => {}, [{ alertPolicyRef: 'burn' }, { alertPolicyRef: 'burn' }])).toThrow(
      /spec\.alertPolicies\[1\]: one alert policy per SLO is supported/,
    );
    expect(withPolicy((p) => (p.spec.conditions[2].spec.severity = 'page'))).toThrow(
      /AlertPolicy burn: spec\.conditions\[2\]\.spec: is a third page condition; at most two per severity/,
    );
    expect(withPolicy((p) => (p.spec.conditions[1].spec.condition.lookbackWindow = '5m'))).toThrow(
      /AlertPolicy burn: spec\.conditions\[1\]\.spec\.condition\.lookbackWindow: must be a duration from 12m up to the period.*got "5m"/,
    );
    expect(withPolicy((p) => (p.spec.conditions[1].spec.condition.op = 'lt'))).toThrow(
      /^spec \(document 2\): spec\.conditions\[1\]/,
    );
    expect(() => parseSpecs(`${slo}---\n${stringify(policy)}`)).toThrow(
      /AlertPolicy burn: spec\.conditions\[0\]\.conditionRef: no AlertCondition named "fast"/,
    );
  });

  it('reads v1alpha: timeWindows, per-objective ratioMetrics, queryType', () => {
    const alpha = (queryType = 'promql') =>
      stringify({
        apiVersion: 'openslo/v1alpha',
        kind: 'SLO',
        metadata: { name: 'uploads' },
        spec: {
          service: 'svc',
          timeWindows: [{ unit: 'Week', count: 2, isRolling: true }],
          objectives: [
            {
              target: 0.99,
              ratioMetrics: {
                good: { source: 'prometheus', queryType, query: 'sum(rate(ok[{{.window}}]))' },
                total: { source: 'prometheus', queryType, query: 'sum(rate(all[{{.window}}]))' },
              },
            },
          ],
        },
      });
    const [slo] = parseSpecs(alpha());
    expect(slo).toMatchObject({
      id: 'svc-uploads',
      periodDays: 14,
      objective: 0.99,
      spec: 'openslo/v1alpha',
    });
    expect(queries(slo).totalQuery).toBe('sum(rate(all[{{.window}}]))');
    expect(() => parseSpecs(alpha('sql'))).toThrow(
      /spec\.objectives\[0\]\.ratioMetrics\.good\.queryType: only promql/,
    );
  });

  it('reads oslo’s list form and reports each bad object of it', () => {
    const text = `- ${openSlo().trimEnd().replace(/\n/g, '\n  ')}\n- kind: Nope\n  apiVersion: openslo/v1\n`;
    const problems: SloSpecError[] = [];
    expect(parseSpecs(text, { source: 'list.yaml', problems }).map((s) => s.id)).toEqual([
      'svc-availability',
    ]);
    expect(problems.map((p) => p.message)).toEqual([
      'list.yaml [1]: kind: must be SLO, SLI, DataSource, AlertPolicy, AlertCondition, Service, AlertNotificationTarget; got "Nope"',
    ]);
  });
});

describe('Sloth AlertWindows specs', () => {
  const windows = (change: (doc: Record<string, any>) => void = () => {}) => {
    const tier = (errorBudgetPercent: number, shortWindow: string, longWindow: string) => ({
      errorBudgetPercent,
      shortWindow,
      longWindow,
    });
    const doc: Record<string, any> = {
      apiVersion: 'sloth.slok.dev/v1',
      kind: 'AlertWindows',
      spec: {
        sloPeriod: '7d',
        page: { quick: tier(8, '5m', '1h'), slow: tier(12.5, '30m', '6h') },
        ticket: { quick: tier(20, '2h', '1d'), slow: tier(42, '6h', '3d') },
      },
    };
    change(doc);
    return parseAlertWindows(stringify(doc), 'w.yaml');
  };

  it('give the tiers of their period', () => {
    expect(windows()).toEqual([
      {
        periodDays: 7,
        definitions: [
          { severity: 'page', tier: 'page-fast', shortWindow: '5m', longWindow: '1h', budgetPercent: 8 },
          { severity: 'page', tier: 'page-slow', shortWindow: '30m', longWindow: '6h', budgetPercent: 12.5 },
          { severity: 'ticket', tier: 'ticket-fast', shortWindow: '2h', longWindow: '1d', budgetPercent: 20 },
          { severity: 'ticket', tier: 'ticket-slow', shortWindow: '6h', longWindow: '3d', budgetPercent: 42 },
        ],
      },
    ]);
  });

  it.each([
    ['spec.sloPeriod', (d: any) => (d.spec.sloPeriod = '1M'), /must be whole days/],
    [
      'spec.page.quick.shortWindow',
      (d: any) => (d.spec.page.quick.shortWindow = '2h'),
      /must be shorter than longWindow \(1h\)/,
    ],
    [
      'spec.ticket.slow.longWindow',
      (d: any) => (d.spec.ticket.slow.longWindow = '8d'),
      /must be a duration .* at most 7d; got "8d"/,
    ],
    [
      'spec.page.slow.errorBudgetPercent',
      (d: any) => (d.spec.page.slow.errorBudgetPercent = 0),
      /Expected number to be greater than 0/,
    ],
    ['spec.ticket', (d: any) => delete d.spec.ticket, /Expected required property/],
  ])('name %s when it is bad', (field, change, message) => {
    const escaped = field.replace(/[.[\]]/g, (c) => `\\${c}`);
    expect(() => windows(change)).toThrow(new RegExp(`^w\\.yaml: ${escaped}: ${message.source}`));
  });
});
