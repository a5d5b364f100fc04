import { type Static, type TObject, Type } from '@sinclair/typebox';
import { configFragment } from '@steadfast/http';
import { DEFAULT_FLUSH_INTERVAL_MS, MIN_FLUSH_INTERVAL_MS, type SloPluginOptions } from './plugin.js';

/** The SLO plugin's environment variables. */
export const sloConfig = configFragment({
  SLI_FLUSH_INTERVAL_MS: Type.Integer({
    minimum: MIN_FLUSH_INTERVAL_MS,
    default: DEFAULT_FLUSH_INTERVAL_MS,
    description: 'How often SLI counts are written to PostgreSQL (a crash loses at most this much)',
  }),
});

export type SloConfig = Static<TObject<typeof sloConfig.properties>>;

/** The plugin options these variables set (the SLOs and the database come from the service). */
export function sloOptionsFrom(config: SloConfig): Pick<SloPluginOptions, 'flushIntervalMs'> {
  return { flushIntervalMs: config.SLI_FLUSH_INTERVAL_MS };
}
