/**
 * SLO windows are whole minutes, so they stay integers and every factor derived from them is one exact
 * division. Text uses Prometheus' units, largest first, so `1440` renders as `1d` like Sloth's record names.
 */
const MINUTES_PER_UNIT = { w: 7 * 24 * 60, d: 24 * 60, h: 60, m: 1 } as const;
type Unit = keyof typeof MINUTES_PER_UNIT;

export const MINUTES_PER_DAY = MINUTES_PER_UNIT.d;

const DURATION = /^([1-9]\d*)([wdhm])$/;

/** Minutes in a duration such as `5m`, `6h`, `28d` or `4w`; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  return Number(match[1]) * MINUTES_PER_UNIT[match[2] as Unit];
}

export function formatDuration(minutes: number): string {
  for (const unit of ['d', 'h'] as const) {
    if (minutes % MINUTES_PER_UNIT[unit] === 0) return `${minutes / MINUTES_PER_UNIT[unit]}${unit}`;
  }
  return `${minutes}m`;
}

/** Days in a duration of whole days (`30d`, `4w`); undefined for anything else. */
export function parseDays(text: string): number | undefined {
  const minutes = parseDuration(text);
  return minutes === undefined || minutes % MINUTES_PER_DAY !== 0 ? undefined : minutes / MINUTES_PER_DAY;
}
