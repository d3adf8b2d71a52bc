import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArtifactMetadataEntryType, ArtifactType } from 'aws-cdk-lib/cloud-assembly-schema';
import { readValidationReport, VALIDATION_REPORT_FILE, type ValidationSummary } from '../compliance/validation-report';
import type { CfnTemplate, MetadataEntry } from './cfn-types';
import { sha256Of } from './provenance';

/**
 * Reads the synthesized cloud assembly the evidence report is built from:
 * the root manifest and `validation-report.json`, and per target (one nested
 * assembly per Stage, `assembly-<Target>/`) its manifest, every stack's
 * template and metadata, and the residency SCP document.
 *
 * This is the only module of the report that touches the file system; every
 * section works on the objects returned here, so tests can feed them
 * synthesized output directly.
 */

/** One CloudFormation stack artifact of a target. */
export interface StackArtifact {
  /** Artifact id in the manifest (e.g. `GovWestState1A2B3C4D`). */
  readonly artifactId: string;
  /** CloudFormation stack name (e.g. `GovWest-State`). */
  readonly stackName: string;
  /** Construct path of the stack (e.g. `GovWest/State`). */
  readonly displayName: string;
  /** Region of the stack's environment; undefined when environment-agnostic. */
  readonly region?: string;
  /** Literal account of the stack's environment; undefined for "the deploying account". */
  readonly account?: string;
  /** Template file name, relative to the target's assembly directory. */
  readonly templateFile: string;
  /** SHA-256 of the template file as written by synth (hex). */
  readonly templateSha256: string;
  readonly template: CfnTemplate;
  /** Construct metadata, keyed by construct path (with a leading `/`). */
  readonly metadata: Readonly<Record<string, readonly MetadataEntry[]>>;
  /** Logical id → construct path (without the leading `/`), from the `aws:cdk:logicalId` metadata entries. */
  readonly constructPaths: Readonly<Record<string, string>>;
  /** Other stacks this one depends on (artifact ids). */
  readonly dependencies: readonly string[];
}

/** One deployment target: a nested assembly written by a Stage. */
export interface TargetAssembly {
  readonly name: string;
  /** Directory name inside the root assembly (e.g. `assembly-GovWest`). */
  readonly directoryName: string;
  readonly stacks: readonly StackArtifact[];
  /** The SCP document written next to the templates, if any. */
  readonly scp?: unknown;
  /** File names (relative to the root assembly) this target's evidence was read from. */
  readonly sources: readonly string[];
}

export interface LoadedAssembly {
  readonly directory: string;
  readonly targets: readonly TargetAssembly[];
  /** `validation-report.json` (cdk-nag, residency guard, annotations); undefined when synth wrote none. */
  readonly validation?: ValidationSummary;
}

export const SCP_FILE = 'residency-scp.json';
const MANIFEST_FILE = 'manifest.json';
const NESTED_ASSEMBLY_PREFIX = 'assembly-';
const UNKNOWN_ACCOUNT = 'unknown-account';
const UNKNOWN_REGION = 'unknown-region';

export class AssemblyReadError extends Error {}

interface ManifestArtifact {
  type: string;
  environment?: string;
  properties?: Record<string, any>;
  dependencies?: string[];
  metadata?: Record<string, MetadataEntry[]>;
  additionalMetadataFile?: string;
  displayName?: string;
}

interface Manifest {
  artifacts?: Record<string, ManifestArtifact>;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new AssemblyReadError(`Cannot read ${file}: ${(e as Error).message}`);
  }
}

/** `aws://123456789012/us-gov-west-1` → account and region; unknown parts stay undefined. */
export function parseEnvironment(environment: string | undefined): { account?: string; region?: string } {
  const match = /^aws:\/\/([^/]+)\/(.+)$/.exec(environment ?? '');
  if (!match) return {};
  return {
    account: match[1] === UNKNOWN_ACCOUNT ? undefined : match[1],
    region: match[2] === UNKNOWN_REGION ? undefined : match[2],
  };
}

