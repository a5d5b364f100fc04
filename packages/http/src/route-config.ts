/**
 * The per-route settings every Steadfast package reads, declared once. Each package reads them in an `onRoute`
 * hook when the route is registered, never per request.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Health probes, metrics scrapes, SLO status and admin APIs: the routes operators and orchestrators depend on.
     * They are exempt from rate limits and load shedding, never targeted by chaos faults, and not counted by the
     * SLIs, so a throttled client, a busy instance or an experiment cannot make a healthy instance look dead.
     */
    operational?: boolean;
    /** Log this route's requests at debug rather than info (probes and scrapes arrive every few seconds). */
    quietLogs?: boolean;
    /** The route needs `Authorization: Bearer <token>`; OpenAPI documents it under the bearerAuth scheme. */
    bearerAuth?: boolean;
    /**
     * The OAuth 2 scope a caller's bearer JWT must grant (`users:read`); `@steadfast/auth`'s JWT plugin checks it
     * and OpenAPI documents it. Every `/v1` domain route declares one.
     */
    scope?: string;
    /**
     * Set by `@steadfast/slo` on the routes its live SLIs count (never on operational routes). The kit's request
     * metrics carry it as the `sli` label, so the Prometheus SLO specs count exactly the same requests.
     */
    sli?: boolean;
    /**
     * A response that stays open (Server-Sent Events, long polls): the socket's idle timeout is lifted for it, so a
     * quiet stream is not cut. The request timeout already ends once the request is received, so it never cuts a
     * response; such a route bounds itself (streams per client, heartbeats, dropping a client that does not read).
     */
    longLived?: boolean;
  }
}

/** The config of a probe or scrape route: operational, and quiet in the logs. */
export const OPERATIONAL_ROUTE_CONFIG = { operational: true, quietLogs: true } as const;

/**
 * A route's own hooks of one kind as a list, whatever form they were given in (none, one, a list), so a plugin's
 * `onRoute` hook can put its own before or after them.
 */
export const routeHooks = <H>(hooks: H | readonly H[] | undefined): H[] =>
  hooks === undefined ? [] : Array.isArray(hooks) ? [...hooks] : [hooks as H];
