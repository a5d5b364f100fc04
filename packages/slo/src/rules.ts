import { stringify } from 'yaml';
import {
  type AlertWindow,
  type AlertWindowDefinition,
  alertWindows,
  windowMinutes,
} from './alert-windows.js';
import { decimal, formatDecimal, multiply } from './decimal.js';
import { formatDuration, MINUTES_PER_DAY } from './duration.js';
import { errorBudgetRatio } from './objective.js';
import { hasSubquery } from './promql.js';
import { eventsErrorRatio, renderQuery, type SloDefinition } from './slo-definition.js';

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

export interface GenerateOptions {
  /** Alert tiers by period in days, from Sloth AlertWindows files; other periods get the defaults. */
  windows?: ReadonlyMap<number, readonly AlertWindowDefinition<string>[]>;
  /** Added to every rule, under the spec's own labels (Sloth's `--extra-labels`). */
  extraLabels?: Record<string, string>;
  disableRecordings?: boolean;
  disableAlerts?: boolean;
  /**
   * Keep the short window's `sloth_window` on alerts, as steadfast-slo did before. Sloth's alerts carry the
   * SLO's labels without it, so Alertmanager routes and silences written for Sloth match.
   */
  keepWindowLabel?: boolean;
  /**
   * Adds what a postmortem needs to each alert as annotations: its windows, the burn rate both must pass, the
   * objective, and the short window's error ratio when it fired. Off by default: Sloth's alerts carry none.
   */
  windowAnnotations?: boolean;
}

/** One SLO's tiers, and the windows its records cover: every tier's windows, shortest first. */
function windowsOf(slo: SloDefinition, options: GenerateOptions) {
  const tiers = slo.alertWindows ?? alertWindows(slo.periodDays, options.windows?.get(slo.periodDays));
  const windows = [...new Set(tiers.flatMap((t) => [t.shortWindow, t.longWindow]))].sort(
    (a, b) => windowMinutes(a) - windowMinutes(b),
  );
  return { tiers, windows, shortest: windows[0]! };
}

/** The query of one window's error ratio. */
function windowExpr(slo: SloDefinition, window: string): string {
  if ('errorRatioQuery' in slo.sli) return `${renderQuery(slo.sli.errorRatioQuery, window)}\n`;
  return eventsErrorRatio(renderQuery(slo.sli.errorQuery, window), renderQuery(slo.sli.totalQuery, window));
}

/**
 * The period's error ratio. For events it is the raw queries over the whole period: errors over requests,
 * where Sloth averages the 5m ratios and so gives a quiet night the same weight as a busy day. A ratio
 * SLI has no counts, and a subquery over 30 days is too heavy to evaluate every minute, so those average
 * the shortest window's record over the period, as Sloth does.
 */
function periodExpr(slo: SloDefinition, period: string, shortest: string): string {
  const exact = windowExpr(slo, period);
  if (!('errorRatioQuery' in slo.sli) && !hasSubquery(exact)) return exact;
  return `avg_over_time(${SLI_RECORD(shortest)}${selector(slo)}[${period}])\n`;
}

function selector(slo: SloDefinition): string {
  return `{sloth_id=${JSON.stringify(slo.id)}, sloth_service=${JSON.stringify(slo.service)}, sloth_slo=${JSON.stringify(slo.name)}}`;
}

const periodOf = (slo: SloDefinition): string | undefined =>
  slo.calendar === undefined ? formatDuration(slo.periodDays * MINUTES_PER_DAY) : undefined;

function sliRecordings(
  slo: SloDefinition,
  labels: Record<string, string>,
  options: GenerateOptions,
): RuleGroup {
  const { windows, shortest } = windowsOf(slo, options);
  const period = periodOf(slo);
  const rules = windows.map((window) => ({
    record: SLI_RECORD(window),
    expr: windowExpr(slo, window),
    labels: sorted({ ...labels, sloth_window: window }),
  }));
  if (period !== undefined && !windows.includes(period)) {
    rules.push({
      record: SLI_RECORD(period),
      expr: periodExpr(slo, period, shortest),
      labels: sorted({ ...labels, sloth_window: period }),
    });
  }
  return { name: `sloth-slo-sli-recordings-${slo.id}`, rules };
}

const SLOTH_MODE: Record<SloDefinition['spec'], string> = {
  'prometheus/v1': 'cli-gen-prom',
  'sloth.slok.dev/v1': 'cli-gen-k8s',
  'openslo/v1': 'cli-gen-openslo',
  'openslo/v1alpha': 'cli-gen-openslo',
};

function metaRecordings(
  slo: SloDefinition,
  labels: Record<string, string>,
  options: GenerateOptions,
): RuleGroup {
  const by = selector(slo);
  const period = periodOf(slo);
  const { shortest } = windowsOf(slo, options);
  const budgetRatio = (sliRecord: string): string =>
    `${sliRecord}${by}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${by}\n`;
  const info = sorted({
    ...labels,
    sloth_mode: SLOTH_MODE[slo.spec],
    sloth_objective: formatDecimal(multiply(decimal(slo.objective), decimal(100))),
    sloth_spec: slo.spec,
    sloth_version: GENERATOR_VERSION,
  });
  const meta = sorted(labels);
  const periodRules =
    period === undefined
      ? []
      : [
          { record: 'slo:period_burn_rate:ratio', expr: budgetRatio(SLI_RECORD(period)), labels: meta },
          {
            record: 'slo:period_error_budget_remaining:ratio',
            expr: `1 - slo:period_burn_rate:ratio${by}`,
            labels: meta,
          },
        ];
  return {
    name: `sloth-slo-meta-recordings-${slo.id}`,
    rules: [
      { record: 'slo:objective:ratio', expr: `vector(${slo.objective})`, labels: meta },
      { record: 'slo:error_budget:ratio', expr: `vector(${errorBudgetRatio(slo.objective)})`, labels: meta },
      { record: 'slo:time_period:days', expr: `vector(${slo.periodDays})`, labels: meta },
      { record: 'slo:current_burn_rate:ratio', expr: budgetRatio(SLI_RECORD(shortest)), labels: meta },
      ...periodRules,
      { record: 'sloth_slo_info', expr: 'vector(1)', labels: info },
    ],
  };
}

