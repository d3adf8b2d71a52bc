import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../../lib/config/load';
import { MODEL_CATALOG } from '../../../lib/config/defaults';
import { checkCapability } from '../../../lib/residency/capability-gate';
import { FactStatus } from '../../../lib/residency/region-facts';
import { modelsInUse, targetStacksProps } from '../../../lib/stacks/target-props';
import { problemsOf } from '../../helpers/config-problems';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import { ENV } from '../../../lib/contract/env-names';
import { readValidationReport } from '../../../lib/compliance/validation-report';
import { cfnLint, cfnLintAvailable, cfnLintOptedOut } from '../../helpers/cfn-lint';
import { REPO_ROOT, stacksOf, synthStatehouse, templatePath, type Synthesized } from '../../helpers/synth';

/** Agents in the configuration: declared per target, checked with every other problem, turned into construct props. */

const INTAKE = { description: 'Takes FOIA requests.', instructions: 'You take FOIA requests.', delegates: ['records-search'], tools: ['compute_deadline'] };
const RECORDS = { description: 'Searches records.', instructions: 'You search case records.', model: MODEL_CATALOG.light, tools: ['lookup_case'] };

/** The FOIA example of README "Agents", as a user would paste it. */
function readmeFoiaExample(): unknown {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /A FOIA office[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README "Agents" has no FOIA example');
  return JSON.parse(block[1]);
}

describe('agents in the configuration', () => {
  test('the README\'s FOIA example parses, with intake delegating to records-search on its own model', () => {
    const target = parseConfig(readmeFoiaExample()).targets.GovWest;
    expect(target.defaultAgent).toBe('foia-intake');
    expect(target.agents['foia-intake'].delegates).toEqual(['records-search']);
    expect(targetStacksProps('GovWest', target).runtime.models().agents['records-search'].tools).toEqual(['lookup_case']);
  });

  test('the default targets have one agent, assistant, on a catalog model the region facts mark as offered there', () => {
    const config = parseConfig();
    for (const name of ['Commercial', 'GovWest']) {
      const target = config.targets[name];
      expect(Object.keys(target.agents)).toEqual(['assistant']);
      expect(target.defaultAgent).toBe('assistant');
      const model = target.model;
      expect(model).toEqual(MODEL_CATALOG.general);
      expect(checkCapability(`bedrock:model:${MODEL_CATALOG.general.modelId}`, target.region).status).toBe(FactStatus.AVAILABLE);
    }
  });

  test('a team\'s agents replace the default ones as a whole and become the orchestrator\'s agents', () => {
    const config = parseConfig({ targets: { GovWest: { agents: { intake: INTAKE, 'records-search': RECORDS }, defaultAgent: 'intake' } } });
    const target = config.targets.GovWest;
    expect(Object.keys(target.agents)).toEqual(['intake', 'records-search']);
    expect(modelsInUse(target).map((m) => (m as { modelId?: string }).modelId)).toEqual([MODEL_CATALOG.general.modelId, MODEL_CATALOG.light.modelId, MODEL_CATALOG.general.modelId]);
    const runtime = targetStacksProps('GovWest', target).runtime;
    expect(runtime.models().defaultAgent).toBe('intake');
    expect(Object.keys(runtime.models().agents)).toEqual(['intake', 'records-search']);
    // An agent that names no tools may call every enabled tool.
    const onlyDefaults = targetStacksProps('GovWest', parseConfig().targets.GovWest).runtime.models().agents.assistant;
    expect(onlyDefaults.tools).toEqual(parseConfig().targets.GovWest.tools.enabled);
  });

  test.each<[string, unknown, RegExp[]]>([
    ['a default agent that is not declared', { agents: { intake: { ...INTAKE, delegates: [] } } }, [/^targets\.GovWest\.defaultAgent: "assistant" is not an agent of this target \(agents: "intake"\)/]],
    ['a delegate that is not declared', { agents: { intake: INTAKE }, defaultAgent: 'intake' }, [/^targets\.GovWest\.agents\.intake\.delegates\[0\]: "records-search" is not an agent of this target/]],
    ['an agent that delegates to itself', { agents: { intake: { ...INTAKE, delegates: ['intake'] } }, defaultAgent: 'intake' }, [/delegates\[0\]: an agent cannot delegate to itself/]],
    ['a tool that is not enabled', { agents: { intake: { ...INTAKE, delegates: [], tools: ['release_records'] } }, defaultAgent: 'intake', tools: { enabled: ['compute_deadline'] } }, [/agents\.intake\.tools\[0\]: "release_records" is not enabled in this target/]],
    ['instructions over 16 KB', { agents: { intake: { ...INTAKE, delegates: [], instructions: 'é'.repeat(8193) } }, defaultAgent: 'intake' }, [/agents\.intake\.instructions: must be at most 16384 bytes/]],
    ['an agent model that is a global inference profile', { agents: { intake: { ...INTAKE, delegates: [], model: { kind: 'bedrock-converse', modelId: 'global.amazon.nova-pro-v1:0' } } }, defaultAgent: 'intake' }, [/agents\.intake\.model\.modelId: "global\.amazon\.nova-pro-v1:0" is a cross-region inference profile/]],
    ['an agent on the Neuron endpoint without one', { agents: { intake: { ...INTAKE, delegates: [], model: { kind: 'neuron' } } }, defaultAgent: 'intake' }, [/agents\.intake\.model\.kind: "neuron" means this target's own Neuron endpoint/]],
  ])('%s is a configuration error with its field', (_case, govWest, expected) => {
    const problems = problemsOf({ targets: { GovWest: govWest } });
    for (const pattern of expected) expect(problems).toContainEqual(expect.stringMatching(pattern));
  });
});

describe('the README FOIA example, synthesized', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthStatehouse({ targets: 'GovWest', overrides: readmeFoiaExample(), cfnValidation: true });
  });

  test('cdk-nag and the residency guard report nothing unacknowledged, and cfn-lint no error', () => {
    const { errors } = readValidationReport(synth.assembly.directory);
    expect(errors).toEqual([]);
    if (cfnLintAvailable()) {
      expect(cfnLint(stacksOf(synth.stages[0]).map(templatePath), 'us-gov-west-1').filter((f) => f.Level === 'Error')).toEqual([]);
    } else if (!cfnLintOptedOut()) {
      throw new Error('cfn-lint is not on PATH. Install it (pip install cfn-lint) or set STATEHOUSE_SKIP_CFN_LINT=1 outside CI.');
    }
  });

  test('the orchestrator may invoke exactly the two agents\' models and apply exactly the foia guardrail', () => {
    const runtime = synth.stages[0].runtime;
    const template = Template.fromStack(runtime);
    const role = runtime.resolve((runtime.agent.orchestrator.role.node.defaultChild as CfnElement).logicalId) as string;
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    const on = (prefix: string) => statements.filter((s) => [s.Action].flat().some((a) => a.startsWith(prefix)));
    expect(on('bedrock:Invoke').flatMap((s) => [s.Resource].flat()).sort()).toEqual([
      'arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/amazon.nova-lite-v1:0',
      'arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/amazon.nova-pro-v1:0',
    ]);
    const apply = on('bedrock:ApplyGuardrail');
    expect(apply).toHaveLength(1);
    expect(JSON.stringify(apply[0].Resource)).toContain('guardrail/');
    // AND the guardrail is the agent's, in the environment (a deploy-time id), not in the bundle
    expect(Object.keys(runtime.guardrails)).toEqual(['foia']);
    expect(runtime.agent.agentDirectory.agents['foia-intake'].guardrail).toBeUndefined();
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'orchestrator')!;
    const guardrails = JSON.stringify(fn.Properties.Environment.Variables[ENV.AGENT_GUARDRAILS]);
    expect(guardrails).toContain('foia-intake');
    expect(guardrails).toContain(runtime.resolve((runtime.guardrails.foia.node.defaultChild as CfnElement).logicalId));
  });
});
