#!/usr/bin/env node
/**
 * Preflight: ask the real account (the caller's credentials) everything the
 * capability gate marks unverified for a target, before deploy.
 *   npm run preflight -- [-c targets=GovWest] [-c statehouse=<json|file>] [--allow-unknown]
 * Context is read as `cdk synth` reads it (cdk.json, cdk.context.json, -c).
 * Exit codes: lib/preflight/verdict.ts PREFLIGHT_EXIT. AWS_ENDPOINT_URL points it at an emulator.
 */
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { loadKitContext, UsageError } from '../lib/cli/context-args';
import { ConfigError } from '../lib/config/load';
import { findCredentials, noCredentialsLine } from '../lib/preflight/credentials';
import type { PreflightClients } from '../lib/preflight/probes';
import { formatPreflight, runPreflight, type PreflightTarget } from '../lib/preflight/run-preflight';
import { PREFLIGHT_EXIT, preflightVerdict } from '../lib/preflight/verdict';

const USAGE = 'Usage: npm run preflight -- [-c targets=<Target,...>] [-c statehouse=<json|file>] [--allow-unknown]';

function clientsFor(region: string, credentials: AwsCredentialIdentityProvider): PreflightClients {
  return {
    sts: new STSClient({ region, credentials }),
    ec2: new EC2Client({ region, credentials }),
    quotas: new ServiceQuotasClient({ region, credentials }),
    bedrock: new BedrockClient({ region, credentials }),
    lambda: new LambdaClient({ region, credentials }),
  };
}

async function main(): Promise<number> {
  const kit = loadKitContext(process.argv.slice(2));
  const unknownFlag = kit.rest.find((arg) => arg !== '--allow-unknown');
  if (unknownFlag !== undefined) throw new UsageError(`unknown argument "${unknownFlag}".\n${USAGE}`);
  // Credentials first: without them every row would be an unknown, and the table would hide why.
  const credentials = await findCredentials();
  if ('missing' in credentials) {
    console.error(noCredentialsLine(credentials.missing));
    return PREFLIGHT_EXIT.NO_CREDENTIALS;
  }
  const results: PreflightTarget[] = [];
  for (const [target] of kit.selected) {
    const result = await runPreflight(kit.context, kit.overrides, target, (region) => clientsFor(region, credentials.provider));
    console.log(`${formatPreflight(result)}\n`);
    results.push(result);
  }
  const verdict = preflightVerdict(results, kit.rest.includes('--allow-unknown'));
  console.log(verdict.line);
  return verdict.exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    const known = error instanceof UsageError || error instanceof ConfigError;
    console.error(known ? error.message : `Preflight could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = PREFLIGHT_EXIT.UNUSABLE;
  },
);
