/**
 * Output tokens a reply may use when the backend configuration sets none.
 * Enough for a tool call or a few paragraphs; a fork raises it per backend
 * with `maxTokens` in ENV.MODEL_BACKEND.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;
