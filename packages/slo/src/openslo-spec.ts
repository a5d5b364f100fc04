import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type AlertSeverity, type AlertTier, type AlertWindow, MIN_PERIOD_DAYS } from './alert-windows.js';
import { decimal, formatDecimal, subtract } from './decimal.js';
import { formatDuration, MINUTES_PER_DAY, parseDays, parseDuration } from './duration.js';
import { isSloSpecError, SloSpecError } from './errors.js';
import { assertObjective, objectiveFromPercent } from './objective.js';
import { eventsErrorRatio, renderQuery, type SliQueries, type SloDefinition } from './slo-definition.js';
import { checkDistinct, checkLabels, checkPattern, checkQuery, validate } from './spec-validation.js';

export const OPENSLO_API_VERSION = 'openslo/v1';
export const OPENSLO_V1ALPHA_API_VERSION = 'openslo/v1alpha';
const PROMETHEUS = 'prometheus';

/** Kinds that may share a file with SLOs and produce no rules of their own. */
const IGNORED_KINDS = new Set(['Service', 'AlertNotificationTarget']);
/** Kinds an SLO refers to by name. */
const REFERENCED_KINDS = ['SLI', 'DataSource', 'AlertPolicy', 'AlertCondition'] as const;

const MetadataSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  displayName: Type.Optional(Type.String()),
  labels: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.String())]),
    ),
  ),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
});

const MetricSchema = Type.Object({
  metricSource: Type.Object({
    metricSourceRef: Type.Optional(Type.String({ minLength: 1 })),
    type: Type.Optional(Type.String()),
    spec: Type.Object({ query: Type.String({ minLength: 1 }) }),
  }),
});
type Metric = Static<typeof MetricSchema>;

const SliSpecSchema = Type.Object({
  description: Type.Optional(Type.String()),
  thresholdMetric: Type.Optional(MetricSchema),
  ratioMetric: Type.Optional(
    Type.Object({
      counter: Type.Optional(Type.Boolean()),
      good: Type.Optional(MetricSchema),
      bad: Type.Optional(MetricSchema),
      total: Type.Optional(MetricSchema),
      rawType: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
      raw: Type.Optional(MetricSchema),
    }),
  ),
});
type SliSpec = Static<typeof SliSpecSchema>;

const InlineSli = Type.Object({ metadata: Type.Optional(MetadataSchema), spec: SliSpecSchema });

const ObjectiveSchema = Type.Object({
  displayName: Type.Optional(Type.String()),
  op: Type.Optional(
    Type.Union([Type.Literal('lt'), Type.Literal('lte'), Type.Literal('gt'), Type.Literal('gte')]),
  ),
  value: Type.Optional(Type.Number()),
  target: Type.Optional(Type.Number()),
  targetPercent: Type.Optional(Type.Number()),
  timeSliceTarget: Type.Optional(Type.Number()),
  timeSliceWindow: Type.Optional(Type.String()),
  indicator: Type.Optional(InlineSli),
  indicatorRef: Type.Optional(Type.String({ minLength: 1 })),
  compositeWeight: Type.Optional(Type.Number()),
});
type Objective = Static<typeof ObjectiveSchema>;

const kindOf = <K extends string, S extends TSchema>(kind: K, spec: S) =>
  Type.Object({
    apiVersion: Type.Literal(OPENSLO_API_VERSION),
    kind: Type.Literal(kind),
    metadata: MetadataSchema,
    spec,
  });

const AlertConditionSpec = Type.Object({
  severity: Type.Optional(Type.String()),
  condition: Type.Object({
    kind: Type.Literal('burnrate'),
    op: Type.Union([Type.Literal('gt'), Type.Literal('gte')]),
    threshold: Type.Number({ exclusiveMinimum: 0 }),
    lookbackWindow: Type.String(),
    alertAfter: Type.Optional(Type.String()),
  }),
});
const AlertConditionSchema = kindOf('AlertCondition', AlertConditionSpec);
const InlineCondition = Type.Object({ metadata: MetadataSchema, spec: AlertConditionSpec });

const AlertPolicySpec = Type.Object({
  conditions: Type.Array(
    Type.Union([InlineCondition, Type.Object({ conditionRef: Type.String({ minLength: 1 }) })]),
    { minItems: 1 },
  ),
});
const AlertPolicySchema = kindOf('AlertPolicy', AlertPolicySpec);

