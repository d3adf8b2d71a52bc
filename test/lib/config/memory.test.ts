import { parseConfig } from '../../../lib/config/load';
import { DEFAULT_RECALL_TOKENS, MEMORY_DEFAULTS } from '../../../lib/contract/memory-table';
import { TITAN_TEXT_EMBEDDINGS_V2, regionEmbeddingModel } from '../../../lib/residency/region-facts';
import { memoryInUse, modelsInUse, targetStacksProps } from '../../../lib/stacks/target-props';
import { problemsOf } from '../../helpers/config-problems';

/** Memory in the configuration: off by default, per agent when on, the target's store settings within MEMORY_BOUNDS. */

const EXPORT_ROLE = 'arn:aws-us-gov:iam::111111111111:role/records-officer';
const ASSISTANT = { description: 'An assistant.', instructions: 'You assist agency staff.' };

describe('memory in the configuration', () => {
  test('by default no agent has memory: nothing is extracted, and the store has MEMORY_DEFAULTS', () => {
    // GIVEN the default configuration
    const target = parseConfig().targets.GovWest;
    // THEN memory is off, and the store's settings are the defaults
    expect(memoryInUse(target)).toBe(false);
    const props = targetStacksProps('GovWest', target);
    expect(props.runtime.models().memoryModel).toBeUndefined();
    expect(props.runtime.models().agents.assistant.memory).toBeUndefined();
    expect(props.state.memorySettings).toEqual(MEMORY_DEFAULTS);
    expect(props.runtime.memory.exportRoles).toEqual([]);
  });

  test('memory {} turns it on with scope actor and the default recall budget; the extractor runs on the target model', () => {
    const target = parseConfig({ targets: { GovWest: { agents: { assistant: { ...ASSISTANT, memory: {} } } } } }).targets.GovWest;
    expect(memoryInUse(target)).toBe(true);
    const runtime = targetStacksProps('GovWest', target).runtime;
    expect(runtime.models().agents.assistant.memory).toEqual({ scope: 'actor', recallTokens: DEFAULT_RECALL_TOKENS });
    // The extractor's model is one more model in use: the target's model unless memory.model says otherwise.
    expect(modelsInUse(target)).toHaveLength(3);
    expect(modelsInUse(target)[2]).toEqual(target.model);
  });

  test('the target\'s settings go over MEMORY_DEFAULTS field by field, retention per kind included', () => {
    const target = parseConfig({
      targets: { GovWest: { memory: { maxRecordsPerActor: 50, retentionDays: { episode: 30 }, exportRoles: [EXPORT_ROLE] }, tenants: { records: [EXPORT_ROLE] } } },
    }).targets.GovWest;
    const { settings, exportRoles } = targetStacksProps('GovWest', target).runtime.memory;
    expect(settings).toEqual({ ...MEMORY_DEFAULTS, maxRecordsPerActor: 50, retentionDays: { ...MEMORY_DEFAULTS.retentionDays, episode: 30 } });
    expect(exportRoles).toEqual([EXPORT_ROLE]);
  });

  test('the embedding model defaults to the region\'s where the facts list one (us-east-1), none in GovCloud; false turns it off', () => {
    const config = parseConfig();
    expect(regionEmbeddingModel('us-east-1')).toBe(TITAN_TEXT_EMBEDDINGS_V2);
    expect(targetStacksProps('Commercial', config.targets.Commercial).runtime.memory.embeddingModel).toBe(TITAN_TEXT_EMBEDDINGS_V2);
    expect(targetStacksProps('GovWest', config.targets.GovWest).runtime.memory.embeddingModel).toBeUndefined();
    const off = parseConfig({ targets: { Commercial: { memory: { embeddingModel: false } } } }).targets.Commercial;
    expect(targetStacksProps('Commercial', off).runtime.memory.embeddingModel).toBeUndefined();
  });

  test.each<[string, unknown, RegExp]>([
    ['a scope that is neither actor nor agent', { agents: { assistant: { ...ASSISTANT, memory: { scope: 'tenant' } } } }, /agents\.assistant\.memory\.scope: must be "actor" \(shared by the person's agents\) or "agent"/],
    ['a recall budget below the bound', { agents: { assistant: { ...ASSISTANT, memory: { recallTokens: 10 } } } }, /memory\.recallTokens: must be at least 50 \(recalled records share the turn's context budget/],
    ['a recall budget as large as the whole context', { agents: { assistant: { ...ASSISTANT, memory: { recallTokens: 8000 } } }, session: { contextTokens: 6000 } }, /agents\.assistant\.memory\.recallTokens: is 8000, but a turn's whole context is session\.contextTokens = 6000 tokens/],
    ['a cap above MEMORY_BOUNDS', { memory: { maxRecordsPerActor: 5000 } }, /memory\.maxRecordsPerActor: must be at most 500 \(recall reads every record of the actor in one Query/],
    ['a retention of zero days', { memory: { retentionDays: { fact: 0 } } }, /memory\.retentionDays\.fact: must be at least 1/],
    ['a retention of more than ten years', { memory: { retentionDays: { preference: 4000 } } }, /memory\.retentionDays\.preference: must be at most 3650 \(ten years; keep records longer in the agency's records system through the export\)/],
    ['a kind that does not exist', { memory: { retentionDays: { opinion: 10 } } }, /unknown field "opinion"/],
    ['a log kept less than a year', { memory: { logRetentionDays: 30 } }, /memory\.logRetentionDays: must be at least 365 \(AU-11/],
    ['a record size over the bound', { memory: { maxRecordBytes: 100000 } }, /memory\.maxRecordBytes: must be at most 4096/],
    ['an embedding model the kit does not know', { memory: { embeddingModel: 'amazon.nova-pro-v1:0' } }, /memory\.embeddingModel: must be an embedding model the kit knows \("amazon\.titan-embed-text-v2:0"\) or false/],
    ['an export role that is not a tenant\'s', { memory: { exportRoles: [EXPORT_ROLE] } }, /memory\.exportRoles\[0\]: "arn:aws-us-gov:iam::111111111111:role\/records-officer" is not a role of this target's tenants/],
    ['an export role that is not a role ARN', { memory: { exportRoles: ['records-officer'] } }, /memory\.exportRoles\.0: must be an IAM role ARN/],
    ['an extractor model that is a cross-region profile', { memory: { model: { kind: 'bedrock-converse', modelId: 'us-gov.amazon.nova-pro-v1:0' } } }, /memory\.model\.modelId: "us-gov\.amazon\.nova-pro-v1:0" is a cross-region inference profile/],
    ['an extractor model on a Neuron endpoint the target lacks', { memory: { model: { kind: 'neuron' } } }, /memory\.model\.kind: "neuron" means this target's own Neuron endpoint/],
  ])('%s is refused with its field and what to do', (_case, govWest, expected) => {
    expect(problemsOf({ targets: { GovWest: govWest } })).toContainEqual(expect.stringMatching(expected));
  });
});
