import { type Static, Type } from '@sinclair/typebox';
import { SloSpecError } from './errors.js';
import { objectiveFromPercent } from './objective.js';
import type { SeverityAlerting, SloDefinition } from './slo-definition.js';
import { checkLabels, checkPattern, checkWindowPlaceholder, validate } from './spec-validation.js';

export const SLOTH_SPEC_VERSION = 'prometheus/v1';

const Labels = Type.Record(Type.String(), Type.String());
const strict = { additionalProperties: false } as const;

const SeverityOverridesSchema = Type.Object(
  {
    disable: Type.Optional(Type.Boolean()),
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Labels),
  },
  strict,
);

const SlothSloSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    objective: Type.Number(),
    description: Type.Optional(Type.String()),
    labels: Type.Optional(Labels),
    sli: Type.Object(
      {
        events: Type.Object(
          { error_query: Type.String({ minLength: 1 }), total_query: Type.String({ minLength: 1 }) },
          strict,
        ),
      },
      strict,
    ),
    alerting: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String({ minLength: 1 })),
          labels: Type.Optional(Labels),
          annotations: Type.Optional(Labels),
          page_alert: Type.Optional(SeverityOverridesSchema),
          ticket_alert: Type.Optional(SeverityOverridesSchema),
        },
        strict,
      ),
    ),
  },
  strict,
);

/** Sloth's `prometheus/v1` spec, minus `sli.raw` and `sli.plugin`, which cannot give a true period ratio. */
export const SlothSpecSchema = Type.Object(
  {
    version: Type.Literal(SLOTH_SPEC_VERSION),
    service: Type.String({ minLength: 1 }),
    labels: Type.Optional(Labels),
    slos: Type.Array(SlothSloSchema, { minItems: 1 }),
  },
  strict,
);
export type SlothSpec = Static<typeof SlothSpecSchema>;

export interface SpecOptions {
  /** Sloth specs carry no period; Sloth takes it from `--default-slo-period`, and so does our CLI. */
  periodDays: number;
  /** Shown in front of every error: the file name and document number. */
  source?: string;
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

/** Sloth SLI kinds that have no separate error and total counts, so no true period ratio. */
function rejectUnsupportedSli(document: unknown, source: string | undefined): void {
  const slos = (document as { slos?: unknown }).slos;
  if (!Array.isArray(slos)) return;
  slos.forEach((slo, i) => {
    for (const kind of ['raw', 'plugin']) {
      if ((slo as { sli?: Record<string, unknown> })?.sli?.[kind] !== undefined) {
        throw new SloSpecError(
          `slos[${i}].sli.${kind}`,
          'is not supported; use sli.events with error_query and total_query',
          source,
        );
      }
    }
  });
}

export function parseSlothSpec(document: unknown, options: SpecOptions): SloDefinition[] {
  const { source, periodDays } = options;
  rejectUnsupportedSli(document, source);
  const spec = validate(SlothSpecSchema, document, source);
  checkPattern(spec.service, 'service', source, 'slo');
  const specLabels = checkLabels(spec.labels, 'labels', source);
  return spec.slos.map((slo, i) => {
    const at = `slos[${i}]`;
    checkPattern(slo.name, `${at}.name`, source, 'slo');
    let objective: number;
    try {
      objective = objectiveFromPercent(slo.objective);
    } catch {
      throw new SloSpecError(
        `${at}.objective`,
        `must be a percentage strictly between 0 and 100, e.g. 99.9; got ${slo.objective}`,
        source,
      );
    }
    const page = severity(slo.alerting?.page_alert, `${at}.alerting.page_alert`, source);
    const ticket = severity(slo.alerting?.ticket_alert, `${at}.alerting.ticket_alert`, source);
    const alertName = slo.alerting?.name;
    if ((page.enabled || ticket.enabled) && alertName === undefined) {
      throw new SloSpecError(
        `${at}.alerting.name`,
        'is required unless both page_alert and ticket_alert have disable: true',
        source,
      );
    }
    if (alertName !== undefined) checkPattern(alertName, `${at}.alerting.name`, source, 'alert');
    return {
      id: `${spec.service}-${slo.name}`,
      service: spec.service,
      name: slo.name,
      description: slo.description ?? '',
      objective,
      periodDays,
      errorQuery: checkWindowPlaceholder(slo.sli.events.error_query, `${at}.sli.events.error_query`, source),
      totalQuery: checkWindowPlaceholder(slo.sli.events.total_query, `${at}.sli.events.total_query`, source),
      labels: { ...specLabels, ...checkLabels(slo.labels, `${at}.labels`, source) },
      alerting:
        alertName === undefined
          ? undefined
          : {
              name: alertName,
              labels: checkLabels(slo.alerting?.labels, `${at}.alerting.labels`, source),
              annotations: { ...slo.alerting?.annotations },
              page,
              ticket,
            },
      spec: SLOTH_SPEC_VERSION,
    };
  });
}
