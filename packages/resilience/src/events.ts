import type { Dispose } from './policy.js';

/**
 * A minimal typed event channel. Node's EventEmitter would do, but it costs a string lookup per emit
 * and offers nothing typed; policies emit from their hot path.
 */
export class Emitter<E> {
  private listeners: Array<(event: E) => void> = [];

  get size(): number {
    return this.listeners.length;
  }

  on(listener: (event: E) => void): Dispose {
    this.listeners = [...this.listeners, listener];
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: E): void {
    // Iterating a snapshot lets a listener dispose itself mid-emit without skipping its neighbour.
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(event);
      } catch (error) {
        // A broken metrics or logging listener must not turn a successful call into a failure.
        process.emitWarning(error instanceof Error ? error : String(error), 'ResilienceListenerError');
      }
    }
  }

  clear(): void {
    this.listeners = [];
  }
}
