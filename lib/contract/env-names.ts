import type { ConfigurableSessionLimit } from './session-limits';

/**
 * Environment variable names shared by the CDK constructs that set them and
 * the Lambda code that reads them, so the two cannot drift.
 * Plain constants: no SDK or CDK imports.
 */
export const ENV = {
  /** DynamoDB session table name. */
  SESSION_TABLE: 'STATEHOUSE_SESSION_TABLE',
  /** S3 bucket for payloads above the inline threshold. */
  PAYLOAD_BUCKET: 'STATEHOUSE_PAYLOAD_BUCKET',
  /** KMS key id/ARN for payload objects (SSE-KMS). */
  PAYLOAD_KEY: 'STATEHOUSE_PAYLOAD_KEY',
  /** Inline content threshold in bytes. */
  INLINE_THRESHOLD_BYTES: 'STATEHOUSE_INLINE_THRESHOLD_BYTES',
  /** Newest events loaded per turn (K). */
  CONTEXT_EVENTS: 'STATEHOUSE_CONTEXT_EVENTS',
  /** Token budget of the context sent to the model. */
  CONTEXT_TOKENS: 'STATEHOUSE_CONTEXT_TOKENS',
  /** Default per-session token budget. */
  SESSION_TOKEN_BUDGET: 'STATEHOUSE_SESSION_TOKEN_BUDGET',
  /** Session time to live in days (header and events expire together). */
  SESSION_TTL_DAYS: 'STATEHOUSE_SESSION_TTL_DAYS',
  /** JSON: the summarizer's model backend and its settings (see lambda/core/adapters/model/backend-config.ts). */
  MODEL_BACKEND: 'STATEHOUSE_MODEL_BACKEND',
  /** JSON: agent name → its model backend (ModelBackendConfig); deploy-time values resolved by CloudFormation. */
  AGENT_MODELS: 'STATEHOUSE_AGENT_MODELS',
  /**
   * JSON: the AgentDirectory (lib/contract/agent.ts). NOT an environment
   * variable of the deployed function: esbuild replaces `process.env.<this>`
   * with the JSON text at bundle time (instructions do not fit Lambda's 4 KB
   * of environment). Code run from source (tests) may set it in the environment.
   */
  AGENT_DEFINITIONS: 'STATEHOUSE_AGENT_DEFINITIONS',
  /** JSON: agent name → its guardrail (GuardrailBinding); only agents that have one. */
  AGENT_GUARDRAILS: 'STATEHOUSE_AGENT_GUARDRAILS',
  /** A digest of the bundled definitions, so a changed prompt changes the template too. */
  AGENT_DEFINITIONS_DIGEST: 'STATEHOUSE_AGENT_DEFINITIONS_DIGEST',
  /** JSON: { "<IAM role ARN>": "<tenant id>" }; callers not in it are refused. */
  TENANT_MAP: 'STATEHOUSE_TENANT_MAP',
  /** Comma-separated services whose SDK clients use a separate -fips host in this region. */
  FIPS_SERVICES: 'STATEHOUSE_FIPS_SERVICES',
  /** ARN of the Express workflow that runs fast tools (StartSyncExecution). */
  FAST_TOOLS_STATE_MACHINE: 'STATEHOUSE_FAST_TOOLS_STATE_MACHINE',
  /** ARN of the Standard workflow that runs slow and approval-gated tools. */
  SLOW_TOOLS_STATE_MACHINE: 'STATEHOUSE_SLOW_TOOLS_STATE_MACHINE',
  /** ARN of the agent loop, the Standard workflow that runs background turns (lib/contract/agent-loop.ts). */
  AGENT_LOOP_STATE_MACHINE: 'STATEHOUSE_AGENT_LOOP_STATE_MACHINE',
  /** A background turn's deadline in seconds (BACKGROUND_DEFAULTS.deadlineSeconds unless configured). */
  BACKGROUND_DEADLINE_SECONDS: 'STATEHOUSE_BACKGROUND_DEADLINE_SECONDS',
  /** Model calls one background turn may make. */
  BACKGROUND_MAX_ROUNDS: 'STATEHOUSE_BACKGROUND_MAX_ROUNDS',
  /**
   * JSON array: the model-facing declarations (ModelToolDeclaration,
   * tool-declaration.ts) of the tools enabled in this target. Like
   * AGENT_DEFINITIONS, NOT an environment variable of the deployed turn
   * functions: esbuild writes it into their bundle (AgentOrchestrator
   * `tools`), as 1 to 2 KB of declarations do not fit beside the rest in
   * Lambda's 4 KB of environment. Code run from source may set it.
   */
  TOOLS: 'STATEHOUSE_TOOLS',
  /** A digest of the bundled tool declarations, so a changed declaration changes the template too. */
  TOOLS_DIGEST: 'STATEHOUSE_TOOLS_DIGEST',
  /** JSON: the Cedar tool policy document (lib/contract/tool-policy.ts), validated at synth, evaluated by the orchestrator. */
  TOOL_POLICY: 'STATEHOUSE_TOOL_POLICY',
  /** DynamoDB table of agency reference records (set by ReferenceData.bind on the tool functions that use it). */
  REFERENCE_TABLE: 'STATEHOUSE_REFERENCE_TABLE',
  /** The reference table's partition key attribute (set with REFERENCE_TABLE). */
  REFERENCE_KEY_ATTRIBUTE: 'STATEHOUSE_REFERENCE_KEY_ATTRIBUTE',
  /** Bedrock knowledge base id (the search_knowledge_base tool). */
  KNOWLEDGE_BASE_ID: 'STATEHOUSE_KNOWLEDGE_BASE_ID',
  /** DynamoDB memory table name (lib/contract/memory-table.ts), set by MemoryStore.bind. */
  MEMORY_TABLE: 'STATEHOUSE_MEMORY_TABLE',
  /** JSON: MemorySettings (lib/contract/memory-table.ts): the cap per actor, retention per kind. */
  MEMORY_SETTINGS: 'STATEHOUSE_MEMORY_SETTINGS',
  /** JSON: the memory extractor's model backend (ModelBackendConfig), in-region like every model. */
  MEMORY_MODEL: 'STATEHOUSE_MEMORY_MODEL',
  /** JSON: agent name → AgentMemory, only agents with memory on (the extractor's view of the agents). */
  MEMORY_AGENTS: 'STATEHOUSE_MEMORY_AGENTS',
  /** Bedrock model id of the in-region embedding model recall ranks with; unset: lexical ranking only. */
  EMBEDDING_MODEL: 'STATEHOUSE_EMBEDDING_MODEL',
  /** JSON array: IAM role ARNs that may export any actor's memory of their tenant (GET /memory?actor=). */
  MEMORY_EXPORT_ROLES: 'STATEHOUSE_MEMORY_EXPORT_ROLES',
  /** Log prompts and model output (default off: no content in logs). */
  LOG_CONTENT: 'STATEHOUSE_LOG_CONTENT',
  /** Powertools settings. */
  POWERTOOLS_SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
  POWERTOOLS_METRICS_NAMESPACE: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The variable that carries each configurable session limit (AgentOrchestrator writes them, lambda/core/wiring/runtime-env.ts reads them). */
export const SESSION_LIMIT_VARIABLES: Readonly<Record<ConfigurableSessionLimit, EnvName>> = {
  contextEvents: ENV.CONTEXT_EVENTS,
  contextTokens: ENV.CONTEXT_TOKENS,
  tokenBudget: ENV.SESSION_TOKEN_BUDGET,
  ttlDays: ENV.SESSION_TTL_DAYS,
  inlineThresholdBytes: ENV.INLINE_THRESHOLD_BYTES,
};
