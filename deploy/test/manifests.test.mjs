// Static checks of what no engine runs here (no Docker, no cluster): every manifest is valid against the Kubernetes
// schema of its kind, probes point at the health plugin's routes, ports, selectors and names agree across objects,
// grace periods cover the shutdown sequence, the autoscaler, disruption budget and network policies say what
// deploy/README.md says, every app a Deployment names exists and starts with `node dist/server.js`, and every
// dashboard panel has a query.
import { readdirSync } from 'node:fs';
import { HEALTH_ROUTES } from '@steadfast/health';
import { describe, expect, it } from 'vitest';
import { appScripts, kubernetesDocuments, kubernetesObjects, read } from './repo.mjs';

const PROBES = {
  startupProbe: HEALTH_ROUTES.startup,
  readinessProbe: HEALTH_ROUTES.ready,
  livenessProbe: HEALTH_ROUTES.live,
};
// What shutdown needs beyond the delay and the drain: the shutdown handlers (pool, embedded server) and slack.
const SHUTDOWN_HANDLERS_MS = 10_000;
// Routes that must never be reachable from outside the cluster.
const INTERNAL_PREFIXES = ['/health', '/metrics', '/docs', '/admin', '/v1/slo', '/v1/integrations'];

/** The kubernetes-models class of a manifest: `apps/v1` + `Deployment` is kubernetes-models/apps/v1/Deployment. */
async function modelOf({ apiVersion, kind }) {
  const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
  return module[kind];
}

/** Throws with every schema violation, as kubernetes-models reports them. */
async function validate(object) {
  const Model = await modelOf(object);
  new Model(object).validate();
}

/** Whether a label selector (matchLabels, matchExpressions with In/NotIn/Exists) selects these labels. */
function selects(selector, labels) {
  const { matchLabels = {}, matchExpressions = [] } = selector;
  const expression = ({ key, operator, values = [] }) =>
    ({
      In: () => values.includes(labels[key]),
      NotIn: () => !values.includes(labels[key]),
      Exists: () => key in labels,
      DoesNotExist: () => !(key in labels),
    })[operator]();
  return (
    Object.entries(matchLabels).every(([key, value]) => labels[key] === value) &&
    matchExpressions.every(expression)
  );
}

const objects = kubernetesObjects();
const ofKind = (kind) => objects.map(({ object }) => object).filter((object) => object.kind === kind);
const [namespace] = ofKind('Namespace');
const deployments = ofKind('Deployment');
const named = (kind, name) => ofKind(kind).find((object) => object.metadata.name === name);
const containers = deployments.flatMap((deployment) =>
  deployment.spec.template.spec.containers.map((container) => ({ deployment, container })),
);
const plainEnv = (container) =>
  Object.fromEntries(container.env.filter((e) => 'value' in e).map((e) => [e.name, e.value]));
/** Every pod template in the manifests (Deployments and the CronJob's Job), with the labels its pods get. */
const podTemplates = [
  ...deployments.map((d) => ({ name: d.metadata.name, template: d.spec.template })),
  ...ofKind('CronJob').map((c) => ({ name: c.metadata.name, template: c.spec.jobTemplate.spec.template })),
];

