#!/usr/bin/env node
/**
 * Preflight: ask the real account (the caller's credentials) everything the
 * capability gate marks unverified for a target, before deploy.
 *   npm run preflight -- -c targets=GovWest [-c statehouse=<json|file>]
 * Exits 1 when any check fails. AWS_ENDPOINT_URL points it at an emulator.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { parseContextArgs } from '../lib/cli/context-args';
import { formatPreflight, runPreflight } from '../lib/preflight/run-preflight';

async function main(): Promise<void> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const { targets, overrides } = parseContextArgs(process.argv.slice(2));
  const names = (targets ?? 'Commercial,GovWest').split(',').map((t) => t.trim()).filter(Boolean);
  let failed = false;
  for (const target of names) {
    const result = await runPreflight(cdkJson.context, overrides, target, (region) => ({
      ec2: new EC2Client({ region }),
      quotas: new ServiceQuotasClient({ region }),
      bedrock: new BedrockClient({ region }),
      lambda: new LambdaClient({ region }),
    }));
    console.log(formatPreflight(result));
    console.log('');
    failed ||= result.outcomes.some((o) => o.result === 'fail');
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});
