import type { z } from 'zod';

const ISSUES_SHOWN = 3;

/**
 * A zod failure as `path: problem` phrases. Zod's messages name the expected
 * and received types, never the received value, so the text is safe to
 * return to a caller even when the input held a prompt or a reply.
 */
export function describeZodIssues(error: z.ZodError): string {
  const phrases = error.issues
    .slice(0, ISSUES_SHOWN)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  const more = error.issues.length - ISSUES_SHOWN;
  return more > 0 ? `${phrases.join('; ')}; and ${more} more` : phrases.join('; ');
}
