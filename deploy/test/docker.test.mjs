// The Dockerfile, parsed (dockerfile-ast) since no Docker runs here: a build stage that installs from the
// manifests before the sources are copied, a production tree without dev or optional dependencies, and a final
// stage that runs as the non-root user the manifests expect, with a HEALTHCHECK on the liveness route.
import { HEALTH_ROUTES } from '@steadfast/health';
import { DockerfileParser } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { kubernetesObjects, manifestOf, read, workspaceDirs } from './repo.mjs';

const dockerfile = DockerfileParser.parse(read('docker/Dockerfile'));
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
const [build, final] = [froms[0], froms.at(-1)];
const stageOf = (from) => {
  const start = from.getRange().start.line;
  const next = froms.find((f) => f.getRange().start.line > start)?.getRange().start.line ?? Infinity;
  return instructions.filter((i) => i.getRange().start.line > start && i.getRange().start.line < next);
};
const buildStage = stageOf(build);
const finalStage = stageOf(final);
const args = (instruction) => instruction.getArguments().map((a) => a.getValue());
const text = (instruction) => instruction.getArgumentsContent() ?? '';
const indexOf = (stage, predicate) => stage.findIndex(predicate);

describe('the Dockerfile', () => {
  it('has a named build stage and a final stage on the same base image', () => {
    expect(froms.length).toBe(2);
    expect(build.getBuildStage()).toBe('build');
    expect(final.getImageName()).toBe(build.getImageName());
  });

  it('copies every workspace manifest and the lockfile, installs, and only then copies the sources', () => {
    const copies = buildStage.filter((i) => i.getKeyword() === 'COPY');
    const install = indexOf(
      buildStage,
      (i) => i.getKeyword() === 'RUN' && /pnpm install --frozen-lockfile/.test(text(i)),
    );
    expect(install).toBeGreaterThan(0);
    const before = copies.filter((c) => buildStage.indexOf(c) < install).flatMap((c) => args(c).slice(0, -1));
    const after = copies.filter((c) => buildStage.indexOf(c) > install).flatMap((c) => args(c).slice(0, -1));
    expect(before).toEqual(expect.arrayContaining(['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml']));
    const manifests = before.filter((source) => source.endsWith('/package.json'));
    expect(manifests.sort()).toEqual(
      workspaceDirs()
        .map((dir) => `${dir}/package.json`)
        .sort(),
    );
    expect(before.every((source) => /(^|\/)package\.json$|^pnpm-(lock|workspace)\.yaml$/.test(source))).toBe(
      true,
    );
    expect(after).toEqual(expect.arrayContaining(['packages', 'apps']));
    expect(after).not.toContain('.');
  });

  it('deploys the app without dev or optional dependencies (no embedded PostgreSQL)', () => {
    const deploy = buildStage.find((i) => i.getKeyword() === 'RUN' && / deploy /.test(text(i)));
    expect(text(deploy)).toMatch(/--prod\b/);
    expect(text(deploy)).toMatch(/--no-optional\b/);
  });

  it('takes only the production tree into the final stage', () => {
    const copies = finalStage.filter((i) => i.getKeyword() === 'COPY');
    expect(copies.map((c) => c.getFlags().map((f) => `${f.getName()}=${f.getValue()}`))).toEqual([
      ['from=build'],
    ]);
  });

  it("runs as the non-root user the Kubernetes manifests' runAsUser names", () => {
    const users = finalStage.filter((i) => i.getKeyword() === 'USER').map((i) => text(i));
    expect(users).toHaveLength(1);
    const [uid] = users[0].split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    const runAsUsers = kubernetesObjects()
      .map(({ object }) => object)
      .filter((o) => o.kind === 'Deployment')
      .map((d) => d.spec.template.spec.securityContext.runAsUser);
    expect(new Set(runAsUsers)).toEqual(new Set([uid]));
  });

  it('checks health on the liveness route and starts the service with node directly', () => {
    const [healthcheck] = dockerfile.getHEALTHCHECKs();
    expect(healthcheck.getSubcommand().getValue()).toBe('CMD');
    const command = JSON.parse(text(healthcheck).slice(text(healthcheck).indexOf('[')));
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain(`\${process.env.PORT}${HEALTH_ROUTES.live}`);
    expect(
      dockerfile
        .getCMDs()
        .at(-1)
        .getJSONStrings()
        .map((s) => s.getJSONValue()),
    ).toEqual(['node', 'dist/server.js']);
    const stopSignal = finalStage.find((i) => i.getKeyword() === 'STOPSIGNAL');
    expect(stopSignal && text(stopSignal)).toBe('SIGTERM');
  });
});

describe("the apps' production dependencies", () => {
  /** The workspace packages an app needs at run time: `dependencies` only, followed through the workspace. */
  function productionClosure(dir) {
    const byName = new Map(workspaceDirs().map((d) => [manifestOf(d).name, d]));
    const seen = new Set();
    const visit = (name) => {
      if (seen.has(name) || !byName.has(name)) return;
      seen.add(name);
      for (const dependency of Object.keys(manifestOf(byName.get(name)).dependencies ?? {}))
        visit(dependency);
    };
    visit(manifestOf(dir).name);
    return seen;
  }

  it.each(workspaceDirs().filter((dir) => dir.startsWith('apps/')))(
    '%s reaches the embedded PostgreSQL only as an optional dependency of the kit',
    (dir) => {
      const closure = productionClosure(dir);
      expect(closure).toContain('@steadfast/service-kit');
      expect(closure).not.toContain('@steadfast/embedded-pg');
      expect(manifestOf('packages/service-kit').optionalDependencies).toHaveProperty(
        '@steadfast/embedded-pg',
      );
    },
  );
});
