import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../../lib/config/load';
import { MODEL_CATALOG } from '../../../lib/config/defaults';
import { checkCapability } from '../../../lib/residency/capability-gate';
import { FactStatus } from '../../../lib/residency/region-facts';
import { modelsInUse, targetStacksProps } from '../../../lib/stacks/target-props';
import { problemsOf } from '../../helpers/config-problems';
import { REPO_ROOT } from '../../helpers/synth';

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
