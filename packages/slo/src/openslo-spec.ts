import { type Static, Type } from '@sinclair/typebox';
import { MIN_PERIOD_DAYS } from './alert-windows.js';
import { parseDays } from './duration.js';
import { SloSpecError } from './errors.js';
import { assertObjective, objectiveFromPercent } from './objective.js';
import type { SloDefinition } from './slo-definition.js';
import { checkLabels, checkPattern, checkWindowPlaceholder, validate } from './spec-validation.js';

export const OPENSLO_API_VERSION = 'openslo/v1';

/** Kinds that may share a file with SLOs but produce no rules. */
const IGNORED_KINDS = new Set([
  'Service',
  'DataSource',
  'AlertPolicy',
  'AlertCondition',
  'AlertNotificationTarget',
]);

const MetadataSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  displayName: Type.Optional(Type.String()),
  labels: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
});

const MetricSchema = Type.Object({
  metricSource: Type.Object({
    type: Type.Optional(Type.String()),
    spec: Type.Object({ query: Type.String({ minLength: 1 }) }),
  }),
});

const SliSpecSchema = Type.Object({
  description: Type.Optional(Type.String()),
  ratioMetric: Type.Object({
    counter: Type.Optional(Type.Boolean()),
    good: Type.Optional(MetricSchema),
    bad: Type.Optional(MetricSchema),
    total: MetricSchema,
  }),
});

export const OpenSloSliSchema = Type.Object({
  apiVersion: Type.Literal(OPENSLO_API_VERSION),
  kind: Type.Literal('SLI'),
  metadata: MetadataSchema,
  spec: SliSpecSchema,
});

/** The parts of OpenSLO v1 `SLO` this generator uses: a ratio SLI, a rolling window, occurrences. */
export const OpenSloSloSchema = Type.Object({
  apiVersion: Type.Literal(OPENSLO_API_VERSION),
  kind: Type.Literal('SLO'),
  metadata: MetadataSchema,
  spec: Type.Object({
    description: Type.Optional(Type.String()),
    service: Type.String({ minLength: 1 }),
    indicator: Type.Optional(Type.Object({ metadata: Type.Optional(MetadataSchema), spec: SliSpecSchema })),
    indicatorRef: Type.Optional(Type.String({ minLength: 1 })),
    timeWindow: Type.Array(
      Type.Object({ duration: Type.String(), isRolling: Type.Optional(Type.Boolean()) }),
      { minItems: 1, maxItems: 1 },
    ),
    budgetingMethod: Type.Optional(Type.String()),
    objectives: Type.Array(
      Type.Object({
        displayName: Type.Optional(Type.String()),
        target: Type.Optional(Type.Number()),
        targetPercent: Type.Optional(Type.Number()),
      }),
      { minItems: 1 },
    ),
  }),
});
export type OpenSloSlo = Static<typeof OpenSloSloSchema>;
type SliSpec = Static<typeof SliSpecSchema>;

export interface OpenSloDocument {
  document: unknown;
  source: string | undefined;
}

function flatLabels(labels: Static<typeof MetadataSchema>['labels']): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
  );
}