describe('the Kubernetes manifests', () => {
  it.each(kubernetesDocuments().map(({ file, index, doc }) => [`${file}#${index}`, doc]))(
    '%s parses',
    (_n, doc) => {
      expect(doc.errors).toEqual([]);
    },
  );

  it.each(objects.map(({ file, index, object }) => [`${file}#${index} ${object.kind}`, object]))(
    '%s is valid against the Kubernetes schema of its kind',
    async (_name, object) => {
      await expect(validate(object)).resolves.toBeUndefined();
    },
  );

  it('the schema check rejects a mistyped manifest', async () => {
    const [deployment] = deployments;
    const broken = structuredClone(deployment);
    broken.spec.replicas = 'three';
    broken.spec.template.spec.containers[0].resources.limits.memory = '640 megabytes';
    await expect(validate(broken)).rejects.toThrow(
      /replicas must be integer.*memory must match format "quantity"/s,
    );
  });

  it('put every object in the one namespace', () => {
    expect(namespace.metadata.name).toBe('steadfast');
    for (const { object } of objects.filter(({ object }) => object.kind !== 'Namespace'))
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(
        namespace.metadata.name,
      );
  });

  it('have a Deployment per service', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['incidents-api', 'users-api']);
  });

  it.each(containers.map((c) => [c.deployment.metadata.name, c]))(
    '%s: probes, port, scrape annotations and grace period match the service',
    (_n, { deployment, container }) => {
      const env = plainEnv(container);
      const port = container.ports.find((p) => p.name === 'http')?.containerPort;
      expect(String(port)).toBe(env.PORT);
      expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(env.PORT);
      for (const [probe, path] of Object.entries(PROBES))
        expect(container[probe]?.httpGet?.path, probe).toBe(path);
      const needMs = Number(env.SHUTDOWN_DELAY_MS) + Number(env.SHUTDOWN_TIMEOUT_MS) + SHUTDOWN_HANDLERS_MS;
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(
        needMs,
      );
      expect(appScripts(deployment.metadata.name).start).toBe('node dist/server.js');
    },
  );

  it.each(containers.map((c) => [c.deployment.metadata.name, c]))(
    '%s: production sets what AUTH_MODE=jwt requires',
    (_n, { container }) => {
      const names = new Set(container.env.map((e) => e.name));
      const keySources = ['AUTH_JWKS_URL', 'AUTH_JWT_SECRET', 'AUTH_JWT_PUBLIC_KEY'].filter((n) =>
        names.has(n),
      );
      expect(keySources).toHaveLength(1);
      expect(names.has('AUTH_ISSUER') && names.has('AUTH_AUDIENCE')).toBe(true);
    },
  );

  it.each(containers.map((c) => [c.deployment.metadata.name, c]))(
    '%s: requests and limits for both CPU and memory, a V8 heap below the memory limit',
    (_n, { container }) => {
      const { requests, limits } = container.resources;
      for (const resource of ['cpu', 'memory']) {
        expect(requests[resource], `requests.${resource}`).toBeDefined();
        expect(limits[resource], `limits.${resource}`).toBeDefined();
      }
      const mebibytes = (quantity) => Number(/^(\d+)Mi$/.exec(quantity)?.[1]);
      const heap = Number(/--max-old-space-size=(\d+)/.exec(plainEnv(container).NODE_OPTIONS)?.[1]);
      expect(heap).toBeLessThan(mebibytes(limits.memory));
      expect(mebibytes(requests.memory)).toBeLessThan(mebibytes(limits.memory));
    },
  );
});

