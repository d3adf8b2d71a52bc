import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { AgentDirectory } from '../../../../lib/contract/agent';
import type { Guardrail } from '../../ports/guardrail';

/**
 * Each agent's guardrail, from its definition's binding (the turn's
 * `guardrailFor`): made on first use, one per agent, all on one
 * bedrock-runtime client (guardrailClientConfig). An agent without a binding
 * has none, and its turns make no ApplyGuardrail call. `client` may be a
 * function that makes it, called when the first guardrail is made: a
 * deployment without guardrails never loads the adapter or its SDK client.
 */
export function agentGuardrails(
  directory: AgentDirectory,
  client: BedrockRuntimeClient | (() => BedrockRuntimeClient),
): (agent: string) => Guardrail | undefined {
  const made = new Map<string, Guardrail>();
  return (agent) => {
    const binding = directory.agents[agent]?.guardrail;
    if (!binding) return undefined;
    let guardrail = made.get(agent);
    if (!guardrail) {
      const { BedrockGuardrail } = require('./bedrock-guardrail') as typeof import('./bedrock-guardrail');
      guardrail = new BedrockGuardrail({ client: typeof client === 'function' ? client() : client, binding });
      made.set(agent, guardrail);
    }
    return guardrail;
  };
}
