import type {
  ExperimentEndedBy,
  ExperimentEventKind,
  ExperimentEventRow,
  StopCondition,
} from '../db/schema.js';

/** What chaos announces about one experiment (POST /v1/integrations/chaos). */
export interface ExperimentAnnouncement {
  event: ExperimentEventKind;
  experimentId: string;
  /** The service the fault runs on, by its catalog name. */
  service: string;
  description: string;
  at: string;
  /** For `started`: when the experiment expires by itself. */
  endsAt?: string | undefined;
  endedBy?: ExperimentEndedBy | undefined;
  stopCondition?: StopCondition | undefined;
}

/** An experiment as a review lists it: when it started and ended, as far as chaos told us. */
export interface Experiment {
  experimentId: string;
  service: string;
  description: string;
  startedAt: string | null;
  /** When it ended, or when it was due to expire if no end was announced. */
  endedAt: string | null;
  endedBy: ExperimentEndedBy | null;
  stopCondition: StopCondition | null;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** The timeline's words for an announcement. */
export function experimentMessage(
  a: Pick<ExperimentAnnouncement, 'event' | 'experimentId' | 'description' | 'endedBy' | 'stopCondition'>,
) {
  if (a.event === 'started') return `experiment ${a.experimentId} started: ${a.description}`;
  const stop = a.stopCondition
    ? `: ${a.stopCondition.description} at ${a.stopCondition.value} (threshold ${a.stopCondition.threshold})`
    : '';
  return a.endedBy
    ? `experiment ${a.experimentId} ended (${a.endedBy}${stop})`
    : `experiment ${a.experimentId} ended`;
}

/** Pairs an experiment's stored events (a started one, an ended one, or both). */
export function toExperiment(
  started: ExperimentEventRow | undefined,
  ended: ExperimentEventRow | undefined,
): Experiment {
  const first = (started ?? ended) as ExperimentEventRow;
  return {
    experimentId: first.experiment_id,
    service: first.service,
    description: started?.description ?? first.description,
    startedAt: started ? iso(started.at) : null,
    endedAt: ended ? iso(ended.at) : iso(started?.ends_at ?? null),
    endedBy: ended?.ended_by ?? null,
    stopCondition: ended?.stop_condition ?? null,
  };
}
