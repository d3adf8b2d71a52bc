import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where a target's API answers, found without calling AWS. The cloud
 * assembly (`cdk.out`) names the target's Runtime stack, its region and the
 * output that holds the API's invoke URL, but that URL's API id exists only
 * once deployed; `cdk deploy --outputs-file cdk-outputs.json` writes the
 * deployed value, keyed by stack name and output key, and this reads it.
 */
export interface TargetEndpoint {
  readonly url: string;
  readonly region: string;
  /** How it was found, for the CLI to say. */
  readonly source: string;
}

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly displayName?: string;
  readonly properties?: { readonly directoryName?: string; readonly displayName?: string; readonly stackName?: string; readonly templateFile?: string };
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function artifactsOf(directory: string): Record<string, ManifestArtifact> {
  const manifest = path.join(directory, 'manifest.json');
  if (!fs.existsSync(manifest)) throw new Error(`${manifest} not found: run \`npx cdk synth\` first, or pass --url`);
  return (readJson(manifest) as { artifacts?: Record<string, ManifestArtifact> }).artifacts ?? {};
}

/** The outputs whose value is built as an execute-api URL (the RestApi's `Endpoint` output, and any the stack adds itself). */
function invokeUrlOutputKeys(template: { Outputs?: Record<string, { Value?: unknown }> }): string[] {
  return Object.entries(template.Outputs ?? {})
    .filter(([, output]) => JSON.stringify(output.Value ?? '').includes('.execute-api.'))
    .map(([key]) => key);
}

export function endpointOfTarget(target: string, cdkOut: string, outputsFile: string): TargetEndpoint {
  const stages = Object.values(artifactsOf(cdkOut)).filter((artifact) => artifact.type === 'cdk:cloud-assembly');
  const stage = stages.find((artifact) => artifact.properties?.displayName === target);
  if (!stage?.properties?.directoryName) {
    const known = stages.map((artifact) => artifact.properties?.displayName).join(', ') || 'none';
    throw new Error(`${cdkOut} has no target ${target} (targets there: ${known}); synthesize it with \`npx cdk synth -c targets=${target}\``);
  }
  const stageDir = path.join(cdkOut, stage.properties.directoryName);
  const runtime = Object.values(artifactsOf(stageDir)).find(
    (artifact) => artifact.type === 'aws:cloudformation:stack' && artifact.displayName === `${target}/Runtime`,
  );
  const stackName = runtime?.properties?.stackName;
  const region = runtime?.environment?.split('/').pop();
  if (!runtime?.properties?.templateFile || !stackName || !region) throw new Error(`${stageDir} has no Runtime stack for ${target}`);
  const outputKeys = invokeUrlOutputKeys(readJson(path.join(stageDir, runtime.properties.templateFile)) as { Outputs?: Record<string, { Value?: unknown }> });
  if (outputKeys.length === 0) throw new Error(`stack ${stackName} in ${cdkOut} has no output with the API's invoke URL; pass --url`);
  const deployed = (fs.existsSync(outputsFile) ? (readJson(outputsFile) as Record<string, Record<string, unknown>>) : {})[stackName] ?? {};
  const outputKey = outputKeys.find((key) => typeof deployed[key] === 'string');
  if (!outputKey) {
    throw new Error(
      `${cdkOut} names ${target}'s API: stack ${stackName} in ${region}, output ${outputKeys.join(' or ')}; its value (the API's id) exists only once deployed and ${outputsFile} does not hold it. ` +
        `Write it with \`npx cdk deploy ${target}/Runtime --outputs-file ${outputsFile}\`, or pass --url`,
    );
  }
  return { url: deployed[outputKey] as string, region, source: `target ${target}: output ${outputKey} of stack ${stackName} (${outputsFile}), region from ${cdkOut}` };
}
