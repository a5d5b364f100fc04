import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { describeFault, type EndReason, type Fault } from './fault.js';
import type { StopRecord } from './stop-condition.js';

/** Where experiments are announced (incidents-api's `/v1/integrations/chaos`), and as which service. */
export interface AnnounceOptions {
  url: string;
  token: string;
  service: string;
  /** Budget of one attempt (ms). */
  timeoutMs?: number;
  /** Attempts after the first, each after twice the previous wait. */
  retries?: number;
  /** Wait before the first retry (ms). */
  backoffMs?: number;
}

export const DEFAULT_ANNOUNCE_TIMEOUT_MS = 2000;
export const DEFAULT_ANNOUNCE_RETRIES = 3;
export const DEFAULT_ANNOUNCE_BACKOFF_MS = 250;

/** How the receiver is told an experiment ended. */
export type EndedBy = 'expired' | 'deleted' | 'kill-switch' | 'stop-condition';

const ENDED_BY: Record<EndReason, EndedBy> = {
  expired: 'expired',
  removed: 'deleted',
  replaced: 'deleted',
  killed: 'kill-switch',
  'stopped by condition': 'stop-condition',
};

/** The body of one announcement; the receiver keeps one per (experimentId, event), so every replica may send. */
export interface Announcement {
  event: 'started' | 'ended';
  experimentId: string;
  service: string;
  description: string;
  at: string;
  endsAt?: string;
  endedBy?: EndedBy;
  stopCondition?: StopRecord;
}

export interface Announcer {
  started(fault: Fault): void;
  ended(faults: readonly Fault[], reason: EndReason, verdict?: StopRecord): void;
  /** Abandons what is still being sent, and resolves once it has stopped. */
  close(): Promise<void>;
}

/**
 * Best effort: each announcement is sent in the background with a bounded timeout and a few retries with
 * backoff; it never delays nor fails the change it announces. A failure after the last retry is a log line and
 * `chaos_announcements_failed_total`.
 */
export function announcer(
  options: AnnounceOptions,
  context: { log: FastifyBaseLogger; failed: (event: Announcement['event']) => void },
): Announcer {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ANNOUNCE_TIMEOUT_MS;
  const retries = options.retries ?? DEFAULT_ANNOUNCE_RETRIES;
  const backoffMs = options.backoffMs ?? DEFAULT_ANNOUNCE_BACKOFF_MS;
  const closing = new AbortController();
  const pending = new Set<Promise<void>>();

  const attempt = async (body: Announcement) => {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${options.url} answered ${response.status}`);
  };

  const deliver = async (body: Announcement) => {
    let lastError: unknown;
    for (let i = 0; i <= retries && !closing.signal.aborted; i++) {
      try {
        if (i > 0) await sleep(backoffMs * 2 ** (i - 1), undefined, { signal: closing.signal });
        await attempt(body);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    context.failed(body.event);
    context.log.warn(
      { err: lastError, event: body.event, experimentId: body.experimentId },
      'chaos: could not announce the experiment',
    );
  };

  const send = (body: Announcement) => {
    const delivery = deliver(body).finally(() => pending.delete(delivery));
    pending.add(delivery);
  };

  return {
    started(fault) {
      send({
        event: 'started',
        experimentId: fault.id,
        service: options.service,
        description: describeFault(fault),
        at: fault.createdAt.toISOString(),
        endsAt: fault.expiresAt.toISOString(),
      });
    },
    ended(faults, reason, verdict) {
      const at = new Date().toISOString();
      for (const fault of faults) {
        send({
          event: 'ended',
          experimentId: fault.id,
          service: options.service,
          description: describeFault(fault),
          at,
          endedBy: ENDED_BY[reason],
          ...(verdict === undefined
            ? {}
            : {
                stopCondition: {
                  description: verdict.description,
                  value: verdict.value,
                  threshold: verdict.threshold,
                },
              }),
        });
      }
    },
    async close() {
      closing.abort();
      await Promise.allSettled([...pending]);
    },
  };
}
