import type { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../../../lib/contract/env-names';
import type { AgentOrchestratorProps } from '../../../../lib/constructs/agent-orchestrator/agent-orchestrator';
import { ModelBackend } from '../../../../lib/constructs/model-backend/model-backend';
import { readAgentDirectory } from '../../../../lambda/core/wiring/agent-wiring';
import { GOV_WEST, listOf, logicalIdOf, roleStatements } from '../construct-test-stacks';
import { orchestratorIn } from './orchestrator-fixture';

/** Agents as the orchestrator construct ships them: definitions in the bundle, models in the environment, grants on exactly their models. */

const NOVA_PRO = 'amazon.nova-pro-v1:0';
const NOVA_LITE = 'amazon.nova-lite-v1:0';

function orchestratorWith(overrides: Partial<AgentOrchestratorProps>) {
  return orchestratorIn(GOV_WEST, () => overrides);
}

const FOIA = {
  intake: { description: 'Takes FOIA requests.', instructions: 'You take FOIA requests from the public. Ask the records agent for what exists.', delegates: ['records-search'], tools: ['compute_deadline'] },
  'records-search': { description: 'Searches agency records.', instructions: 'You search case records and answer with record ids only.', model: ModelBackend.bedrockConverse({ modelId: NOVA_LITE }), tools: ['lookup_case'] },
};

describe('AgentOrchestrator agents', () => {
  test('two agents on two models: the bundled directory holds both definitions, the environment both models, and the role exactly both models', () => {
    // GIVEN a FOIA intake agent that delegates to a records agent on another model
    const { agent, template } = orchestratorWith({ agents: FOIA, defaultAgent: 'intake' });
    // THEN the directory the bundle carries has both, with versions
    const { agents, defaultAgent } = agent.agentDirectory;
    expect(defaultAgent).toBe('intake');
    expect(Object.keys(agents)).toEqual(['intake', 'records-search']);
    expect(agents.intake).toMatchObject({ instructions: FOIA.intake.instructions, delegates: ['records-search'], tools: ['compute_deadline'] });
    expect(agents['records-search'].model).toEqual({ kind: 'bedrock-converse', modelId: NOVA_LITE, allowInferenceProfile: false });
    expect(agents.intake.version).toMatch(/^[0-9a-f]{16}$/);
    expect(agents.intake.version).not.toBe(agents['records-search'].version);
    // AND the function's own parser reads the environment and the bundled definitions back
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'orchestrator')!;
    const variables = fn.Properties.Environment.Variables;
    const read = readAgentDirectory({ [ENV.AGENT_MODELS]: variables[ENV.AGENT_MODELS], [ENV.AGENT_DEFINITIONS]: JSON.stringify(agent.agentDirectory) });
    expect(read.agents.intake.model).toEqual({ kind: 'bedrock-converse', modelId: NOVA_PRO, allowInferenceProfile: false });
    expect(read.agents['records-search'].model.kind).toBe('bedrock-converse');
    // The instructions are not in the environment (4 KB limit); only their digest is.
    expect(JSON.stringify(variables)).not.toContain('You take FOIA requests');
    expect(variables[ENV.AGENT_DEFINITIONS_DIGEST]).toMatch(/^[0-9a-f]{16}$/);
    // AND the orchestrator may invoke exactly the two agents' models
    const bedrock = roleStatements(template, logicalIdOf(agent.orchestrator.role)).filter((s) => listOf(s.Action).some((a) => a.startsWith('bedrock:')));
    const resources = bedrock.flatMap((s) => listOf(s.Resource as string | string[])).sort();
    expect(resources).toEqual([`arn:aws-us-gov:bedrock:${GOV_WEST}::foundation-model/${NOVA_LITE}`, `arn:aws-us-gov:bedrock:${GOV_WEST}::foundation-model/${NOVA_PRO}`]);
  });

  test('a changed prompt changes the agent\'s version and the template', () => {
    const before = orchestratorWith({ agents: FOIA, defaultAgent: 'intake' });
    const after = orchestratorWith({ agents: { ...FOIA, intake: { ...FOIA.intake, instructions: `${FOIA.intake.instructions} Be brief.` } }, defaultAgent: 'intake' });
    expect(after.agent.agentDirectory.agents.intake.version).not.toBe(before.agent.agentDirectory.agents.intake.version);
    expect(after.agent.agentDirectory.agents['records-search'].version).toBe(before.agent.agentDirectory.agents['records-search'].version);
    const digest = (t: Template) => JSON.stringify(t.findResources('AWS::Lambda::Function')).match(/"STATEHOUSE_AGENT_DEFINITIONS_DIGEST":"([0-9a-f]+)"/)![1];
    expect(digest(after.template)).not.toBe(digest(before.template));
  });

  test('without agents there is one, `assistant`, on the default model', () => {
    const { agent } = orchestratorWith({});
    expect(Object.keys(agent.agentDirectory.agents)).toEqual(['assistant']);
    expect(agent.agentDirectory.defaultAgent).toBe('assistant');
  });

  test.each<[string, Partial<AgentOrchestratorProps>, RegExp]>([
    ['a default agent that is not declared', { agents: FOIA, defaultAgent: 'triage' }, /defaultAgent: "triage" is not one of agents \(intake, records-search\)/],
    ['a delegate that is not declared', { agents: { intake: { ...FOIA.intake, delegates: ['legal'] } } }, /agents\.intake: "legal" is not another agent/],
    ['instructions over 16 KB', { agents: { intake: { ...FOIA.intake, delegates: [], instructions: 'x'.repeat(16 * 1024 + 1) } } }, /agents\.intake\.instructions: 16385 bytes; give 1 to 16384/],
    ['a name that is not an agent name', { agents: { Intake: { ...FOIA.intake, delegates: [] } } }, /"Intake" is not an agent name/],
  ])('%s is refused, naming the prop', (_case, props, message) => {
    expect(() => orchestratorWith(props)).toThrow(message);
  });
});