/** 8.571428571428571 → 8.571: a share for people to read in an annotation. */
const readable = (n: number): string => String(Number(n.toPrecision(4)));

/** The annotations of {@link GenerateOptions.windowAnnotations}. */
const windowAnnotationsOf = (slo: SloDefinition, window: AlertWindow<string>) => ({
  burn_rate_threshold: String(window.factor),
  long_window: window.longWindow,
  objective: `${readable(slo.objective * 100)}%`,
  period_days: String(slo.periodDays),
  short_window: window.shortWindow,
  // The alert's value is the short window's error ratio: `and` keeps its left side.
  short_window_error_ratio: '{{ $value | humanizePercentage }}',
});

function alertRule(
  slo: SloDefinition,
  window: AlertWindow<string>,
  { keepWindowLabel = false, windowAnnotations = false }: GenerateOptions,
): AlertingRule | undefined {
  const alerting = slo.alerting;
  const severity = alerting?.[window.severity];
  if (alerting === undefined || severity === undefined || !severity.enabled) return undefined;
  const by = selector(slo);
  const threshold = `(${window.factor} * ${errorBudgetRatio(slo.objective)})`;
  const over = (w: string) => `${SLI_RECORD(w)}${by} > ${threshold}`;
  // Short window first, as Sloth writes it; both must be over the threshold. Sloth's alerts keep the SLO's
  // labels but not sloth_window, so Alertmanager can match tiers of the same SLO on sloth_id.
  const expr = keepWindowLabel
    ? `(\n  ${over(window.shortWindow)}\n)\nand ignoring (sloth_window)\n(\n  ${over(window.longWindow)}\n)\n`
    : `(\n  max(${over(window.shortWindow)}) without (sloth_window)\n  and\n  max(${over(window.longWindow)}) without (sloth_window)\n)\n`;
  const period = slo.calendar?.duration ?? `${slo.periodDays}d`;
  return {
    alert: alerting.name,
    expr,
    labels: sorted({
      ...alerting.labels,
      ...severity.labels,
      sloth_severity: window.severity,
      sloth_tier: window.tier,
    }),
    annotations: sorted({
      summary: '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
      title: `(${window.severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
      description: `Error budget burn rate is over ${window.factor}x in the last ${window.longWindow} and ${window.shortWindow}: ${readable(window.budgetPercent)}% of the ${period} budget spent in ${window.longWindow}.`,
      ...(windowAnnotations ? windowAnnotationsOf(slo, window) : {}),
      ...alerting.annotations,
      ...severity.annotations,
    }),
  };
}

/** The recording and alerting rules for some SLOs, in Sloth's layout: three groups per SLO, SLOs in order. */
export function generateRules(slos: readonly SloDefinition[], options: GenerateOptions = {}): RuleFile {
  return {
    groups: slos.flatMap((slo) => {
      const labels = sorted({
        ...options.extraLabels,
        ...slo.labels,
        sloth_id: slo.id,
        sloth_service: slo.service,
        sloth_slo: slo.name,
      });
      const groups: RuleGroup[] = [];
      if (options.disableRecordings !== true) {
        groups.push(sliRecordings(slo, labels, options), metaRecordings(slo, labels, options));
      }
      const alerts =
        options.disableAlerts === true
          ? []
          : windowsOf(slo, options)
              .tiers.map((w) => alertRule(slo, w, options))
              .filter((rule) => rule !== undefined)
              .map((rule) => ({ ...rule, labels: sorted({ ...options.extraLabels, ...rule.labels }) }));
      if (alerts.length > 0) groups.push({ name: `sloth-slo-alerts-${slo.id}`, rules: alerts });
      return groups;
    }),
  };
}

const header = (sources: readonly string[]): string => {
  const from = sources.length === 0 ? '' : ` from ${sources.join(', ')}`;
  return `# Code generated by steadfast-slo${from}. DO NOT EDIT.\n# Regenerate with: steadfast-slo generate <spec.yaml> > <file>.rules.yml\n\n`;
};

const yaml = (value: unknown): string =>
  stringify(value, { lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false });

/** YAML for a Prometheus rule file. No timestamps, so the same specs always give the same bytes. */
export function renderRules(file: RuleFile, sources: readonly string[] = []): string {
  return header(sources) + yaml(file);
}

export interface KubernetesObject {
  name: string;
  namespace?: string | undefined;
}

/** The same rules as a prometheus-operator `PrometheusRule`, labelled as Sloth labels the ones it writes. */
export function renderPrometheusRule(
  file: RuleFile,
  object: KubernetesObject,
  sources: readonly string[] = [],
): string {
  const metadata = {
    name: object.name,
    ...(object.namespace === undefined ? {} : { namespace: object.namespace }),
    labels: { 'app.kubernetes.io/component': 'SLO', 'app.kubernetes.io/managed-by': GENERATOR_VERSION },
  };
  return (
    header(sources) +
    yaml({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata, spec: file })
  );
}