/** my-api.availability → MyApiAvailability, for an alert name a person can read. */
const pascalCase = (text: string): string =>
  text
    .split(/[^a-zA-Z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

function queries(
  sli: SliSpec,
  field: string,
  source: string | undefined,
): { errorQuery: string; totalQuery: string } {
  const { good, bad, total } = sli.ratioMetric;
  const totalQuery = checkWindowPlaceholder(
    total.metricSource.spec.query,
    `${field}.total.metricSource.spec.query`,
    source,
  );
  if ((good === undefined) === (bad === undefined)) {
    throw new SloSpecError(field, 'needs exactly one of good and bad', source);
  }
  if (bad !== undefined) {
    return {
      errorQuery: checkWindowPlaceholder(
        bad.metricSource.spec.query,
        `${field}.bad.metricSource.spec.query`,
        source,
      ),
      totalQuery,
    };
  }
  const goodQuery = checkWindowPlaceholder(
    good!.metricSource.spec.query,
    `${field}.good.metricSource.spec.query`,
    source,
  );
  // Bad = total − good. When no good series exists yet every event failed, so good counts as 0 rather
  // than making the whole difference vanish.
  return { errorQuery: `(${totalQuery}) - ((${goodQuery}) or ((${totalQuery}) * 0))`, totalQuery };
}

function objectiveOf(
  o: OpenSloSlo['spec']['objectives'][number],
  field: string,
  source: string | undefined,
): number {
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

/** Turns OpenSLO SLOs into definitions; SLI documents are looked up for `indicatorRef`. */
export function parseOpenSloDocuments(documents: readonly OpenSloDocument[]): SloDefinition[] {
  const slis = new Map<string, SliSpec>();
  const slos: { slo: OpenSloSlo; source: string | undefined }[] = [];
  for (const { document, source } of documents) {
    const kind = (document as { kind?: unknown }).kind;
    if (kind === 'SLI') {
      const sli = validate(OpenSloSliSchema, document, source);
      slis.set(sli.metadata.name, sli.spec);
    } else if (kind === 'SLO') {
      slos.push({ slo: validate(OpenSloSloSchema, document, source), source });
    } else if (typeof kind !== 'string' || !IGNORED_KINDS.has(kind)) {
      throw new SloSpecError(
        'kind',
        `must be SLO, SLI or ${[...IGNORED_KINDS].join(', ')}; got ${JSON.stringify(kind)}`,
        source,
      );
    }
  }
  return slos.flatMap(({ slo, source }) => {
    const { metadata, spec } = slo;
    checkPattern(metadata.name, 'metadata.name', source, 'slo');
    checkPattern(spec.service, 'spec.service', source, 'slo');
    if (spec.budgetingMethod !== undefined && spec.budgetingMethod !== 'Occurrences') {
      throw new SloSpecError(
        'spec.budgetingMethod',
        `only Occurrences is supported; got ${JSON.stringify(spec.budgetingMethod)}`,
        source,
      );
    }
    const window = spec.timeWindow[0]!;
    if (window.isRolling === false) {
      throw new SloSpecError(
        'spec.timeWindow[0].isRolling',
        'only rolling windows are supported; got false',
        source,
      );
    }
    const periodDays = parseDays(window.duration);
    if (periodDays === undefined || periodDays < MIN_PERIOD_DAYS) {
      throw new SloSpecError(
        'spec.timeWindow[0].duration',
        `must be whole days, at least ${MIN_PERIOD_DAYS}d, such as 28d, 30d or 4w; got ${JSON.stringify(window.duration)}`,
        source,
      );
    }
    let sli: SliSpec | undefined = spec.indicator?.spec;
    let sliField = 'spec.indicator.spec.ratioMetric';
    if (sli === undefined) {
      if (spec.indicatorRef === undefined)
        throw new SloSpecError('spec.indicator', 'is required (or indicatorRef)', source);
      sli = slis.get(spec.indicatorRef);
      if (sli === undefined) {
        throw new SloSpecError(
          'spec.indicatorRef',
          `no SLI named ${JSON.stringify(spec.indicatorRef)} in the input`,
          source,
        );
      }
      sliField = `SLI ${spec.indicatorRef}: spec.ratioMetric`;
    }
    const { errorQuery, totalQuery } = queries(sli, sliField, source);
    const labels = checkLabels(flatLabels(metadata.labels), 'metadata.labels', source);
    return spec.objectives.map((objective, i): SloDefinition => {
      const name = spec.objectives.length === 1 ? metadata.name : `${metadata.name}-${i}`;
      return {
        id: `${spec.service}-${name}`,
        service: spec.service,
        name,
        description: spec.description ?? '',
        objective: objectiveOf(objective, `spec.objectives[${i}]`, source),
        periodDays,
        errorQuery,
        totalQuery,
        labels,
        // OpenSLO's alert policies are not supported; every SLO gets the workbook alerts under a name
        // derived from the service and SLO.
        alerting: {
          name: `${pascalCase(spec.service)}${pascalCase(name)}ErrorBudgetBurn`,
          labels: {},
          annotations: {},
          page: { enabled: true, labels: {}, annotations: {} },
          ticket: { enabled: true, labels: {}, annotations: {} },
        },
        spec: OPENSLO_API_VERSION,
      };
    });
  });
}
