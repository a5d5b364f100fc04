import { type Static, type TObject, Type } from '@sinclair/typebox';
import { MIN_TOKEN_LENGTH } from '@steadfast/auth';
import { configFragment, describeValue } from '@steadfast/http';
import {
  type ChaosPluginOptions,
  DEFAULT_MAX_ACTIVE_FAULTS,
  DEFAULT_MAX_DURATION_SECONDS,
} from './plugin.js';

/** The chaos plugin's environment variables: off unless CHAOS_ENABLED, and then only with a strong token. */
export const chaosConfig = configFragment(
  {
    CHAOS_ENABLED: Type.Boolean({
      default: false,
      description: 'Allow fault injection through /admin/chaos',
    }),
    CHAOS_ADMIN_TOKEN: Type.Optional(
      Type.String({
        description: `Bearer token for /admin/chaos; at least ${MIN_TOKEN_LENGTH} characters, required when chaos is enabled`,
      }),
    ),
    CHAOS_MAX_DURATION_S: Type.Integer({
      minimum: 1,
      default: DEFAULT_MAX_DURATION_SECONDS,
      description: 'Longest a fault may live',
    }),
    CHAOS_MAX_ACTIVE_FAULTS: Type.Integer({
      minimum: 1,
      default: DEFAULT_MAX_ACTIVE_FAULTS,
      description: 'Cap on active faults',
    }),
    CHAOS_HEADER_TARGETING: Type.Boolean({
      default: false,
      description: 'Allow faults that target x-chaos-fault requests',
    }),
    CHAOS_ANNOUNCE_URL: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description:
          'Where each experiment’s start and end are POSTed (incidents-api /v1/integrations/chaos)',
      }),
    ),
    CHAOS_ANNOUNCE_TOKEN: Type.Optional(
      Type.String({
        description: `Bearer token of CHAOS_ANNOUNCE_URL (incidents-api's INTEGRATION_TOKEN), at least ${MIN_TOKEN_LENGTH} characters`,
      }),
    ),
  },
  [
    (config) =>
      config.CHAOS_ENABLED && (config.CHAOS_ADMIN_TOKEN?.length ?? 0) < MIN_TOKEN_LENGTH
        ? `CHAOS_ADMIN_TOKEN: must be at least ${MIN_TOKEN_LENGTH} characters when CHAOS_ENABLED=true (${describeValue('CHAOS_ADMIN_TOKEN', config.CHAOS_ADMIN_TOKEN)})`
        : undefined,
    (config) =>
      (config.CHAOS_ANNOUNCE_URL === undefined) !== (config.CHAOS_ANNOUNCE_TOKEN === undefined)
        ? 'CHAOS_ANNOUNCE_URL and CHAOS_ANNOUNCE_TOKEN: set both or neither'
        : undefined,
    (config) =>
      config.CHAOS_ANNOUNCE_TOKEN !== undefined && config.CHAOS_ANNOUNCE_TOKEN.length < MIN_TOKEN_LENGTH
        ? `CHAOS_ANNOUNCE_TOKEN: must be at least ${MIN_TOKEN_LENGTH} characters (${describeValue('CHAOS_ANNOUNCE_TOKEN', config.CHAOS_ANNOUNCE_TOKEN)})`
        : undefined,
  ],
);

export type ChaosConfig = Static<TObject<typeof chaosConfig.properties>>;

/**
 * The plugin options these variables set (the database, metrics and SLOs come from the service); `service` names
 * the service in announcements.
 */
export function chaosOptionsFrom(
  config: ChaosConfig,
  { service }: { service: string },
): Pick<
  ChaosPluginOptions,
  'enabled' | 'adminToken' | 'maxDurationSeconds' | 'maxActiveFaults' | 'headerTargeting' | 'announce'
> {
  return {
    ...(config.CHAOS_ANNOUNCE_URL !== undefined && config.CHAOS_ANNOUNCE_TOKEN !== undefined
      ? { announce: { url: config.CHAOS_ANNOUNCE_URL, token: config.CHAOS_ANNOUNCE_TOKEN, service } }
      : {}),
    enabled: config.CHAOS_ENABLED,
    adminToken: config.CHAOS_ADMIN_TOKEN ?? '',
    maxDurationSeconds: config.CHAOS_MAX_DURATION_S,
    maxActiveFaults: config.CHAOS_MAX_ACTIVE_FAULTS,
    headerTargeting: config.CHAOS_HEADER_TARGETING,
  };
}
