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

const MINUTES_PER_YEAR = 365 * MINUTES_PER_UNIT.d;

/**
 * Prometheus' own rendering, which Sloth's record names use: years and weeks only when they divide
 * exactly (28d is `4w`, 7d is `1w`, 30d stays `30d`), then days, hours and minutes, largest first (90m is
 * `1h30m`).
 */
export function formatDuration(minutes: number): string {
  const { w, d, h } = MINUTES_PER_UNIT;
  if (minutes > 0 && minutes % MINUTES_PER_YEAR === 0) return `${minutes / MINUTES_PER_YEAR}y`;
  if (minutes > 0 && minutes % w === 0) return `${minutes / w}w`;
  let text = '';
  let rest = minutes;
  for (const [unit, size] of [
    ['d', d],
    ['h', h],
  ] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return rest > 0 || text === '' ? `${text}${rest}m` : text;
}

/** Days in a duration of whole days (`30d`, `4w`); undefined for anything else. */
export function parseDays(text: string): number | undefined {
  const minutes = parseDuration(text);
  return minutes === undefined || minutes % MINUTES_PER_DAY !== 0 ? undefined : minutes / MINUTES_PER_DAY;
}
