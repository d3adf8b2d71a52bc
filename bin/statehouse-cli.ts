/**
 * The `statehouse` command (package.json "bin" → bin/statehouse): the
 * session API from a terminal, every request signed with SigV4 with the
 * caller's AWS credentials. `npx statehouse --help` lists the commands.
 */
import { runCli } from '../lib/client/cli/statehouse-cli';

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isInteractive: process.stdin.isTTY === true,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 2;
  },
);
