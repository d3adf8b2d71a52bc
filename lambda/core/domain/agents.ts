import type { AgentMemory } from '../../../lib/contract/memory-table';
import {
  DEFAULT_DELEGATION_DEPTH,
  delegateToolName,
  handoffToolName,
  type AgentDefinition,
  type AgentDirectory,
} from '../../../lib/contract/agent';
import type { ModelBackend, ToolSpec } from '../ports/model-backend';
import { canonicalJson, type JsonValue } from './canonical-json';
import { AgentUnavailableError, ValidationError } from './errors';
import type { EventDraft } from './session-event';
import type { SessionHeader } from './session-header';
import { estimateTokens } from './token-estimate';
import { ORCHESTRATOR_ACTOR } from './tool-events';

/**
 * The agents a turn runs: which one a session belongs to, what each event
 * records of the agent it belongs to, and the tools under which an agent is
 * offered its delegates and handoffs. The definitions themselves are data
 * (lib/contract/agent.ts), read once at cold start.
 */

/** The deployment's agents and the model each one runs on: what a turn needs to serve any of them. */
export interface AgentModels {
  readonly agents: AgentDirectory;
  /** The model backend of an agent of `agents`. */
  modelFor(agent: string): ModelBackend;
}

function agentNames(directory: AgentDirectory): string {
  return Object.keys(directory.agents).join(', ');
}

/** A session's agent: the one it names, or the default agent for a session created before agents. */
export function sessionAgentOf(header: Pick<SessionHeader, 'agent'>, directory: AgentDirectory): string {
  return header.agent ?? directory.defaultAgent;
}

/** The agent a new session is created for: the one asked for, or the default. */
export function agentForNewSession(directory: AgentDirectory, requested: string | undefined): string {
  const agent = requested ?? directory.defaultAgent;
  if (!Object.hasOwn(directory.agents, agent)) {
    throw new ValidationError('agent', `${JSON.stringify(agent)} is not an agent of this deployment; its agents are ${agentNames(directory)}`);
  }
  return agent;
}

/** @throws AgentUnavailableError when the deployment has no such agent (any more). */
export function agentDefinition(directory: AgentDirectory, agent: string): AgentDefinition {
  if (!Object.hasOwn(directory.agents, agent)) throw new AgentUnavailableError(agent, Object.keys(directory.agents));
  return directory.agents[agent];
}

export function isAgent(directory: AgentDirectory, agent: string): boolean {
  return Object.hasOwn(directory.agents, agent);
}

/** How deep the agent may delegate, counted from itself. */
export function delegationDepthOf(definition: AgentDefinition): number {
  return definition.limits?.maxDelegationDepth ?? DEFAULT_DELEGATION_DEPTH;
}

/** What an event records of the agent it belongs to (inside the hash: an auditor sees which definition served it). */
export type AgentStamp = Required<Pick<EventDraft, 'agent' | 'agentVersion'>> & Pick<EventDraft, 'delegationDepth'>;

export function stampOf(definition: AgentDefinition, depth: number): AgentStamp {
  return { agent: definition.name, agentVersion: definition.version, ...(depth > 0 ? { delegationDepth: depth } : {}) };
}

/** The actor of what an agent sends another: a delegate's request, or its answer as the caller's tool result. */
export function agentActor(agent: string): string {
  return `agent:${agent}`;
}

const DELEGATE_INPUT_SCHEMA = {
  type: 'object',
  properties: {
    request: {
      type: 'string',
      description: 'What to ask, with everything needed to answer it: the agent sees nothing else of this conversation.',
    },
  },
  required: ['request'],
  additionalProperties: false,
};

const HANDOFF_INPUT_SCHEMA = { type: 'object', properties: {}, additionalProperties: false };

/** A delegate as its caller's model sees it: a tool named after it, described by its own description. */
export function delegateSpec(delegate: AgentDefinition): ToolSpec {
  return { name: delegateToolName(delegate.name), description: delegate.description, inputSchema: DELEGATE_INPUT_SCHEMA };
}

export function handoffSpec(target: AgentDefinition): ToolSpec {
  return {
    name: handoffToolName(target.name),
    description: `Hand this conversation over to ${target.name} for the rest of the session: ${target.description}`,
    inputSchema: HANDOFF_INPUT_SCHEMA,
  };
}

/** The request of a delegate call (`{ request }`, not blank), or undefined for any other input. */
export function delegateRequest(input: JsonValue): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const { request, ...rest } = input;
  return typeof request === 'string' && request.trim().length > 0 && Object.keys(rest).length === 0 ? request : undefined;
}

export function isHandoffInput(input: JsonValue): boolean {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && Object.keys(input).length === 0;
}

/** The handoff in the log (AU-10): which agent gave the session to which, on which call. Its content is `{ from, to }`. */
export function handoffDraft(
  from: string,
  to: string,
  call: { readonly id: string; readonly name: string },
  seq: number,
  time: string,
): EventDraft {
  const content = canonicalJson({ from, to });
  return { seq, type: 'handoff', content, tokens: estimateTokens(content), actor: ORCHESTRATOR_ACTOR, time, toolCallId: call.id, toolName: call.name };
}

/** What the turn that hands the session over answers. */
export function handoffAcknowledgment(target: AgentDefinition): string {
  return `I have handed this conversation to ${target.name} (${target.description}); it answers your next message.`;
}

/** The orchestrator's agents with memory on, from their definitions. */
export function memoryAgentsOf(directory: AgentDirectory): Record<string, AgentMemory> {
  return Object.fromEntries(
    Object.values(directory.agents).flatMap((agent) => (agent.memory ? [[agent.name, agent.memory] as const] : [])),
  );
}
