import type { PreflightTarget } from './run-preflight';

/** Preflight's exit codes (README "Before and after deploy"). */
export const PREFLIGHT_EXIT = {
  /** Every capability asked passed (an `unknown` counts only with --allow-unknown). */
  PASSED: 0,
  /** A check failed, an `unknown` without --allow-unknown, or a target's STS refused the credentials. */
  FAILED: 1,
  /** Preflight could not run: a usage or configuration error. */
  UNUSABLE: 2,
  /** No credentials: nothing was asked. */
  NO_CREDENTIALS: 3,
} as const;

export interface PreflightVerdict {
  readonly exitCode: (typeof PREFLIGHT_EXIT)[keyof typeof PREFLIGHT_EXIT];
  /** The last line preflight prints: the outcome of the whole run. */
  readonly line: string;
}

/**
 * The run's outcome. An `unknown` is a fact nobody confirmed: it fails the
 * run until someone has checked it by hand (as its row says) and says so
 * with --allow-unknown, so a pass never stands on an unanswered question.
 */
export function preflightVerdict(results: readonly PreflightTarget[], allowUnknown: boolean): PreflightVerdict {
  const outcomes = results.flatMap((r) => r.outcomes);
  const count = (result: string) => outcomes.filter((o) => o.result === result).length;
  const [pass, fail, unknown] = [count('pass'), count('fail'), count('unknown')];
  const refused = results.filter((r) => 'refused' in r.identity).map((r) => r.target);
  const problems = [
    ...(fail > 0 ? [`${fail} fail`] : []),
    ...(unknown > 0 && !allowUnknown ? [`${unknown} unknown (an unknown fails the run: check it by hand as its row says, then run again with --allow-unknown)`] : []),
    ...(refused.length > 0 ? [`credentials refused in ${refused.join(', ')}`] : []),
  ];
  if (problems.length > 0) return { exitCode: PREFLIGHT_EXIT.FAILED, line: `Preflight FAILED: ${problems.join('; ')}.` };
  const accepted = unknown > 0 ? `, ${unknown} unknown accepted with --allow-unknown` : '';
  return { exitCode: PREFLIGHT_EXIT.PASSED, line: `Preflight passed: ${pass} pass${accepted} (${results.map((r) => r.target).join(', ')}).` };
}
