import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { cdkJsonContext } from '../../bin/synth-assembly';
import { writeTargetFiles } from '../../bin/target-files';
import { buildApp, type BuildOptions } from '../../lib/app';
import type { StatehouseStage } from '../../lib/stacks/statehouse-stage';

export { cdkJsonContext, REPO_ROOT } from '../../bin/synth-assembly';

/**
 * Whether test synths run aws-cdk-lib's built-in CloudFormation validation
 * (App's builtinCloudFormationValidation; the rule engine is WebAssembly, and
 * it is about a third of the CPU of every synth in a test process). bin/
 * always runs it, and its findings are in validation-report.json. The tests
 * that read that report, or stand for bin/'s compliance gate, turn it on
 * (`cfnValidation: true`): every target's synth in test/lib/targets.test.ts,
 * the construct compliance fixtures, the evidence report's, and every test
 * that runs a command (bin/statehouse.ts, cdk synth, deploy:local), which
 * synthesizes as a user does. cfn-lint still checks every target's templates
 * and the constructs' (test/helpers/cfn-lint.ts). The other tests look at
 * templates and constructs, as the ones without bundling do.
 */
export const CFN_VALIDATION_BY_DEFAULT = false;

export interface SynthOptions extends BuildOptions {
  /** Extra context on top of cdk.json's. */
  readonly context?: Record<string, unknown>;
  /** Bundle Lambda code for real (only the one bundling test does). Default: skip bundling. */
  readonly bundle?: boolean;
  /** Run aws-cdk-lib's built-in CloudFormation validation, as bin/ does. Default: CFN_VALIDATION_BY_DEFAULT (off). */
  readonly cfnValidation?: boolean;
}

export interface Synthesized {
  readonly app: App;
  readonly assembly: CloudAssembly;
  readonly stages: StatehouseStage[];
  readonly outdir: string;
}

/** Build and synthesize the Statehouse app the way bin/ does, into a temp dir. */
export function synthStatehouse(options: SynthOptions = {}): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-synth-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      // Snapshot and assertion tests skip esbuild; one test bundles for real.
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
    builtinCloudFormationValidation: options.cfnValidation ?? CFN_VALIDATION_BY_DEFAULT,
  });
  const { stages } = buildApp(app, options);
  const assembly = app.synth();
  // As bin/statehouse.ts does after synth: the SCP document next to each target's templates.
  writeTargetFiles(stages);
  return { app, assembly, stages, outdir };
}

/** Every stack of a stage, in creation order. */
export function stacksOf(stage: StatehouseStage): Stack[] {
  return stage.node.children.filter((c): c is Stack => (c as Stack).templateFile !== undefined);
}

export function templatePath(stack: Stack): string {
  return path.join(stack.node.scope ? (stack.node.scope as StatehouseStage).outdir : '', stack.templateFile);
}

export function readTemplate(stack: Stack): Record<string, any> {
  return JSON.parse(fs.readFileSync(templatePath(stack), 'utf8'));
}

const ASSET_HASH = /[0-9a-f]{64}/g;

/** Asset hashes change with every dependency bump; snapshots keep the shape, not the hash. */
export function normaliseTemplate(template: Record<string, any>): Record<string, any> {
  return JSON.parse(JSON.stringify(template).replace(ASSET_HASH, '<asset-hash>'));
}
