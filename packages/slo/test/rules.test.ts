import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AlertingRule, generateRules, type RecordingRule, renderRules } from '../src/rules.js';
import { parseSpecs } from '../src/specs.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const rulesOf = (name: string, periodDays?: number) =>
  generateRules(parseSpecs(fixture(name), periodDays === undefined ? {} : { periodDays }));
const records = (file: ReturnType<typeof generateRules>) =>
  file.groups.flatMap((g) => g.rules).filter((r): r is RecordingRule => 'record' in r);
const alerts = (file: ReturnType<typeof generateRules>) =>
  file.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r);

const SLOTH_SELECTOR =
  '{sloth_id="myservice-requests-availability", sloth_service="myservice", sloth_slo="requests-availability"}';

describe('rules from a Sloth spec', () => {
  const file = rulesOf('sloth.yaml');

  it('use Sloth group names', () => {
    expect(file.groups.map((g) => g.name)).toEqual([
      'sloth-slo-sli-recordings-myservice-requests-availability',
      'sloth-slo-meta-recordings-myservice-requests-availability',
      'sloth-slo-alerts-myservice-requests-availability',
    ]);
  });

  it('record the error ratio of every window and of the period with Sloth names and labels', () => {
    const sli = file.groups[0]!.rules as RecordingRule[];
    expect(sli.map((r) => r.record)).toEqual(
      ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map((w) => `slo:sli_error:ratio_rate${w}`),
    );
    expect(sli[0]!.labels).toEqual({
      owner: 'myteam',
      sloth_id: 'myservice-requests-availability',
      sloth_service: 'myservice',
      sloth_slo: 'requests-availability',
      sloth_window: '5m',
      tier: '2',
    });
    expect(sli.map((r) => r.labels.sloth_window)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d']);
  });

  it('guard the denominator so that no traffic records 0, not NaN', () => {
    const [fiveMinutes] = file.groups[0]!.rules as RecordingRule[];
    const errors = 'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[5m]))';
    const total = 'sum(rate(http_request_duration_seconds_count{job="myservice"}[5m]))';
    expect(fiveMinutes!.expr).toBe(
      `(\n  (${errors})\n  /\n  ((${total}) > 0)\n)\nor\n(\n  (${total}) * 0\n)\n`,
    );
  });

  it('compute the period ratio from the raw queries over the whole period, not an average of 5m ratios', () => {
    const period = records(file).find((r) => r.record === 'slo:sli_error:ratio_rate30d')!;
    expect(period.expr).toContain('code=~"(5..|429)"}[30d]))');
    expect(period.expr).toContain('{job="myservice"}[30d]))) > 0)');
    expect(period.expr).not.toMatch(/sum_over_time|count_over_time|ratio_rate5m/);
  });

  it('record the meta series Sloth dashboards read', () => {
    const meta = Object.fromEntries(records(file).map((r) => [r.record, r]));
    expect(meta['slo:objective:ratio']!.expr).toBe('vector(0.999)');
    expect(meta['slo:error_budget:ratio']!.expr).toBe('vector(0.001)');
    expect(meta['slo:time_period:days']!.expr).toBe('vector(30)');
    expect(meta['slo:current_burn_rate:ratio']!.expr).toBe(
      `slo:sli_error:ratio_rate5m${SLOTH_SELECTOR}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${SLOTH_SELECTOR}\n`,
    );
    expect(meta['slo:period_burn_rate:ratio']!.expr).toContain(
      `slo:sli_error:ratio_rate30d${SLOTH_SELECTOR}`,
    );
    expect(meta['slo:period_error_budget_remaining:ratio']!.expr).toBe(
      `1 - slo:period_burn_rate:ratio${SLOTH_SELECTOR}`,
    );
    expect(meta['slo:objective:ratio']!.labels).not.toHaveProperty('sloth_window');
    expect(meta.sloth_slo_info!.labels).toMatchObject({
      sloth_id: 'myservice-requests-availability',
      sloth_mode: 'cli-gen-prom',
      sloth_objective: '99.9',
      sloth_spec: 'prometheus/v1',
      sloth_version: 'steadfast-slo',
      owner: 'myteam',
    });
  });

  it('alert in four tiers with the workbook windows and factors', () => {
    const list = alerts(file);
    expect(list.map((a) => [a.alert, a.labels.sloth_severity, a.labels.sloth_tier])).toEqual([
      ['MyServiceHighErrorRate', 'page', 'page-fast'],
      ['MyServiceHighErrorRate', 'page', 'page-slow'],
      ['MyServiceHighErrorRate', 'ticket', 'ticket-fast'],
      ['MyServiceHighErrorRate', 'ticket', 'ticket-slow'],
    ]);
    const windows = list.map((a) =>
      [...a.expr.matchAll(/ratio_rate(\w+)\{[^}]*\} > \(([\d.]+) \* ([\d.]+)\)/g)].map((m) => m.slice(1)),
    );
    expect(windows).toEqual([
      [
        ['5m', '14.4', '0.001'],
        ['1h', '14.4', '0.001'],
      ],
      [
        ['30m', '6', '0.001'],
        ['6h', '6', '0.001'],
      ],
      [
        ['2h', '3', '0.001'],
        ['1d', '3', '0.001'],
      ],
      [
        ['6h', '1', '0.001'],
        ['3d', '1', '0.001'],
      ],
    ]);
    // As Sloth writes them: the window label is dropped, so the alert carries the SLO's labels only.
    for (const a of list) expect(a.expr.match(/\) without \(sloth_window\)/g)).toHaveLength(2);
  });

  it('keep the short window label on alerts only when asked', () => {
    const [kept] = alerts(generateRules(parseSpecs(fixture('sloth.yaml')), { keepWindowLabel: true }));
    expect(kept!.expr).toContain('\nand ignoring (sloth_window)\n');
    expect(kept!.expr).not.toContain('without');
  });

  it('annotate alerts with their windows, threshold, objective and error ratio only when asked', () => {
    const plain = alerts(generateRules(parseSpecs(fixture('sloth.yaml'))));
    expect(plain[0]!.annotations).not.toHaveProperty('long_window');
    const annotated = alerts(generateRules(parseSpecs(fixture('sloth.yaml')), { windowAnnotations: true }));
    expect(
      annotated.map(({ annotations: a }) => [
        a.short_window,
        a.long_window,
        a.burn_rate_threshold,
        a.objective,
      ]),
    ).toEqual([
      ['5m', '1h', '14.4', '99.9%'],
      ['30m', '6h', '6', '99.9%'],
      ['2h', '1d', '3', '99.9%'],
      ['6h', '3d', '1', '99.9%'],
    ]);
    expect(annotated[0]!.annotations.short_window_error_ratio).toBe('{{ $value | humanizePercentage }}');
    expect(annotated[0]!.annotations.period_days).toBe('30');
  });

  it('label and annotate alerts like Sloth', () => {
    const [page, , ticket] = alerts(file);
    expect(page!.labels).toEqual({
      category: 'availability',
      routing_key: 'myteam',
      severity: 'pageteam',
      sloth_severity: 'page',
      sloth_tier: 'page-fast',
    });
    expect(ticket!.labels).toMatchObject({
      severity: 'slack',
      slack_channel: '#alerts-myteam',
      sloth_severity: 'ticket',
    });
    expect(page!.annotations.summary).toBe("High error rate on 'myservice' requests responses");
    expect(page!.annotations.title).toBe(
      '(page) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.',
    );
  });

  it('scale the budget shares of 28 days as Sloth does', () => {
    const factors = alerts(rulesOf('sloth.yaml', 28)).map((a) => /> \(([\d.]+) \*/.exec(a.expr)?.[1]);
    expect(factors).toEqual(['13.44', '5.6', '2.8', String(28 / 30)]);
  });

  it('keep the 30-day burn rates for other periods, so no tier fires below a burn rate of 1', () => {
    // Regression: 7 days scaled the shares, paging at 3.36 and ticketing at 0.7 and 0.23, which fires on
    // SLOs that end the week inside their budget.
    const list = alerts(rulesOf('sloth.yaml', 7));
    const factors = list.map((a) => /> \(([\d.]+) \*/.exec(a.expr)?.[1]);
    expect(factors).toEqual(['14.4', '6', '3', '1']);
    expect(list[0]!.annotations.description).toBe(
      'Error budget burn rate is over 14.4x in the last 1h and 5m: 8.571% of the 7d budget spent in 1h.',
    );
    expect(records(rulesOf('sloth.yaml', 7)).map((r) => r.record)).toContain('slo:sli_error:ratio_rate1w');
  });

  it('leave out disabled severities', () => {
    const text = fixture('sloth.yaml').replace(
      '      page_alert:\n',
      '      page_alert:\n        disable: true\n',
    );
    const list = alerts(generateRules(parseSpecs(text)));
    expect(list.map((a) => a.labels.sloth_tier)).toEqual(['ticket-fast', 'ticket-slow']);
  });
});

describe('rules from an OpenSLO spec', () => {
  const file = rulesOf('openslo.yaml');

  it('use the SLO time window and its factors, with the budget in full precision', () => {
    const meta = Object.fromEntries(records(file).map((r) => [r.record, r.expr]));
    expect(meta['slo:objective:ratio']).toBe('vector(0.99999)');
    expect(meta['slo:error_budget:ratio']).toBe('vector(0.00001)');
    expect(meta['slo:time_period:days']).toBe('vector(28)');
    expect(meta).toHaveProperty('slo:sli_error:ratio_rate4w');
    expect(records(file).find((r) => r.record === 'sloth_slo_info')!.labels).toMatchObject({
      sloth_mode: 'cli-gen-openslo',
      sloth_objective: '99.999',
      sloth_spec: 'openslo/v1',
    });
    const thresholds = alerts(file).map((a) => /> (\([^)]*\))/.exec(a.expr)?.[1]);
    expect(thresholds).toEqual([
      '(13.44 * 0.00001)',
      '(5.6 * 0.00001)',
      '(2.8 * 0.00001)',
      `(${28 / 30} * 0.00001)`,
    ]);
  });

  it('count bad events as total minus good', () => {
    const sli = records(file).find((r) => r.record === 'slo:sli_error:ratio_rate1h')!;
    expect(sli.expr).toContain(
      '((sum(rate(http_request_duration_seconds_count{job="myservice"}[1h]))) - ((sum(rate(http_request_duration_seconds_count{job="myservice",code!~"(5..|429)"}[1h]))) or ((sum(rate(http_request_duration_seconds_count{job="myservice"}[1h]))) * 0)))',
    );
  });
});

