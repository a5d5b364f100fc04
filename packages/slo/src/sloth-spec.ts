import { type Static, Type } from '@sinclair/typebox';
import { isSloSpecError, SloSpecError } from './errors.js';
import { objectiveFromPercent } from './objective.js';
import type { SeverityAlerting, SliQueries, SloDefinition } from './slo-definition.js';
import { pluginQueries } from './sloth-plugins.js';
import {
  checkDistinct,
  checkLabels,
  checkPattern,
  checkQuery,
  LabelsSchema,
  validate,
} from './spec-validation.js';

export const SLOTH_SPEC_VERSION = 'prometheus/v1';
export const SLOTH_CRD_API_VERSION = 'sloth.slok.dev/v1';
export const SLOTH_CRD_KIND = 'PrometheusServiceLevel';

const Annotations = Type.Record(Type.String(), Type.String());
const strict = { additionalProperties: false } as const;

const SeverityOverridesSchema = Type.Object(
  {
    disable: Type.Optional(Type.Boolean()),
    labels: Type.Optional(LabelsSchema),
    annotations: Type.Optional(Annotations),
  },
  strict,
);

const SliSchema = Type.Object(
  {
    events: Type.Optional(
      Type.Object(
        { error_query: Type.String({ minLength: 1 }), total_query: Type.String({ minLength: 1 }) },
        strict,
      ),
    ),
    raw: Type.Optional(Type.Object({ error_ratio_query: Type.String({ minLength: 1 }) }, strict)),
    plugin: Type.Optional(
      Type.Object(
        {
          id: Type.String({ minLength: 1 }),
          options: Type.Optional(LabelsSchema),
        },
        strict,
      ),
    ),
  },
  strict,
);

const SlothSloSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    objective: Type.Number(),
    description: Type.Optional(Type.String()),
    labels: Type.Optional(LabelsSchema),
    sli: SliSchema,
    alerting: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String({ minLength: 1 })),
          labels: Type.Optional(LabelsSchema),
          annotations: Type.Optional(Annotations),
          page_alert: Type.Optional(SeverityOverridesSchema),
          ticket_alert: Type.Optional(SeverityOverridesSchema),
        },
        strict,
      ),
    ),
  },
  strict,
);

/** Sloth's `prometheus/v1` spec. Sloth's SLO plugins (`slo_plugins`, `plugins`) are refused by name. */
export const SlothSpecSchema = Type.Object(
  {
    version: Type.Literal(SLOTH_SPEC_VERSION),
    service: Type.String({ minLength: 1 }),
    labels: Type.Optional(LabelsSchema),
    slos: Type.Array(SlothSloSchema, { minItems: 1 }),
  },
  strict,
);
export type SlothSpec = Static<typeof SlothSpecSchema>;
type SlothSlo = Static<typeof SlothSloSchema>;

export interface SpecOptions {
  /** Sloth specs carry no period; Sloth takes it from `--default-slo-period`, and so does our CLI. */
  periodDays: number;
  /** Shown in front of every error: the file name and document number. */
  source?: string;
  /**
   * Collects the errors of single SLOs, which are then left out, so `validate` can report every bad SLO of
   * a file; without it the first error throws.
   */
  problems?: SloSpecError[];
}

function severity(
  overrides: Static<typeof SeverityOverridesSchema> | undefined,
  field: string,
  source: string | undefined,
): SeverityAlerting {
  return {
    enabled: overrides?.disable !== true,
    labels: checkLabels(overrides?.labels, `${field}.labels`, source),
    annotations: { ...overrides?.annotations },
  };
}

/** Sloth's SLO plugins rewrite the generated rules with Go code: there is nothing to run them with. */
function rejectSloPlugins(document: unknown, names: Names, source: string | undefined): void {
  const spec = document as { slo_plugins?: unknown; slos?: unknown };
  if (spec.slo_plugins !== undefined) {
    throw new SloSpecError(names('slo_plugins'), 'Sloth SLO plugins are not supported', source);
  }
  if (!Array.isArray(spec.slos)) return;
  spec.slos.forEach((slo, i) => {
    if ((slo as { plugins?: unknown })?.plugins !== undefined) {
      throw new SloSpecError(names(`slos[${i}].plugins`), 'Sloth SLO plugins are not supported', source);
    }
  });
}

