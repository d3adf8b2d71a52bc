/**
 * The `statehouse` command (package.json "bin" → bin/statehouse): the
 * session API from a terminal, every request signed with SigV4 with the
 * caller's AWS credentials. `npx statehouse --help` lists the commands.
 */
import { genesisHash, verifyChain } from '../lambda/core/domain/hash-chain';
import { runCli } from '../lib/client/cli/statehouse-cli';

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isInteractive: process.stdin.isTTY === true,
  // The domain's own chain, so an export recomputes hashes exactly as the orchestrator wrote them.
  chain: { genesisHash, verifyChain },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 2;
  },
);
