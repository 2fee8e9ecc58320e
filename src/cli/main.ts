/**
 * Process entry of the `omega` command (`npm run omega -- <command>`, `npx omega <command>`).
 * Sets the exit code and lets Node exit once the command's handles close.
 */
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
});
if (process.argv[2] === 'start') {
  // A closed replica may leave library handles (worker pools, keep-alive sockets) that would keep the
  // process alive; `start` is done once the replica is closed. stdout/stderr are synchronous for files
  // and pipes on Linux, so nothing written is lost.
  process.exit(code);
}
process.exitCode = code;
