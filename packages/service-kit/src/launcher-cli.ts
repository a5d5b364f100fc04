/**
 * `pnpm start`: runs the `start` script of every package folder given (`apps/*`) side by side, with readable logs
 * on a terminal and one clean Ctrl-C for all of them. See launcher.ts.
 */
import { launch, launchTargets } from './launcher.js';

process.exitCode = await launch(launchTargets(process.argv.slice(2)), {
  stdin: process.stdin,
  stdout: process.stdout,
  env: process.env,
  parentPid: process.ppid,
});