describe.each(deployments.map((d) => [d.metadata.name, d]))('%s', (name, deployment) => {
  const podLabels = deployment.spec.template.metadata.labels;

  it('selects its own pods and runs them as a non-root user', () => {
    expect(selects(deployment.spec.selector, podLabels)).toBe(true);
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(deployment.spec.template.spec.securityContext.runAsUser).toBeGreaterThan(0);
  });

  it('starts with 3 replicas, scaled 3–10 on CPU 70 % and memory 80 %, in fast and out slowly', () => {
    const hpa = named('HorizontalPodAutoscaler', name);
    expect(deployment.spec.replicas).toBe(3);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(hpa.spec).toMatchObject({ minReplicas: deployment.spec.replicas, maxReplicas: 10 });
    const targets = Object.fromEntries(
      hpa.spec.metrics.map((m) => [m.resource.name, m.resource.target.averageUtilization]),
    );
    expect(targets).toEqual({ cpu: 70, memory: 80 });
    expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
    expect(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds).toBeLessThan(
      hpa.spec.behavior.scaleDown.stabilizationWindowSeconds,
    );
  });

  it('keeps 2 pods through a voluntary disruption, fewer than its minimum, so a drain can proceed', () => {
    const pdb = named('PodDisruptionBudget', name);
    expect(pdb.spec.minAvailable).toBe(2);
    expect(selects(pdb.spec.selector, podLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(named('HorizontalPodAutoscaler', name).spec.minReplicas);
    // A rollout never goes below the replica count, so it never fights the budget.
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('is reached through its Service on the named container port, and publicly only on its domain routes', () => {
    const service = named('Service', name);
    expect(selects({ matchLabels: service.spec.selector }, podLabels)).toBe(true);
    const portNames = deployment.spec.template.spec.containers.flatMap((c) => c.ports.map((p) => p.name));
    for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
    const paths = ofKind('Ingress')
      .flatMap((ingress) => ingress.spec.rules.flatMap((rule) => rule.http.paths))
      .filter((path) => path.backend.service.name === name);
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) {
      expect(service.spec.ports.map((p) => p.name)).toContain(path.backend.service.port.name);
      expect(path.path).toMatch(/^\/v1\//);
      for (const prefix of INTERNAL_PREFIXES) expect(path.path.startsWith(prefix), path.path).toBe(false);
    }
  });
});

describe('the network policies', () => {
  const policies = ofKind('NetworkPolicy');
  const applying = (labels, type) =>
    policies.filter((p) => p.spec.policyTypes.includes(type) && selects(p.spec.podSelector, labels));
  const egressPorts = (labels) =>
    applying(labels, 'Egress').flatMap((p) =>
      (p.spec.egress ?? []).flatMap((rule) => rule.ports.map((port) => port.port)),
    );

  it('deny everything by default', () => {
    const deny = policies.filter(
      (p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress && !p.spec.egress,
    );
    expect(deny).toHaveLength(1);
    expect(deny[0].spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
  });

  it.each(deployments.map((d) => [d.metadata.name, d]))(
    '%s: admit the ingress controller and Prometheus to the service port only',
    (_n, deployment) => {
      const rules = applying(deployment.spec.template.metadata.labels, 'Ingress').flatMap(
        (p) => p.spec.ingress ?? [],
      );
      expect(rules.length).toBeGreaterThan(0);
      const sources = rules.flatMap((rule) =>
        rule.from.map((peer) => peer.podSelector.matchLabels['app.kubernetes.io/name']),
      );
      expect(sources).toEqual(expect.arrayContaining(['ingress-nginx', 'prometheus']));
      for (const rule of rules) expect(rule.ports).toEqual([{ protocol: 'TCP', port: 'http' }]);
    },
  );

  it('admit Alertmanager to incidents-api, whose webhook it calls', () => {
    const labels = named('Deployment', 'incidents-api').spec.template.metadata.labels;
    const sources = applying(labels, 'Ingress').flatMap((p) =>
      (p.spec.ingress ?? []).flatMap((rule) =>
        rule.from.map((peer) => peer.podSelector.matchLabels['app.kubernetes.io/name']),
      ),
    );
    expect(sources).toContain('alertmanager');
  });

  it.each(containers.map((c) => [c.deployment.metadata.name, c]))(
    '%s: let out DNS, PostgreSQL, Redis and the OTLP collector on the port it is configured with',
    (_n, { deployment, container }) => {
      const otlpPort = Number(new URL(plainEnv(container).OTEL_EXPORTER_OTLP_ENDPOINT).port);
      const names = new Set(container.env.map((e) => e.name));
      expect(names.has('DATABASE_URL') && names.has('REDIS_URL')).toBe(true);
      expect(egressPorts(deployment.spec.template.metadata.labels)).toEqual(
        expect.arrayContaining([53, 5432, 6379, otlpPort]),
      );
    },
  );

  it('let the backup job out to DNS and PostgreSQL and nowhere else', () => {
    const { template } = podTemplates.find(({ name }) => name === 'db-backup');
    expect(egressPorts(template.metadata.labels).sort((a, b) => a - b)).toEqual([53, 53, 5432]);
  });
});

describe('the Grafana dashboards', () => {
  it.each(readdirSync(new URL('../grafana', import.meta.url)).filter((file) => file.endsWith('.json')))(
    '%s has a uid and a query on every panel',
    (file) => {
      const dashboard = JSON.parse(read(`grafana/${file}`));
      expect(dashboard.uid).toBeTruthy();
      expect(dashboard.panels.length).toBeGreaterThan(0);
      for (const panel of dashboard.panels)
        expect(
          panel.targets?.every((t) => t.expr),
          panel.title,
        ).toBe(true);
    },
  );
});
