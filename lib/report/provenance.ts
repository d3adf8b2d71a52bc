import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where a report came from, so an ISSO can tie it to one build: the kit's
 * commit and version, when it was generated, and a SHA-256 of every template
 * it was read from (compare with `sha256sum` on the deployed templates).
 */

export const NOT_A_GIT_CHECKOUT = 'unknown (not a git checkout)';

/** The kit's root: the nearest directory above this file with a package.json (`lib/report` in a checkout, `dist/lib/report` in the package). */
function kitRoot(from: string = __dirname): string {
  const parent = path.dirname(from);
  if (fs.existsSync(path.join(from, 'package.json')) || parent === from) return from;
  return kitRoot(parent);
}

export interface RunProvenance {
  /** `git rev-parse HEAD` of the kit, or NOT_A_GIT_CHECKOUT. */
  readonly commit: string;
  /** ISO 8601, UTC. */
  readonly generatedAt: string;
  /** `version` of the kit's package.json. */
  readonly kitVersion: string;
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function gitCommit(dir: string): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // No git, or the kit was installed from a package rather than checked out.
    return NOT_A_GIT_CHECKOUT;
  }
}

export function runProvenance(now: Date = new Date(), root: string = kitRoot()): RunProvenance {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string };
  return { commit: gitCommit(root), generatedAt: now.toISOString(), kitVersion: pkg.version ?? 'unknown (no version in package.json)' };
}
