import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Publish } from '../incidents/effects.js';
import { unresolvedIncidentIdsOfService } from '../incidents/incident.repository.js';
import { type IncidentServiceOptions, runCommands } from '../incidents/incident.service.js';
import { type ExperimentAnnouncement, experimentMessage } from './experiment.js';
import { insertExperimentEventOnce } from './experiment.repository.js';

/** Unresolved incidents of one service that an announcement reaches; more than this is no incident any more. */
const INCIDENTS_PER_ANNOUNCEMENT = 100;

/**
 * What chaos tells us about its experiments. Each (experiment, event) is stored once, in the transaction that
 * writes it onto the timeline of every unresolved incident on the experiment's service; a re-send (every chaos
 * replica may send) changes nothing.
 */
export function experimentService(db: Kysely<Database>, publish: Publish, options: IncidentServiceOptions) {
  return {
    /** Whether the announcement was new. */
    announce(announcement: ExperimentAnnouncement): Promise<boolean> {
      return runCommands(db, publish, options, async (commands, trx) => {
        if (!(await insertExperimentEventOnce(trx, announcement))) return false;
        const kind = announcement.event === 'started' ? 'experiment_started' : 'experiment_ended';
        const details = {
          experimentId: announcement.experimentId,
          service: announcement.service,
          at: announcement.at,
          ...(announcement.endsAt ? { endsAt: announcement.endsAt } : {}),
          ...(announcement.endedBy ? { endedBy: announcement.endedBy } : {}),
          ...(announcement.stopCondition ? { stopCondition: announcement.stopCondition } : {}),
        };
        const ids = await unresolvedIncidentIdsOfService(
          trx,
          announcement.service,
          INCIDENTS_PER_ANNOUNCEMENT,
        );
        for (const id of ids) {
          await commands.record(id, kind, experimentMessage(announcement), details);
          await commands.touch(id);
        }
        return true;
      });
    },
  };
}

export type ExperimentService = ReturnType<typeof experimentService>;
