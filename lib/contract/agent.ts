import type { AgentMemory } from './memory-table';
import type { ModelBackendConfig } from './model-backend-config';

/**
 * An agent: what a platform team declares (instructions, model, tools,
 * delegates, guardrail, limits) and what the orchestrator runs a session's
 * turns with. The CDK side (AgentOrchestrator) writes every agent of a
 * target into the orchestrator's bundle; the Lambda side reads them once at
 * cold start. Plain data: no SDK, CDK or zod imports.
 */

/** Agent names: what `POST /sessions { agent }` names and the OpenAI facade calls `model`. */
export const AGENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export const AGENT_NAME_RULE = 'lowercase letters, digits and hyphens, starting with a letter (at most 63)';

/** The longest system prompt an agent may have, in UTF-8 bytes. */
export const MAX_INSTRUCTIONS_BYTES = 16 * 1024;
/** How deep agents may ask agents within one turn (the caller is depth 0). */
export const DEFAULT_DELEGATION_DEPTH = 2;

/** The Bedrock guardrail an agent's text passes through (ApplyGuardrail), for every model backend. */
export interface GuardrailBinding {
  /** Guardrail id (or ARN) and the published version to apply. */
  readonly guardrailIdentifier: string;
  readonly guardrailVersion: string;
}

/** Per-agent limits over the deployment's session limits. */
export interface AgentLimits {
  /** Model calls that may run tools before the agent must answer. */
  readonly maxToolRounds?: number;
  /** Tokens one delegated call of this agent may spend, its own rounds included. */
  readonly delegationTokenBudget?: number;
  /** How deep this agent may delegate (its delegates count as depth 1). @default DEFAULT_DELEGATION_DEPTH */
  readonly maxDelegationDepth?: number;
}

/** One agent as the orchestrator runs it. */
export interface AgentDefinition {
  /** AGENT_NAME_PATTERN. */
  readonly name: string;
  /** What the agent is for; what a caller (or a delegating agent's model) is told about it. */
  readonly description: string;
  /** The system prompt, at most MAX_INSTRUCTIONS_BYTES. */
  readonly instructions: string;
  /** The agent's own model; its function is granted only the models of the agents it runs. */
  readonly model: ModelBackendConfig;
  /** Names of enabled tools this agent may call (the tool policy still decides per call). */
  readonly tools: readonly string[];
  /** Agents this agent may ask, each offered to its model as a tool. @default none */
  readonly delegates?: readonly string[];
  /** Agents this agent may hand the session to for the following turns. @default none */
  readonly handoffs?: readonly string[];
  readonly guardrail?: GuardrailBinding;
  readonly limits?: AgentLimits;
  /** Memory across the person's sessions (lib/contract/memory-table.ts). @default none: nothing recalled, nothing extracted */
  readonly memory?: AgentMemory;
  /**
   * The definition's version: a digest of everything above, computed at
   * synth. Each turn records the version that served it, so an auditor can
   * tell which instructions produced an answer.
   */
  readonly version: string;
}

/** Every agent of a deployment, and the one a session gets when its creator names none. */
export interface AgentDirectory {
  readonly defaultAgent: string;
  readonly agents: Readonly<Record<string, AgentDefinition>>;
}

/** The tool name under which an agent offers a delegate to its model. */
export function delegateToolName(agent: string): string {
  return `ask_${agent.replace(/-/g, '_')}`;
}

/** The tool name under which an agent offers a handoff to its model. */
export function handoffToolName(agent: string): string {
  return `handoff_to_${agent.replace(/-/g, '_')}`;
}
