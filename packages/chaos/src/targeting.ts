import type { Fault } from './fault.js';

/** The header naming the faults a request opts into, comma-separated, when `headerTargeting` is on. */
export const FAULT_HEADER = 'x-chaos-fault';

/** What the decision needs to know about an incoming request. */
export interface RequestFacts {
  method: string;
  /** The matched Fastify route template, such as `/v1/users/:id`. */
  route: string;
  /** The request path without its query string, such as `/v1/users/42`. */
  path: string;
  /** Fault ids from the `x-chaos-fault` header; undefined when header targeting is off. */
  faultIds?: ReadonlySet<string>;
}

/** Counts the character comparisons of a match, so a test can bound the work without timing it. */
export interface MatchMeter {
  steps: number;
}

/** Where `part` first occurs in `value` within [from, to), comparing character by character. */
function indexWithin(value: string, part: string, from: number, to: number, meter?: MatchMeter): number {
  for (let start = from; start + part.length <= to; start++) {
    let matched = 0;
    while (matched < part.length) {
      if (meter) meter.steps++;
      if (value.charCodeAt(start + matched) !== part.charCodeAt(matched)) break;
      matched++;
    }
    if (matched === part.length) return start;
  }
  return -1;
}

/**
 * `*` matches any run of characters (slashes included); everything else matches itself. The literal parts between
 * stars are found left to right, each at its first place after the previous one: taking the earliest place never
 * loses a match, so no star is ever reconsidered and the work is at most value × pattern comparisons, where a
 * backtracking regular expression is exponential in the number of stars.
 */
export function globMatches(pattern: string, value: string, meter?: MatchMeter): boolean {
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  if (parts.length === 1) return pattern === value;
  const last = parts[parts.length - 1] ?? '';
  const end = value.length - last.length;
  if (end < first.length) return false;
  if (indexWithin(value, first, 0, first.length, meter) !== 0) return false;
  if (indexWithin(value, last, end, value.length, meter) !== end) return false;
  let position = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = indexWithin(value, part, position, end, meter);
    if (found < 0) return false;
    position = found + part.length;
  }
  return true;
}

/** A route pattern matches the route template or the concrete path, so both `/v1/users/:id` and `/v1/users/42` work. */
export function routeMatches(pattern: string, route: string, path: string): boolean {
  return globMatches(pattern, route) || globMatches(pattern, path);
}

/** Whether an HTTP fault's target covers the request (probability aside). */
export function targetsRequest(fault: Fault, request: RequestFacts): boolean {
  const { target } = fault;
  if (target.dependency !== undefined) return false;
  if (target.method !== undefined && target.method !== request.method.toUpperCase()) return false;
  if (target.route !== undefined && !routeMatches(target.route, request.route, request.path)) return false;
  if (target.header === true && !(request.faultIds?.has(fault.id) ?? false)) return false;
  return true;
}

/** Whether a dependency fault covers a call to the named dependency. */
export function targetsDependency(fault: Fault, dependency: string): boolean {
  return fault.target.dependency !== undefined && globMatches(fault.target.dependency, dependency);
}

/** The ids in an `x-chaos-fault` header value. */
export function parseFaultHeader(value: string | string[] | undefined): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  return new Set(
    joined
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
  );
}
