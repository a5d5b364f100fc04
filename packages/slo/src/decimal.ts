/**
 * Just enough exact decimal arithmetic for objectives and budgets. Binary floats turn `1 - 0.99999` into
 * `0.00001000000000006551`, and that noise would end up in rule files, thresholds and the API. Numbers
 * enter through `String(n)`, the shortest text that round-trips, which is what the author of a spec typed.
 */
export interface Decimal {
  /** The value is `digits / 10 ** scale`. */
  readonly digits: bigint;
  readonly scale: number;
}

const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

export function decimal(value: number): Decimal {
  const match = NUMBER_TEXT.exec(String(value));
  if (match === null || !Number.isFinite(value)) {
    throw new RangeError(`Expected a finite number; got ${String(value)}`);
  }
  const [, sign, whole = '0', fraction = '', exponent = '0'] = match;
  let digits = BigInt(whole + fraction);
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits: sign === '-' ? -digits : digits, scale };
}

function aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.digits * 10n ** BigInt(scale - a.scale), b.digits * 10n ** BigInt(scale - b.scale), scale];
}

export function subtract(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = aligned(a, b);
  return { digits: x - y, scale };
}

export function multiply(a: Decimal, b: Decimal): Decimal {
  return { digits: a.digits * b.digits, scale: a.scale + b.scale };
}

/** Divides by a power of ten, which is exact: 99.9 % becomes 0.999 rather than 0.9990000000000001. */
export function shiftRight(a: Decimal, places: number): Decimal {
  return { digits: a.digits, scale: a.scale + places };
}

/** Plain positional notation with no trailing zeros, e.g. `0.00001`, `43.2`, `30`. */
export function formatDecimal(a: Decimal): string {
  const negative = a.digits < 0n;
  const text = (negative ? -a.digits : a.digits).toString().padStart(a.scale + 1, '0');
  const whole = text.slice(0, text.length - a.scale);
  const fraction = text.slice(text.length - a.scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** The nearest double to the exact value; equal to the literal a person would write for it. */
export function toNumber(a: Decimal): number {
  return Number(formatDecimal(a));
}
