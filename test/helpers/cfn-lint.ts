import { spawnSync } from 'node:child_process';

export interface CfnLintFinding {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Rule: { Id: string };
  readonly Message: string;
  readonly Location: { Path: Array<string | number> };
}

/** Is cfn-lint on PATH? */
export function cfnLintAvailable(): boolean {
  return spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Whether a missing cfn-lint may skip its tests: only when the user opts out
 * explicitly (STATEHOUSE_SKIP_CFN_LINT=1), and never in CI.
 */
export function cfnLintOptedOut(): boolean {
  return process.env.STATEHOUSE_SKIP_CFN_LINT === '1' && process.env.CI !== 'true';
}

/** Run cfn-lint on templates for one region; return its findings. */
export function cfnLint(templates: string[], region: string): CfnLintFinding[] {
  const result = spawnSync('cfn-lint', ['--format', 'json', '--regions', region, '--', ...templates], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  // Exit bits: 2 errors, 4 warnings, 8 informational; 1 is a cfn-lint failure.
  if ((result.status ?? 1) & 1) throw new Error(`cfn-lint failed to run: ${result.stderr || result.stdout}`);
  return JSON.parse(result.stdout || '[]') as CfnLintFinding[];
}

/**
 * Whether a cfn-lint test can run here: true with cfn-lint on PATH, false
 * when the user opted out (cfnLintOptedOut), and a failure otherwise.
 */
export function cfnLintReady(): boolean {
  if (cfnLintAvailable()) return true;
  if (cfnLintOptedOut()) return false;
  throw new Error('cfn-lint is not on PATH. Install it (pip install cfn-lint) or set STATEHOUSE_SKIP_CFN_LINT=1 outside CI.');
}
