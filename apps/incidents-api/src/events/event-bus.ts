import { EventEmitter } from 'node:events';
import type { IncidentEvent } from './incident-event.js';

export type IncidentEventListener = (event: IncidentEvent) => void;

// Enough to recognise an event that arrives twice (from this process and from the relay) within seconds.
const REMEMBERED_IDS = 10_000;

/**
 * In-process fan-out of committed incident events to the open streams of this replica. An event reaches the bus
 * from the transaction that stored it and, through LISTEN/NOTIFY, from the relay: each id is delivered once.
 */
export class IncidentEventBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  readonly #seen = new Set<number>();

  publish(events: readonly IncidentEvent[]): void {
    for (const event of events) {
      if (this.#seen.has(event.id)) continue;
      this.#seen.add(event.id);
      if (this.#seen.size > REMEMBERED_IDS) this.#seen.delete(this.#seen.values().next().value as number);
      this.#emitter.emit('event', event);
    }
  }

  /** Returns the function that stops the listener. */
  subscribe(listener: IncidentEventListener): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }
}
