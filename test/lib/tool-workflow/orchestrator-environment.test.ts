import { ENV } from '../../../lib/contract/env-names';
import { stacksOf, synthStatehouse } from '../../helpers/synth';
import { functionEnvironment } from './synthesized-workflows';

/**
 * Lambda refuses a function whose environment variables together exceed
 * 4 KB (Lambda developer guide, "Lambda quotas"), at deploy, not at synth.
 * The tool declarations (1.4 to 1.8 KB) and the agent definitions ship in
 * the bundle instead; the environment is measured here as deployed (every
 * token resolved to the value CloudFormation would give it in GovWest, the
 * longest ARNs), for the default tools and with the knowledge-base tool as
 * well, for both functions that run turns.
 */
const LAMBDA_ENVIRONMENT_LIMIT = 4 * 1024;
/** Kept free for what grows per deployment: the tenant map (about 70 bytes per role) and a fork's own tools. */
const HEADROOM = 1024;

const sizeOf = (env: Record<string, string>) => Object.entries(env).reduce((bytes, [name, value]) => bytes + Buffer.byteLength(name) + Buffer.byteLength(value), 0);

test.each<[string, unknown]>([
  ['the default tools', undefined],
  ['the default tools and search_knowledge_base', { targets: { GovWest: { tools: { knowledgeBaseId: 'KB12345678' } } } }],
])('GovWest turn functions with %s: their whole environment leaves 1 KB of the 4 KB limit free', (_case, overrides) => {
  const [stage] = synthStatehouse({ targets: 'GovWest', overrides }).stages;
  for (const service of ['orchestrator', 'agent-loop']) {
    const env = functionEnvironment(stage.runtime, stacksOf(stage), service);
    const total = sizeOf(env);
    expect(env[ENV.TOOLS]).toBeUndefined();
    expect(total).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT - HEADROOM);
  }
});
