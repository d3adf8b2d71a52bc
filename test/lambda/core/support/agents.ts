import type { AgentDefinition, AgentDirectory } from '../../../../lib/contract/agent';
import type { AgentModels } from '../../../../lambda/core/domain/agents';
import type { ModelBackend } from '../../../../lambda/core/ports/model-backend';

/** The agent of the runtime's tests that are not about agents. */
export const TEST_AGENT = 'assistant';

/** An agent's definition as the orchestrator reads it; its `model` is configuration only, the test supplies the backend. */
export function agentDefinition(name: string, fields: Partial<Omit<AgentDefinition, 'name'>> = {}): AgentDefinition {
  return {
    name,
    description: `The ${name} agent.`,
    instructions: '',
    model: { kind: 'bedrock-converse', modelId: `model-of-${name}` },
    tools: [],
    version: `${name}-v1`,
    ...fields,
  };
}

/**
 * A deployment of one agent without instructions, so its prompts are what
 * they were before agents: the tests of sessions, tools and storage use it.
 */
export function soleAgent(model: ModelBackend, tools: readonly string[] = []): AgentModels {
  const agents: AgentDirectory = { defaultAgent: TEST_AGENT, agents: { [TEST_AGENT]: agentDefinition(TEST_AGENT, { tools }) } };
  return { agents, modelFor: () => model };
}

/** A deployment of these agents, each answered by its own model. */
export function team(defaultAgent: string, members: readonly (readonly [AgentDefinition, ModelBackend])[]): AgentModels {
  const agents: AgentDirectory = { defaultAgent, agents: Object.fromEntries(members.map(([definition]) => [definition.name, definition])) };
  const models = new Map(members.map(([definition, model]) => [definition.name, model]));
  return {
    agents,
    modelFor(agent) {
      const model = models.get(agent);
      if (!model) throw new Error(`no model for agent ${agent} in this test`);
      return model;
    },
  };
}
