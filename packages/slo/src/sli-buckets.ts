import { emptyCounts, SLI_WINDOWS, type SliCounts, type SliWindow } from './sli-windows.js';

/** The good and total events of one SLO in one minute; also a row of `slo_sli_minutes`. */
export interface SliMinute {
  slo: string;
  /** Start of the minute, ms since the epoch. */
  minute: number;
  good: number;
  total: number;
}

/**
 * Counts not yet written to the database, per SLO and minute. A flush drains them and, if the write fails,
 * puts them back, so every event is written exactly once, however many flushes it takes.
 */
export class SliBuckets {
  readonly #bySlo = new Map<string, Map<number, SliMinute>>();

  #bucket(slo: string, minute: number): SliMinute {
    let minutes = this.#bySlo.get(slo);
    if (minutes === undefined) {
      minutes = new Map();
      this.#bySlo.set(slo, minutes);
    }
    let bucket = minutes.get(minute);
    if (bucket === undefined) {
      bucket = { slo, minute, good: 0, total: 0 };
      minutes.set(minute, bucket);
    }
    return bucket;
  }

  add(slo: string, minute: number, good: boolean): void {
    const bucket = this.#bucket(slo, minute);
    bucket.total += 1;
    if (good) bucket.good += 1;
  }

  /** Takes every count out, for a flush. */
  drain(): SliMinute[] {
    const rows = [...this.#bySlo.values()].flatMap((minutes) => [...minutes.values()]);
    this.#bySlo.clear();
    return rows;
  }

  /** Puts back the counts of a failed flush, adding them to whatever arrived meanwhile. */
  restore(rows: readonly SliMinute[]): void {
    for (const row of rows) {
      const bucket = this.#bucket(row.slo, row.minute);
      bucket.good += row.good;
      bucket.total += row.total;
    }
  }

  /** Minutes waiting for a flush, over all SLOs. */
  get size(): number {
    let size = 0;
    for (const minutes of this.#bySlo.values()) size += minutes.size;
    return size;
  }

  /** One SLO's pending minutes. */
  minutes(slo: string): SliMinute[] {
    return [...(this.#bySlo.get(slo)?.values() ?? [])];
  }

  /** Sums per window of one SLO's pending counts; a bucket counts when its minute starts after the bound. */
  counts(slo: string, starts: Record<SliWindow, number>): SliCounts {
    const counts = emptyCounts();
    for (const bucket of this.#bySlo.get(slo)?.values() ?? []) {
      for (const w of SLI_WINDOWS) {
        if (bucket.minute > starts[w]) {
          counts[w].good += bucket.good;
          counts[w].total += bucket.total;
        }
      }
    }
    return counts;
  }
}
