import { propagationHeaders } from './request-context.js';

/**
 * `fetch` for calls to other services: adds the current request's `traceparent` and `x-request-id`
 * (headers the caller set explicitly win).
 */
export function tracedFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(propagationHeaders())) {
    if (!headers.has(name)) headers.set(name, value);
  }
  return fetch(input, { ...init, headers });
}