const SCHEMAS = {
  SLI: kindOf('SLI', SliSpecSchema),
  DataSource: kindOf('DataSource', Type.Object({ type: Type.String({ minLength: 1 }) })),
  AlertPolicy: AlertPolicySchema,
  AlertCondition: AlertConditionSchema,
};

/** OpenSLO v1 `SLO`, the fields this generator reads; the ones it cannot honour are refused by name. */
export const OpenSloSloSchema = kindOf(
  'SLO',
  Type.Object({
    description: Type.Optional(Type.String()),
    service: Type.String({ minLength: 1 }),
    indicator: Type.Optional(InlineSli),
    indicatorRef: Type.Optional(Type.String({ minLength: 1 })),
    timeWindow: Type.Array(
      Type.Object({
        duration: Type.String(),
        isRolling: Type.Optional(Type.Boolean()),
        calendar: Type.Optional(
          Type.Object({ startTime: Type.String(), timeZone: Type.Optional(Type.String()) }),
        ),
      }),
      { minItems: 1, maxItems: 1 },
    ),
    budgetingMethod: Type.Optional(
      Type.Union([Type.Literal('Occurrences'), Type.Literal('Timeslices'), Type.Literal('RatioTimeslices')]),
    ),
    objectives: Type.Array(ObjectiveSchema, { minItems: 1 }),
    alertPolicies: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Object({ alertPolicyRef: Type.String({ minLength: 1 }) }),
          Type.Object({ metadata: MetadataSchema, spec: AlertPolicySpec }),
        ]),
      ),
    ),
  }),
);
export type OpenSloSlo = Static<typeof OpenSloSloSchema>;
type BudgetingMethod = NonNullable<OpenSloSlo['spec']['budgetingMethod']>;

export interface OpenSloDocument {
  document: unknown;
  source: string | undefined;
}

interface Referenced {
  SLI: Map<string, SliSpec>;
  DataSource: Map<string, string>;
  AlertPolicy: Map<string, Static<typeof AlertPolicySpec>>;
  AlertCondition: Map<string, Static<typeof AlertConditionSpec>>;
}

function flatLabels(labels: Static<typeof MetadataSchema>['labels']): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
  );
}

