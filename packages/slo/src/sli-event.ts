import type { LiveSlo } from './live-slo.js';

/** One answered request, as the SLIs see it. */
export interface ServedRequest {
  method: string;
  /** The route template (`/users/:id`); undefined when no route matched. */
  route: string | undefined;
  statusCode: number;
  /** From the request's arrival to the end of the response. */
  durationMs: number;
}

/** The latency threshold that applies to a request: the route's (method-specific first), else the SLO's. */
export function thresholdFor(slo: LiveSlo, request: ServedRequest): number | null {
  if (slo.thresholdMs === null || request.route === undefined) return slo.thresholdMs;
  return (
    slo.routeThresholdsMs.get(`${request.method} ${request.route}`) ??
    slo.routeThresholdsMs.get(request.route) ??
    slo.thresholdMs
  );
}

/**
 * Availability: good unless the final status is a 5xx, whatever produced it (a handler, a timeout, a
 * breaker, injected chaos): the user saw the failure. Latency: good when answered within the threshold,
 * whatever the status, as in the Prometheus rules (a fast 5xx spends only the availability budget; a slow
 * one spends both).
 */
export function isGood(slo: LiveSlo, request: ServedRequest): boolean {
  if (slo.kind === 'availability') return request.statusCode < 500;
  return request.durationMs <= (thresholdFor(slo, request) ?? Number.POSITIVE_INFINITY);
}
