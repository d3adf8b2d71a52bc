import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp, type BuildOptions } from '../lib/app';

export const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * cdk.json's context. A bare `new App()` does not read cdk.json, so a
 * command that synthesizes in process loads it itself: the feature flags
 * must be the ones `cdk synth` uses.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

/**
 * Synthesize the app as `cdk synth` would, without bundling function code
 * (the templates are the same), into a temporary directory; returns it.
 */
export function synthToTempDir(options: BuildOptions): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-synth-'));
  const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  buildApp(app, options);
  app.synth();
  return outdir;
}