/** my-api.availability → MyApiAvailability, for an alert name a person can read. */
const pascalCase = (text: string): string =>
  text
    .split(/[^a-zA-Z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

interface Context {
  refs: Referenced;
  source: string | undefined;
}

/** The query of a metric, refused unless its source (given, or its DataSource's) is Prometheus. */
function queryOf(metric: Metric, field: string, { refs, source }: Context): string {
  const { metricSourceRef, type } = metric.metricSource;
  let sourceType = type;
  if (metricSourceRef !== undefined) {
    const referenced = refs.DataSource.get(metricSourceRef);
    if (referenced === undefined) {
      throw new SloSpecError(
        `${field}.metricSource.metricSourceRef`,
        `no DataSource named ${JSON.stringify(metricSourceRef)} in the input`,
        source,
      );
    }
    sourceType ??= referenced;
  }
  if (sourceType !== undefined && sourceType.toLowerCase() !== PROMETHEUS) {
    throw new SloSpecError(
      `${field}.metricSource.type`,
      `only Prometheus metric sources can become Prometheus rules; got ${JSON.stringify(sourceType)}`,
      source,
    );
  }
  return metric.metricSource.spec.query;
}

const NEGATED_OP = { lt: '>=', lte: '>', gt: '<=', gte: '<' } as const;

/** What an SLI's queries depend on besides the SLI: the objective it serves and how its budget counts. */
interface SliContext extends Context {
  objective: Objective;
  method: BudgetingMethod;
  /** The objective's field, e.g. spec.objectives[0]. */
  at: string;
  /** The time slice, undefined for Occurrences. */
  slice: string | undefined;
}

/** The slice of a time-slice budget; undefined for Occurrences. */
function sliceOf(objective: Objective, method: BudgetingMethod, at: string, source: string | undefined) {
  if (method === 'Occurrences') return undefined;
  const window = objective.timeSliceWindow;
  const minutes = window === undefined ? undefined : parseDuration(window);
  if (minutes === undefined || minutes > 5) {
    // A slice must fit the shortest burn-rate window, or that window would hold no whole slice.
    throw new SloSpecError(
      `${at}.timeSliceWindow`,
      `is required for ${method}, a duration of at most 5m such as 1m; got ${JSON.stringify(window) ?? 'nothing'}`,
      source,
    );
  }
  return formatDuration(minutes);
}

/** The share of samples (one a minute) or slices whose value misses the objective's threshold. */
function thresholdQueries(metric: Metric, field: string, ctx: SliContext): SliQueries {
  const { source, objective, method, slice, at } = ctx;
  const query = checkQuery(queryOf(metric, field, ctx), `${field}.metricSource.spec.query`, source, {
    window: 'forbidden',
  });
  if (method === 'RatioTimeslices') {
    throw new SloSpecError(
      'spec.budgetingMethod',
      'RatioTimeslices needs a ratioMetric; a thresholdMetric has no ratio',
      source,
    );
  }
  if (objective.op === undefined || objective.value === undefined) {
    const missing = objective.op === undefined ? 'op' : 'value';
    throw new SloSpecError(`${at}.${missing}`, 'is required with a thresholdMetric', source);
  }
  const bad = `(${renderQuery(query, '5m')}) ${NEGATED_OP[objective.op]} bool ${objective.value}`;
  return { errorRatioQuery: `avg_over_time((${bad})[{{.window}}:${slice ?? '1m'}])` };
}

/** A ratio SLI: events or a raw ratio, per window, or per slice for the time-slice methods. */
function ratioQueries(
  ratio: NonNullable<SliSpec['ratioMetric']>,
  field: string,
  ctx: SliContext,
): SliQueries {
  const { source, objective, method, slice, at } = ctx;
  let errorRatio: (window: string) => string;
  if (ratio.raw !== undefined) {
    if (ratio.rawType === undefined) {
      throw new SloSpecError(`${field}.rawType`, 'is required with raw: success or failure', source);
    }
    const rawField = `${field}.raw`;
    const raw = checkQuery(queryOf(ratio.raw, rawField, ctx), `${rawField}.metricSource.spec.query`, source);
    const failure = ratio.rawType === 'failure' ? raw : `1 - (${raw})`;
    if (slice === undefined) return { errorRatioQuery: failure };
    errorRatio = (window) => renderQuery(failure, window);
  } else {
    const events = eventsQueries(ratio, field, ctx);
    if (slice === undefined) return events;
    errorRatio = (window) =>
      eventsErrorRatio(renderQuery(events.errorQuery, window), renderQuery(events.totalQuery, window))
        .trim()
        .replace(/\s*\n\s*/g, ' ');
  }
  const sliceRatio = errorRatio(slice);
  if (method === 'RatioTimeslices') {
    // The average of the slices' error ratios.
    return { errorRatioQuery: `avg_over_time((${sliceRatio})[{{.window}}:${slice}])` };
  }
  const target = objective.timeSliceTarget;
  if (target === undefined || !(target > 0 && target <= 1)) {
    throw new SloSpecError(
      `${at}.timeSliceTarget`,
      `must be a ratio above 0 and at most 1, e.g. 0.95; got ${JSON.stringify(target) ?? 'nothing'}`,
      source,
    );
  }
  // A slice is bad when its error ratio is over 1 − timeSliceTarget; the SLI is the share of bad slices.
  const allowed = formatDecimal(subtract(decimal(1), decimal(target)));
  return { errorRatioQuery: `avg_over_time(((${sliceRatio}) > bool ${allowed})[{{.window}}:${slice}])` };
}

/** An SLI and how its budget is counted, as window templates. */
function sliQueries(
  sli: SliSpec,
  objective: Objective,
  method: BudgetingMethod,
  field: string,
  at: string,
  ctx: Context,
): SliQueries {
  const { ratioMetric, thresholdMetric } = sli;
  if ((ratioMetric === undefined) === (thresholdMetric === undefined)) {
    throw new SloSpecError(field, 'needs exactly one of ratioMetric and thresholdMetric', ctx.source);
  }
  const sliCtx = { ...ctx, objective, method, at, slice: sliceOf(objective, method, at, ctx.source) };
  return thresholdMetric !== undefined
    ? thresholdQueries(thresholdMetric, `${field}.thresholdMetric`, sliCtx)
    : ratioQueries(ratioMetric!, `${field}.ratioMetric`, sliCtx);
}

function eventsQueries(
  ratio: NonNullable<SliSpec['ratioMetric']>,
  field: string,
  ctx: Context,
): { errorQuery: string; totalQuery: string } {
  const { source } = ctx;
  const { good, bad, total } = ratio;
  if (total === undefined)
    throw new SloSpecError(`${field}.total`, 'is required (or raw with rawType)', source);
  if ((good === undefined) === (bad === undefined)) {
    throw new SloSpecError(field, 'needs exactly one of good and bad', source);
  }
  const totalField = `${field}.total.metricSource.spec.query`;
  const totalQuery = checkQuery(queryOf(total, `${field}.total`, ctx), totalField, source);
  const [key, metric] = bad !== undefined ? ['bad', bad] : ['good', good!];
  const queryField = `${field}.${key}.metricSource.spec.query`;
  const query = checkQuery(queryOf(metric, `${field}.${key}`, ctx), queryField, source);
  checkDistinct(query, totalQuery, queryField, totalField, source);
  if (key === 'bad') return { errorQuery: query, totalQuery };
  // Bad = total − good. When no good series exists yet every event failed, so good counts as 0 rather
  // than making the whole difference vanish.
  return { errorQuery: `(${totalQuery}) - ((${query}) or ((${totalQuery}) * 0))`, totalQuery };
}

function objectiveOf(o: Objective, field: string, source: string | undefined): number {
  try {
    if (o.target !== undefined) {
      assertObjective(o.target);
      return o.target;
    }
    if (o.targetPercent !== undefined) return objectiveFromPercent(o.targetPercent);
  } catch {
    const [key, value] = o.target !== undefined ? ['target', o.target] : ['targetPercent', o.targetPercent];
    const range =
      key === 'target' ? 'a ratio strictly between 0 and 1, e.g. 0.999' : 'strictly between 0 and 100';
    throw new SloSpecError(`${field}.${key}`, `must be ${range}; got ${value}`, source);
  }
  throw new SloSpecError(`${field}.target`, 'is required (or targetPercent)', source);
}

/** Calendar lengths for the alert factors; a calendar month or quarter is not a fixed number of days. */
const CALENDAR_DAYS: Record<string, number> = { M: 30, Q: 90, Y: 365 };

function periodOf(window: OpenSloSlo['spec']['timeWindow'][number], source: string | undefined) {
  // OpenSLO: a window with a calendar is a calendar window unless it says isRolling: true.
  const calendar = window.isRolling === false || (window.calendar !== undefined && window.isRolling !== true);
  const field = 'spec.timeWindow[0]';
  if (calendar && window.calendar?.startTime === undefined) {
    throw new SloSpecError(
      `${field}.calendar.startTime`,
      'is required for a calendar window (isRolling: false)',
      source,
    );
  }
  if (calendar && Number.isNaN(Date.parse(window.calendar!.startTime.replace(' ', 'T')))) {
    throw new SloSpecError(
      `${field}.calendar.startTime`,
      `must be a date and time such as 2024-01-01 00:00:00; got ${JSON.stringify(window.calendar!.startTime)}`,
      source,
    );
  }
  const unit = /^1([MQY])$/.exec(window.duration)?.[1];
  const periodDays = calendar && unit !== undefined ? CALENDAR_DAYS[unit] : parseDays(window.duration);
  if (periodDays === undefined || periodDays < MIN_PERIOD_DAYS) {
    throw new SloSpecError(
      `${field}.duration`,
      `must be whole days, at least ${MIN_PERIOD_DAYS}d, such as 28d, 30d or 4w${calendar ? ', or 1M, 1Q, 1Y for a calendar window' : ''}; got ${JSON.stringify(window.duration)}`,
      source,
    );
  }
  return {
    periodDays,
    calendar: calendar ? { duration: window.duration, startTime: window.calendar!.startTime } : undefined,
  };
}

const PAGE_SEVERITIES = new Set(['page', 'critical']);

/** An AlertPolicy's burn-rate conditions as alert tiers: the highest threshold of a severity is its fast tier. */
function policyWindows(
  policy: Static<typeof AlertPolicySpec>,
  field: string,
  periodDays: number,
  ctx: Context,
): { windows: AlertWindow<string>[]; labels: Record<AlertSeverity, Record<string, string>> } {
  const conditions = policy.conditions.map((c, i) => {
    if (!('conditionRef' in c)) return { spec: c.spec, at: `${field}.conditions[${i}].spec` };
    const spec = ctx.refs.AlertCondition.get(c.conditionRef);
    if (spec === undefined) {
      throw new SloSpecError(
        `${field}.conditions[${i}].conditionRef`,
        `no AlertCondition named ${JSON.stringify(c.conditionRef)} in the input`,
        ctx.source,
      );
    }
    return { spec, at: `AlertCondition ${c.conditionRef}: spec` };
  });
  const labels: Record<AlertSeverity, Record<string, string>> = { page: {}, ticket: {} };
  const bySeverity: Record<AlertSeverity, { threshold: number; long: number; at: string }[]> = {
    page: [],
    ticket: [],
  };
  for (const { spec, at } of conditions) {
    const long = parseDuration(spec.condition.lookbackWindow);
    if (long === undefined || long < 12 || long > periodDays * MINUTES_PER_DAY) {
      throw new SloSpecError(
        `${at}.condition.lookbackWindow`,
        `must be a duration from 12m up to the period, such as 1h; got ${JSON.stringify(spec.condition.lookbackWindow)}`,
        ctx.source,
      );
    }
    const severity: AlertSeverity = PAGE_SEVERITIES.has(spec.severity?.toLowerCase() ?? '')
      ? 'page'
      : 'ticket';
    if (spec.severity !== undefined) labels[severity] = { severity: spec.severity };
    bySeverity[severity].push({ threshold: spec.condition.threshold, long, at });
  }
  const windows = (['page', 'ticket'] as const).flatMap((severity) => {
    const tiers = bySeverity[severity].sort((a, b) => b.threshold - a.threshold);
    if (tiers.length > 2) {
      throw new SloSpecError(
        tiers[2]!.at,
        `is a third ${severity} condition; at most two per severity (a fast and a slow tier)`,
        ctx.source,
      );
    }
    return tiers.map(
      ({ threshold, long }, i): AlertWindow<string> => ({
        severity,
        tier: `${severity}-${i === 0 ? 'fast' : 'slow'}` as AlertTier,
        longWindow: formatDuration(long),
        // The workbook's short window, a twelfth of the long one, ends the alert soon after the burn does.
        shortWindow: formatDuration(Math.max(1, Math.floor(long / 12))),
        budgetPercent: (threshold * long * 100) / (periodDays * MINUTES_PER_DAY),
        factor: threshold,
      }),
    );
  });
  return { windows, labels };
}

interface ParsedSlo {
  slo: OpenSloSlo;
  source: string | undefined;
  format: SloDefinition['spec'];
}

function collectReferenced(
  documents: readonly OpenSloDocument[],
  report: (error: unknown) => void,
): { refs: Referenced; slos: ParsedSlo[] } {
  const refs: Referenced = {
    SLI: new Map(),
    DataSource: new Map(),
    AlertPolicy: new Map(),
    AlertCondition: new Map(),
  };
  const slos: ParsedSlo[] = [];
  for (const { document: original, source } of documents) {
    try {
      collect(original, source);
    } catch (error) {
      report(error);
    }
  }
  return { refs, slos };

  function collect(original: unknown, source: string | undefined): void {
    const format =
      (original as { apiVersion?: unknown }).apiVersion === OPENSLO_V1ALPHA_API_VERSION
        ? OPENSLO_V1ALPHA_API_VERSION
        : OPENSLO_API_VERSION;
    const document = fromV1alpha(original, source);
    const kind = (document as { kind?: unknown }).kind;
    if (kind === 'SLO') {
      slos.push({ slo: validate(OpenSloSloSchema, document, source), source, format });
    } else if (
      kind === 'SLI' ||
      kind === 'DataSource' ||
      kind === 'AlertPolicy' ||
      kind === 'AlertCondition'
    ) {
      const { metadata, spec } = validate(SCHEMAS[kind], document, source);
      const value = kind === 'DataSource' ? (spec as { type: string }).type : spec;
      (refs[kind] as Map<string, unknown>).set(metadata.name, value);
    } else if (typeof kind !== 'string' || !IGNORED_KINDS.has(kind)) {
      throw new SloSpecError(
        'kind',
        `must be SLO, ${[...REFERENCED_KINDS, ...IGNORED_KINDS].join(', ')}; got ${JSON.stringify(kind)}`,
        source,
      );
    }
  }
}

function sloDefinitions(slo: OpenSloSlo, ctx: Context, format: SloDefinition['spec']): SloDefinition[] {
  const { source } = ctx;
  const { metadata, spec } = slo;
  checkPattern(metadata.name, 'metadata.name', source, 'slo');
  checkPattern(spec.service, 'spec.service', source, 'slo');
  const method = spec.budgetingMethod ?? 'Occurrences';
  const { periodDays, calendar } = periodOf(spec.timeWindow[0]!, source);
  const sliOf = (owner: { indicator?: Static<typeof InlineSli>; indicatorRef?: string }, at: string) => {
    if (owner.indicator !== undefined) return { sli: owner.indicator.spec, field: `${at}.indicator.spec` };
    if (owner.indicatorRef === undefined) return undefined;
    const sli = ctx.refs.SLI.get(owner.indicatorRef);
    if (sli === undefined) {
      throw new SloSpecError(
        `${at}.indicatorRef`,
        `no SLI named ${JSON.stringify(owner.indicatorRef)} in the input`,
        source,
      );
    }
    return { sli, field: `SLI ${owner.indicatorRef}: spec` };
  };
  const sloSli = sliOf(spec, 'spec');
  const labels = checkLabels(flatLabels(metadata.labels), 'metadata.labels', source);
  const [policy, extra] = spec.alertPolicies ?? [];
  if (extra !== undefined) {
    throw new SloSpecError(
      'spec.alertPolicies[1]',
      'one alert policy per SLO is supported: its conditions become the alert tiers',
      source,
    );
  }
  let policyName: string | undefined;
  let policyField = 'spec.alertPolicies[0].spec';
  let policySpec: Static<typeof AlertPolicySpec> | undefined;
  if (policy !== undefined) {
    policyName = 'alertPolicyRef' in policy ? policy.alertPolicyRef : policy.metadata.name;
    if ('alertPolicyRef' in policy) policyField = `AlertPolicy ${policyName}: spec`;
    policySpec = 'alertPolicyRef' in policy ? ctx.refs.AlertPolicy.get(policy.alertPolicyRef) : policy.spec;
    if (policySpec === undefined) {
      throw new SloSpecError(
        'spec.alertPolicies[0].alertPolicyRef',
        `no AlertPolicy named ${JSON.stringify(policyName)} in the input`,
        source,
      );
    }
  }
  return spec.objectives.map((objective, i): SloDefinition => {
    const at = `spec.objectives[${i}]`;
    if (objective.compositeWeight !== undefined) {
      throw new SloSpecError(
        `${at}.compositeWeight`,
        'composite SLOs (one budget over weighted objectives) are not supported; give each objective its own SLO',
        source,
      );
    }
    const own = sliOf(objective, at);
    const chosen = own ?? sloSli;
    if (chosen === undefined)
      throw new SloSpecError('spec.indicator', 'is required (or indicatorRef, or one per objective)', source);
    const name = spec.objectives.length === 1 ? metadata.name : `${metadata.name}-${i}`;
    const policyAlerts =
      policySpec === undefined ? undefined : policyWindows(policySpec, policyField, periodDays, ctx);
    return {
      id: `${spec.service}-${name}`,
      service: spec.service,
      name,
      description: spec.description ?? '',
      objective: objectiveOf(objective, at, source),
      periodDays,
      ...(calendar === undefined ? {} : { calendar }),
      sli: sliQueries(chosen.sli, objective, method, chosen.field, at, ctx),
      labels,
      alerting: {
        name: `${pascalCase(spec.service)}${pascalCase(policyName ?? name)}${policyName === undefined ? 'ErrorBudgetBurn' : ''}`,
        labels: {},
        annotations: {},
        page: { enabled: true, labels: policyAlerts?.labels.page ?? {}, annotations: {} },
        ticket: { enabled: true, labels: policyAlerts?.labels.ticket ?? {}, annotations: {} },
      },
      ...(policyAlerts === undefined ? {} : { alertWindows: policyAlerts.windows }),
      spec: format,
    };
  });
}

const V1ALPHA_UNITS: Record<string, string> = { Day: 'd', Week: 'w', Month: 'M', Quarter: 'Q', Year: 'Y' };

type Loose = Record<string, unknown> | undefined;

/**
 * OpenSLO v1alpha as the v1 document it corresponds to: `timeWindows` of unit and count become
 * `timeWindow` durations, an objective's `ratioMetrics` its own indicator, `{source, queryType, query}`
 * a `metricSource`. Errors then name the v1 fields.
 */
function fromV1alpha(document: unknown, source: string | undefined): unknown {
  const doc = document as { apiVersion?: unknown; spec?: Loose };
  if (doc.apiVersion !== OPENSLO_V1ALPHA_API_VERSION || typeof doc.spec !== 'object' || doc.spec === null) {
    return { ...(document as object), apiVersion: OPENSLO_API_VERSION };
  }
  const metric = (m: unknown, field: string) => {
    if (typeof m !== 'object' || m === null) return m;
    const { source: type, queryType, query } = m as Record<string, unknown>;
    if (typeof queryType === 'string' && queryType.toLowerCase() !== 'promql') {
      throw new SloSpecError(
        `${field}.queryType`,
        `only promql queries are supported; got ${JSON.stringify(queryType)}`,
        source,
      );
    }
    return { metricSource: { type, spec: { query } } };
  };
  const spec = doc.spec;
  const windows = Array.isArray(spec.timeWindows) ? (spec.timeWindows as Loose[]) : undefined;
  const indicator = spec.indicator as Loose;
  return {
    ...doc,
    apiVersion: OPENSLO_API_VERSION,
    spec: {
      ...Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'timeWindows')),
      timeWindow: windows?.map((w) => ({
        duration: `${w?.count}${V1ALPHA_UNITS[String(w?.unit)] ?? w?.unit}`,
        ...(w?.isRolling === undefined ? {} : { isRolling: w.isRolling }),
        ...(w?.calendar === undefined ? {} : { calendar: w.calendar }),
      })),
      ...(indicator?.thresholdMetric === undefined
        ? {}
        : {
            indicator: {
              spec: { thresholdMetric: metric(indicator.thresholdMetric, 'spec.indicator.thresholdMetric') },
            },
          }),
      objectives: Array.isArray(spec.objectives)
        ? (spec.objectives as Loose[]).map((o, i) => {
            const { ratioMetrics, ...rest } = o ?? {};
            if (typeof ratioMetrics !== 'object' || ratioMetrics === null) return rest;
            const { incremental, good, bad, total } = ratioMetrics as Record<string, unknown>;
            const at = `spec.objectives[${i}].ratioMetrics`;
            const ratioMetric = Object.fromEntries(
              Object.entries({
                counter: incremental,
                good: metric(good, `${at}.good`),
                bad: metric(bad, `${at}.bad`),
                total: metric(total, `${at}.total`),
              }).filter(([, v]) => v !== undefined),
            );
            return { ...rest, indicator: { spec: { ratioMetric } } };
          })
        : spec.objectives,
    },
  };
}

/** Turns OpenSLO SLOs into definitions, resolving SLIs, DataSources, AlertPolicies and AlertConditions by name. */
export function parseOpenSloDocuments(
  documents: readonly OpenSloDocument[],
  problems?: SloSpecError[],
): SloDefinition[] {
  const report = (error: unknown): void => {
    if (problems === undefined || !isSloSpecError(error)) throw error;
    problems.push(error);
  };
  const { refs, slos } = collectReferenced(documents, report);
  return slos.flatMap(({ slo, source, format }) => {
    try {
      return sloDefinitions(slo, { refs, source: `${source ?? 'spec'}: slo ${slo.metadata.name}` }, format);
    } catch (error) {
      report(error);
      return [];
    }
  });
}
