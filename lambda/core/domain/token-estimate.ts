/**
 * A rough, backend-independent token count: about four characters per token
 * for English text. Budgets and context bounds only need to be conservative
 * and deterministic; the model's own usage figures are what budgets are charged.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