describe('renderRules', () => {
  it('is deterministic plain YAML that parses back to the same rules', () => {
    const slos = [...parseSpecs(fixture('sloth.yaml')), ...parseSpecs(fixture('openslo.yaml'))];
    const text = renderRules(generateRules(slos), ['a.yaml']);
    expect(renderRules(generateRules(slos), ['a.yaml'])).toBe(text);
    expect(text.startsWith('# Code generated by steadfast-slo from a.yaml. DO NOT EDIT.\n')).toBe(true);
    expect(text).not.toMatch(/[&*]a\d/);
    expect(parse(text)).toEqual(generateRules(slos));
  });
});

describe('multi-line queries', () => {
  it('drop PromQL comments before folding onto one line, but keep # inside label values', () => {
    const text = fixture('sloth.yaml').replace(
      /error_query: .*\n/,
      [
        'error_query: |',
        '          # 5xx and throttling count against the budget',
        '          sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}])) # errors',
        '          + sum(rate(http_request_duration_seconds_count{job="myservice",path="/a#b"}[{{.window}}]))',
        '',
      ].join('\n'),
    );
    const fiveMinutes = records(generateRules(parseSpecs(text)))[0]!;
    expect(fiveMinutes.expr).toContain(
      '(sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[5m])) + sum(rate(http_request_duration_seconds_count{job="myservice",path="/a#b"}[5m])))',
    );
    expect(fiveMinutes.expr).not.toContain('# ');
  });
});
