/**
 * Runs once, in jest's parent process, before any worker starts: what is set
 * in process.env here reaches every worker, every test file's process.env and
 * every child process a test spawns (a CLI, the CDK CLI, deploy:local).
 */
export default function globalSetup(): void {
  // The AWS SDK for JavaScript v3 warns once per process that releases after
  // January 2027 need Node 22 (@aws-sdk/core, emitWarningIfUnsupportedVersion);
  // engines says >=20, so on Node 20 that is one warning block per worker and
  // per spawned CLI, with nothing for a test to act on. The SDK's own switch:
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
