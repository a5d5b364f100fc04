import { Type } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import type { AlertSeverity, AlertTier, AlertWindowDefinition } from './alert-windows.js';
import { formatDuration, MINUTES_PER_DAY, parseDays, parseDuration } from './duration.js';
import { SloSpecError } from './errors.js';
import { SLOTH_CRD_API_VERSION } from './sloth-spec.js';
import { validate } from './spec-validation.js';

export const ALERT_WINDOWS_KIND = 'AlertWindows';

const strict = { additionalProperties: false } as const;
const WindowSchema = Type.Object(
  {
    errorBudgetPercent: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    shortWindow: Type.String(),
    longWindow: Type.String(),
  },
  strict,
);
const SeveritySchema = Type.Object({ quick: WindowSchema, slow: WindowSchema }, strict);

/** Sloth's `AlertWindows` (`sloth.slok.dev/v1`): the four tiers' windows and budget shares for one period. */
export const AlertWindowsSchema = Type.Object(
  {
    apiVersion: Type.Literal(SLOTH_CRD_API_VERSION),
    kind: Type.Literal(ALERT_WINDOWS_KIND),
    spec: Type.Object({ sloPeriod: Type.String(), page: SeveritySchema, ticket: SeveritySchema }, strict),
  },
  { additionalProperties: true },
);

export interface PeriodAlertWindows {
  periodDays: number;
  definitions: AlertWindowDefinition<string>[];
}

const TIERS: Record<'quick' | 'slow', 'fast' | 'slow'> = { quick: 'fast', slow: 'slow' };

/** Reads AlertWindows documents; a file may hold several, one per period. */
export function parseAlertWindows(text: string, source: string): PeriodAlertWindows[] {
  return parseAllDocuments(text).flatMap((doc, i, all) => {
    const where = all.length > 1 ? `${source} (document ${i + 1})` : source;
    const [error] = doc.errors;
    if (error !== undefined) throw new SloSpecError('(yaml)', error.message.split('\n')[0] ?? '', where);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return [];
    const { spec } = validate(AlertWindowsSchema, value, where);
    const periodDays = parseDays(spec.sloPeriod);
    if (periodDays === undefined) {
      throw new SloSpecError(
        'spec.sloPeriod',
        `must be whole days such as 30d or 4w; got ${JSON.stringify(spec.sloPeriod)}`,
        where,
      );
    }
    const definitions = (['page', 'ticket'] as const).flatMap((severity: AlertSeverity) =>
      (['quick', 'slow'] as const).map((speed): AlertWindowDefinition<string> => {
        const w = spec[severity][speed];
        const field = `spec.${severity}.${speed}`;
        const duration = (key: 'shortWindow' | 'longWindow'): string => {
          const minutes = parseDuration(w[key]);
          if (minutes === undefined || minutes > periodDays * MINUTES_PER_DAY) {
            throw new SloSpecError(
              `${field}.${key}`,
              `must be a duration such as 5m or 1h, at most ${spec.sloPeriod}; got ${JSON.stringify(w[key])}`,
              where,
            );
          }
          return formatDuration(minutes);
        };
        const [shortWindow, longWindow] = [duration('shortWindow'), duration('longWindow')];
        if (parseDuration(shortWindow)! >= parseDuration(longWindow)!) {
          throw new SloSpecError(
            `${field}.shortWindow`,
            `must be shorter than longWindow (${longWindow}); got ${shortWindow}`,
            where,
          );
        }
        return {
          severity,
          tier: `${severity}-${TIERS[speed]}` as AlertTier,
          longWindow,
          shortWindow,
          budgetPercent: w.errorBudgetPercent,
        };
      }),
    );
    return [{ periodDays, definitions }];
  });
}
