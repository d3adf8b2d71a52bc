import { BudgetExceededError } from './errors';
import type { SessionHeader } from './session-header';

/**
 * Compute is a budgeted resource: a turn runs only if the session's spent
 * tokens plus this prompt's estimate stay within its budget. Checked before
 * the model call, so a refused turn costs nothing.
 */
export function assertWithinBudget(header: Pick<SessionHeader, 'tokens' | 'budget'>, promptTokens: number): void {
  const used = header.tokens.input + header.tokens.output;
  if (used + promptTokens > header.budget.maxTokens) {
    throw new BudgetExceededError(used, promptTokens, header.budget.maxTokens);
  }
}
