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

const compiled = new Map<string, RegExp>();
const MAX_COMPILED = 1000;

/** `*` matches any run of characters (slashes included); everything else matches itself. */
export function globToRegExp(pattern: string): RegExp {
  let regexp = compiled.get(pattern);
  if (regexp === undefined) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regexp = new RegExp(`^${source}$`);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, regexp);
  }
  return regexp;
}

export function globMatches(pattern: string, value: string): boolean {
  return pattern.includes('*') ? globToRegExp(pattern).test(value) : pattern === value;
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