/** Nested assemblies listed in the root manifest; falls back to `assembly-*` directories. */
function nestedAssemblies(directory: string, manifest: Manifest): Array<{ name: string; directoryName: string }> {
  const listed = Object.entries(manifest.artifacts ?? {})
    .filter(([, a]) => a.type === ArtifactType.NESTED_CLOUD_ASSEMBLY)
    .map(([id, a]) => {
      const directoryName: string = a.properties?.directoryName ?? id;
      return { name: a.properties?.displayName ?? directoryName.replace(NESTED_ASSEMBLY_PREFIX, ''), directoryName };
    });
  if (listed.length > 0) return listed;
  return fs
    .readdirSync(directory, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name.startsWith(NESTED_ASSEMBLY_PREFIX))
    .map((d) => ({ name: d.name.slice(NESTED_ASSEMBLY_PREFIX.length), directoryName: d.name }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function loadTarget(rootDir: string, name: string, directoryName: string): TargetAssembly {
  const dir = path.join(rootDir, directoryName);
  const manifest = readJson<Manifest>(path.join(dir, MANIFEST_FILE));
  const sources = [path.join(directoryName, MANIFEST_FILE)];
  const stacks: StackArtifact[] = [];
  for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== ArtifactType.AWS_CLOUDFORMATION_STACK) continue;
    const templateFile: string = artifact.properties?.templateFile;
    const template = readJson<CfnTemplate>(path.join(dir, templateFile));
    sources.push(path.join(directoryName, templateFile));
    let metadata: Record<string, MetadataEntry[]> = artifact.metadata ?? {};
    if (artifact.additionalMetadataFile) {
      metadata = { ...metadata, ...readJson<Record<string, MetadataEntry[]>>(path.join(dir, artifact.additionalMetadataFile)) };
      sources.push(path.join(directoryName, artifact.additionalMetadataFile));
    }
    const { account, region } = parseEnvironment(artifact.environment);
    const constructPaths: Record<string, string> = {};
    for (const [constructPath, entries] of Object.entries(metadata)) {
      for (const entry of entries) {
        if (entry.type === ArtifactMetadataEntryType.LOGICAL_ID && typeof entry.data === 'string') constructPaths[entry.data] = constructPath.replace(/^\//, '');
      }
    }
    stacks.push({
      artifactId,
      stackName: artifact.properties?.stackName ?? artifactId,
      displayName: artifact.displayName ?? artifactId,
      account,
      region,
      templateFile,
      templateSha256: sha256Of(path.join(dir, templateFile)),
      template,
      metadata,
      constructPaths,
      dependencies: (artifact.dependencies ?? []).filter((d) => manifest.artifacts?.[d]?.type === ArtifactType.AWS_CLOUDFORMATION_STACK),
    });
  }
  const scpFile = path.join(dir, SCP_FILE);
  let scp: unknown;
  if (fs.existsSync(scpFile)) {
    scp = readJson(scpFile);
    sources.push(path.join(directoryName, SCP_FILE));
  }
  return { name, directoryName, stacks, scp, sources };
}

/** Read a cloud assembly directory (the `-o` of `cdk synth`). */
export function loadAssembly(directory: string): LoadedAssembly {
  const manifestFile = path.join(directory, MANIFEST_FILE);
  if (!fs.existsSync(manifestFile)) {
    throw new AssemblyReadError(`${directory} is not a cloud assembly (no ${MANIFEST_FILE}). Run \`npx cdk synth\` first.`);
  }
  const manifest = readJson<Manifest>(manifestFile);
  const targets = nestedAssemblies(directory, manifest).map(({ name, directoryName }) => loadTarget(directory, name, directoryName));
  const validation = fs.existsSync(path.join(directory, VALIDATION_REPORT_FILE)) ? readValidationReport(directory) : undefined;
  return { directory, targets, validation };
}
