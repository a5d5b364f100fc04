import { Type } from '@sinclair/typebox';
import { DEFAULT_MAX_DURATION_SECONDS } from '@steadfast/chaos';
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_READINESS_CACHE_MS, healthOptionsFrom } from '@steadfast/health';
import { ConfigError, loadConfig } from '@steadfast/http';
import { DEFAULT_FLUSH_INTERVAL_MS } from '@steadfast/slo';
import { describe, expect, it } from 'vitest';
import { BaseConfigSchema, serviceConfigSchema } from '../src/config.js';

describe('loadConfig', () => {
  it('applies defaults and converts strings', () => {
    const config = loadConfig(BaseConfigSchema, {
      PORT: '8080',
      MIGRATE_ON_START: 'false',
      RATE_LIMIT_MAX: ' 5 ',
    });
    expect(config.PORT).toBe(8080);
    expect(config.MIGRATE_ON_START).toBe(false);
    expect(config.RATE_LIMIT_MAX).toBe(5);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.NODE_ENV).toBe('development');
    expect(config.SLOW_REQUEST_MS).toBe(1000);
    expect(config.SHUTDOWN_TIMEOUT_MS).toBe(10_000);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('ignores variables outside the schema and treats empty ones as unset', () => {
    const config = loadConfig(BaseConfigSchema, { PATH: '/bin', PORT: '' }) as Record<string, unknown>;
    expect(config.PATH).toBeUndefined();
    expect(config.PORT).toBe(3000);
  });

  it('lists every bad variable in one error', () => {
    let thrown: unknown;
    try {
      loadConfig(BaseConfigSchema, {
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
        NODE_ENV: 'staging',
        SHUTDOWN_TIMEOUT_MS: '-1',
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const { problems, message } = thrown as ConfigError;
    for (const key of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'NODE_ENV', 'SHUTDOWN_TIMEOUT_MS']) {
      expect(problems.some((problem) => problem.startsWith(`${key}:`))).toBe(true);
      expect(message).toContain(key);
    }
    expect(message).toContain('"eighty"');
  });

  it('reports a missing required variable of a service schema', () => {
    const schema = serviceConfigSchema({ ALERTS_TOKEN: Type.String({ minLength: 16 }) });
    expect(() => loadConfig(schema, {})).toThrow(/ALERTS_TOKEN: .*\(it is missing\)/);
    expect(loadConfig(schema, { ALERTS_TOKEN: 'x'.repeat(16) }).ALERTS_TOKEN).toBe('x'.repeat(16));
  });

  it('lets a service replace a base default', () => {
    const schema = serviceConfigSchema({ PORT: Type.Integer({ default: 3001 }) });
    expect(loadConfig(schema, {}).PORT).toBe(3001);
  });
});

describe('loadConfig cross-checks and secrets', () => {
  it('requires a chaos admin token of at least 16 characters when chaos is enabled', () => {
    expect(() => loadConfig(BaseConfigSchema, { CHAOS_ENABLED: 'true' })).toThrow(
      /CHAOS_ADMIN_TOKEN: must be at least 16 characters when CHAOS_ENABLED=true \(it is missing\)/,
    );
    expect(() =>
      loadConfig(BaseConfigSchema, { CHAOS_ENABLED: 'true', CHAOS_ADMIN_TOKEN: 'short-secret' }),
    ).toThrow(/got a value of 12 characters/);
    expect(
      loadConfig(BaseConfigSchema, { CHAOS_ENABLED: 'true', CHAOS_ADMIN_TOKEN: 'x'.repeat(16) })
        .CHAOS_ENABLED,
    ).toBe(true);
    expect(loadConfig(BaseConfigSchema, {}).CHAOS_ENABLED).toBe(false);
  });

  it('refuses a TRUST_PROXY that is neither a hop count nor addresses, and headers slower than the request', () => {
    expect(() => loadConfig(BaseConfigSchema, { TRUST_PROXY: '10.0.0.0/33, proxy.local' })).toThrow(
      /TRUST_PROXY: "10.0.0.0\/33", "proxy.local" is not a hop count/,
    );
    expect(loadConfig(BaseConfigSchema, { TRUST_PROXY: '10.0.0.0/8, ::1, uniquelocal' }).TRUST_PROXY).toBe(
      '10.0.0.0/8, ::1, uniquelocal',
    );
    expect(() =>
      loadConfig(BaseConfigSchema, { HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '10000' }),
    ).toThrow(/HEADERS_TIMEOUT_MS \(20000\) must not exceed REQUEST_TIMEOUT_MS \(10000\)/);
  });

  it('never prints the value of a secret variable', () => {
    let message = '';
    try {
      loadConfig(BaseConfigSchema, {
        DATABASE_URL: 'mysql://user:hunter2@db/x',
        CHAOS_ENABLED: 'true',
        CHAOS_ADMIN_TOKEN: 'tiny',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('hunter2');
  });
});

describe('the packages’ fragments', () => {
  it('take their defaults from the packages’ own constants', () => {
    const config = loadConfig(BaseConfigSchema, {});
    expect(config.HEALTH_CACHE_MS).toBe(DEFAULT_READINESS_CACHE_MS);
    expect(config.HEALTH_CHECK_TIMEOUT_MS).toBe(DEFAULT_CHECK_TIMEOUT_MS);
    expect(config.SLI_FLUSH_INTERVAL_MS).toBe(DEFAULT_FLUSH_INTERVAL_MS);
    expect(config.CHAOS_MAX_DURATION_S).toBe(DEFAULT_MAX_DURATION_SECONDS);
  });

  it('map to plugin options, with load shedding only when a limit is set', () => {
    expect(healthOptionsFrom(loadConfig(BaseConfigSchema, {}))).toEqual({
      cacheMs: 1000,
      defaultTimeoutMs: 2000,
    });
    expect(
      healthOptionsFrom(
        loadConfig(BaseConfigSchema, { LOAD_SHED_MAX_RSS_BYTES: '1000', HEALTH_CACHE_MS: '0' }),
      ),
    ).toEqual({ cacheMs: 0, defaultTimeoutMs: 2000, loadShedding: { maxRssBytes: 1000 } });
  });

  it('keep their cross-variable checks when a service adds its own variables', () => {
    const schema = serviceConfigSchema({ EXTRA: Type.String({ default: 'x' }) });
    expect(() => loadConfig(schema, { CHAOS_ENABLED: 'true' })).toThrow(
      /CHAOS_ADMIN_TOKEN: must be at least 16/,
    );
  });
});