function sliQueries(sli: SlothSlo['sli'], at: string, names: Names, source: string | undefined): SliQueries {
  const kinds = (['events', 'raw', 'plugin'] as const).filter((kind) => sli[kind] !== undefined);
  if (kinds.length !== 1) {
    throw new SloSpecError(
      names(`${at}.sli`),
      `needs exactly one of events, raw and plugin; got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
      source,
    );
  }
  if (sli.raw !== undefined) {
    const field = names(`${at}.sli.raw.error_ratio_query`);
    return { errorRatioQuery: checkQuery(sli.raw.error_ratio_query, field, source) };
  }
  const queries =
    sli.plugin !== undefined
      ? pluginQueries(sli.plugin.id, sli.plugin.options, names(`${at}.sli.plugin`), source)
      : { errorQuery: sli.events!.error_query, totalQuery: sli.events!.total_query };
  if (!('errorQuery' in queries)) return queries;
  const [errorField, totalField] = [
    names(`${at}.sli.events.error_query`),
    names(`${at}.sli.events.total_query`),
  ];
  checkQuery(queries.errorQuery, errorField, source);
  checkQuery(queries.totalQuery, totalField, source);
  checkDistinct(queries.errorQuery, queries.totalQuery, errorField, totalField, source);
  return queries;
}

function sloDefinition(
  spec: SlothSpec,
  slo: SlothSlo,
  i: number,
  specLabels: Record<string, string>,
  names: Names,
  options: SpecOptions,
  format: SloDefinition['spec'],
): SloDefinition {
  const { source, periodDays } = options;
  const at = `slos[${i}]`;
  checkPattern(slo.name, names(`${at}.name`), source, 'slo');
  let objective: number;
  try {
    objective = objectiveFromPercent(slo.objective);
  } catch {
    throw new SloSpecError(
      names(`${at}.objective`),
      `must be a percentage strictly between 0 and 100, e.g. 99.9; got ${slo.objective}`,
      source,
    );
  }
  const page = severity(slo.alerting?.page_alert, names(`${at}.alerting.page_alert`), source);
  const ticket = severity(slo.alerting?.ticket_alert, names(`${at}.alerting.ticket_alert`), source);
  const alertName = slo.alerting?.name;
  if ((page.enabled || ticket.enabled) && alertName === undefined) {
    throw new SloSpecError(
      names(`${at}.alerting.name`),
      `is required unless both ${names('page_alert')} and ${names('ticket_alert')} have disable: true`,
      source,
    );
  }
  if (alertName !== undefined) checkPattern(alertName, names(`${at}.alerting.name`), source, 'alert');
  return {
    id: `${spec.service}-${slo.name}`,
    service: spec.service,
    name: slo.name,
    description: slo.description ?? '',
    objective,
    periodDays,
    sli: sliQueries(slo.sli, at, names, source),
    labels: { ...specLabels, ...checkLabels(slo.labels, names(`${at}.labels`), source) },
    alerting:
      alertName === undefined
        ? undefined
        : {
            name: alertName,
            labels: checkLabels(slo.alerting?.labels, names(`${at}.alerting.labels`), source),
            annotations: { ...slo.alerting?.annotations },
            page,
            ticket,
          },
    spec: format,
  };
}

/** Turns a field of the snake_case schema into the name the document uses. */
type Names = (field: string) => string;
const SAME: Names = (field) => field;

function parseSloth(document: unknown, options: SpecOptions, names: Names, format: SloDefinition['spec']) {
  const { source, problems } = options;
  rejectSloPlugins(document, names, source);
  let spec: SlothSpec;
  try {
    spec = validate(SlothSpecSchema, document, source);
  } catch (error) {
    if (isSloSpecError(error)) throw new SloSpecError(names(error.field), error.detail, source);
    throw error;
  }
  checkPattern(spec.service, names('service'), source, 'slo');
  const specLabels = checkLabels(spec.labels, names('labels'), source);
  return spec.slos.flatMap((slo, i) => {
    try {
      // Errors of one SLO name it, so a file of many SLOs says which one is wrong.
      const where = { ...options, source: `${source ?? 'spec'}: slo ${slo.name}` };
      return [sloDefinition(spec, slo, i, specLabels, names, where, format)];
    } catch (error) {
      if (problems === undefined || !isSloSpecError(error)) throw error;
      problems.push(error);
      return [];
    }
  });
}

export function parseSlothSpec(document: unknown, options: SpecOptions): SloDefinition[] {
  return parseSloth(document, options, SAME, SLOTH_SPEC_VERSION);
}

/** The Kubernetes CRD writes the same spec in camelCase under `spec`. */
const CRD_KEYS: Record<string, string> = {
  error_query: 'errorQuery',
  total_query: 'totalQuery',
  error_ratio_query: 'errorRatioQuery',
  page_alert: 'pageAlert',
  ticket_alert: 'ticketAlert',
  slo_plugins: 'sloPlugins',
};
const SNAKE_KEYS = Object.fromEntries(Object.entries(CRD_KEYS).map(([snake, camel]) => [camel, snake]));

const crdNames: Names = (field) => `spec.${field.replace(/[a-z_]+/g, (part) => CRD_KEYS[part] ?? part)}`;

/** Keys under these are the user's own (label names, plugin options), never renamed. */
const USER_MAPS = new Set(['labels', 'annotations', 'options']);

function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [SNAKE_KEYS[key] ?? key, USER_MAPS.has(key) ? v : snakeKeys(v)]),
  );
}

const CrdSchema = Type.Object({
  apiVersion: Type.Literal(SLOTH_CRD_API_VERSION),
  kind: Type.Literal(SLOTH_CRD_KIND),
  metadata: Type.Object({ name: Type.String({ minLength: 1 }), namespace: Type.Optional(Type.String()) }),
  spec: Type.Object({}),
});

/** A `sloth.slok.dev/v1` `PrometheusServiceLevel`, as Sloth's Kubernetes controller and CLI read it. */
export function parseSlothCrd(document: unknown, options: SpecOptions): SloDefinition[] {
  const crd = validate(CrdSchema, document, options.source);
  const spec = snakeKeys(crd.spec) as Record<string, unknown>;
  const definitions = parseSloth(
    { version: SLOTH_SPEC_VERSION, ...spec },
    options,
    crdNames,
    SLOTH_CRD_API_VERSION,
  );
  const origin = { name: crd.metadata.name, namespace: crd.metadata.namespace };
  return definitions.map((slo) => ({ ...slo, origin }));
}
