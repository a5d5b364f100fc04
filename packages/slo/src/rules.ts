import { stringify } from 'yaml';
import { type AlertWindow, alertWindows, BURN_RATE_WINDOWS } from './alert-windows.js';
import { decimal, formatDecimal, multiply } from './decimal.js';
import { formatDuration, MINUTES_PER_DAY } from './duration.js';
import { errorBudgetRatio } from './objective.js';
import { renderQuery, type SloDefinition } from './slo-definition.js';

/** Sloth's own value for this label says which Sloth built the rules; ours says which generator did. */
export const GENERATOR_VERSION = 'steadfast-slo';

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: (RecordingRule | AlertingRule)[];
}

export interface RuleFile {
  groups: RuleGroup[];
}

const sorted = (labels: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const SLI_RECORD = (window: string): string => `slo:sli_error:ratio_rate${window}`;

/**
 * Bad over total events in one window. Sloth divides the two queries as they are, so an idle service
 * records 0/0 = NaN, and a service that has never failed records nothing. Here the denominator only
 * exists while there is traffic, and the `or` fills in 0 whenever the total exists: no traffic or no
 * errors both read as "nothing failed".
 */
function sliExpr(slo: SloDefinition, window: string): string {
  const errors = renderQuery(slo.errorQuery, window);
  const total = renderQuery(slo.totalQuery, window);
  return `(\n  (${errors})\n  /\n  ((${total}) > 0)\n)\nor\n(\n  (${total}) * 0\n)\n`;
}

function selector(slo: SloDefinition): string {
  return `{sloth_id=${JSON.stringify(slo.id)}, sloth_service=${JSON.stringify(slo.service)}, sloth_slo=${JSON.stringify(slo.name)}}`;
}

function sliRecordings(slo: SloDefinition, labels: Record<string, string>): RuleGroup {
  const period = formatDuration(slo.periodDays * MINUTES_PER_DAY);
  // The period window uses the raw queries too: errors over requests across the whole period, where
  // Sloth averages the 5m ratios and so gives a quiet night the same weight as a busy day.
  const windows = [...BURN_RATE_WINDOWS, period];
  return {
    name: `sloth-slo-sli-recordings-${slo.id}`,
    rules: windows.map((window) => ({
      record: SLI_RECORD(window),
      expr: sliExpr(slo, window),
      labels: sorted({ ...labels, sloth_window: window }),
    })),
  };
}

function metaRecordings(slo: SloDefinition, labels: Record<string, string>): RuleGroup {
  const by = selector(slo);
  const period = formatDuration(slo.periodDays * MINUTES_PER_DAY);
  const budgetRatio = (sliRecord: string): string =>
    `${sliRecord}${by}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${by}\n`;
  const info = sorted({
    ...labels,
    sloth_mode: slo.spec === 'openslo/v1' ? 'cli-gen-openslo' : 'cli-gen-prom',
    sloth_objective: formatDecimal(multiply(decimal(slo.objective), decimal(100))),
    sloth_spec: slo.spec,
    sloth_version: GENERATOR_VERSION,
  });
  const meta = sorted(labels);
  return {
    name: `sloth-slo-meta-recordings-${slo.id}`,
    rules: [
      { record: 'slo:objective:ratio', expr: `vector(${slo.objective})`, labels: meta },
      { record: 'slo:error_budget:ratio', expr: `vector(${errorBudgetRatio(slo.objective)})`, labels: meta },
      { record: 'slo:time_period:days', expr: `vector(${slo.periodDays})`, labels: meta },
      { record: 'slo:current_burn_rate:ratio', expr: budgetRatio(SLI_RECORD('5m')), labels: meta },
      { record: 'slo:period_burn_rate:ratio', expr: budgetRatio(SLI_RECORD(period)), labels: meta },
      {
        record: 'slo:period_error_budget_remaining:ratio',
        expr: `1 - slo:period_burn_rate:ratio${by}`,
        labels: meta,
      },
      { record: 'sloth_slo_info', expr: 'vector(1)', labels: info },
    ],
  };
}

function alertRule(slo: SloDefinition, window: AlertWindow): AlertingRule | undefined {
  const alerting = slo.alerting;
  const severity = alerting?.[window.severity];
  if (alerting === undefined || severity === undefined || !severity.enabled) return undefined;
  const by = selector(slo);
  const threshold = `(${window.factor} * ${errorBudgetRatio(slo.objective)})`;
  return {
    alert: alerting.name,
    // Short window first, as Sloth writes it; both must be over the threshold. The result keeps the
    // SLO's labels, so Alertmanager can match tiers of the same SLO on sloth_id.
    expr: `(\n  ${SLI_RECORD(window.shortWindow)}${by} > ${threshold}\n)\nand ignoring (sloth_window)\n(\n  ${SLI_RECORD(window.longWindow)}${by} > ${threshold}\n)\n`,
    labels: sorted({
      ...alerting.labels,
      ...severity.labels,
      sloth_severity: window.severity,
      sloth_tier: window.tier,
    }),
    annotations: sorted({
      summary: '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
      title: `(${window.severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
      description: `Error budget burn rate is over ${window.factor}x in the last ${window.longWindow} and ${window.shortWindow}: ${window.budgetPercent}% of the ${slo.periodDays}d budget spent in ${window.longWindow}.`,
      ...alerting.annotations,
      ...severity.annotations,
    }),
  };
}

/** The recording and alerting rules for some SLOs, in Sloth's layout: three groups per SLO, SLOs in order. */
export function generateRules(slos: readonly SloDefinition[]): RuleFile {
  return {
    groups: slos.flatMap((slo) => {
      const labels = sorted({
        ...slo.labels,
        sloth_id: slo.id,
        sloth_service: slo.service,
        sloth_slo: slo.name,
      });
      const alerts = alertWindows(slo.periodDays)
        .map((w) => alertRule(slo, w))
        .filter((rule) => rule !== undefined);
      const groups = [sliRecordings(slo, labels), metaRecordings(slo, labels)];
      if (alerts.length > 0) groups.push({ name: `sloth-slo-alerts-${slo.id}`, rules: alerts });
      return groups;
    }),
  };
}

/** YAML for a Prometheus rule file. No timestamps, so the same specs always give the same bytes. */
export function renderRules(file: RuleFile, sources: readonly string[] = []): string {
  const from = sources.length === 0 ? '' : ` from ${sources.join(', ')}`;
  const header = `# Code generated by steadfast-slo${from}. DO NOT EDIT.\n# Regenerate with: steadfast-slo generate <spec.yaml> > <file>.rules.yml\n\n`;
  return header + stringify(file, { lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false });
}
