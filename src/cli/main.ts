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
process.exitCode = code;
