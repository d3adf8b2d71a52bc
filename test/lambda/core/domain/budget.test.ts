import { assertWithinBudget } from '../../../../lambda/core/domain/budget';
import { BudgetExceededError } from '../../../../lambda/core/domain/errors';

describe('assertWithinBudget', () => {
  const session = { tokens: { input: 600, output: 300 }, budget: { maxTokens: 1000 } };

  test('a prompt that fits the remaining budget passes, up to the last token', () => {
    expect(() => assertWithinBudget(session, 99)).not.toThrow();
    expect(() => assertWithinBudget(session, 100)).not.toThrow();
  });

  test('a prompt that does not fit is BudgetExceeded (429) with the figures', () => {
    expect(() => assertWithinBudget(session, 101)).toThrow(BudgetExceededError);
    try {
      assertWithinBudget(session, 101);
    } catch (error) {
      expect(error).toMatchObject({ httpStatus: 429, code: 'BudgetExceeded', usedTokens: 900, requestedTokens: 101, maxTokens: 1000 });
    }
  });
});
