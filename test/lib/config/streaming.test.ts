import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../../lib/config/load';
import { targetStacksProps } from '../../../lib/stacks/target-props';
import { problemsOf } from '../../helpers/config-problems';
import { synthStatehouse } from '../../helpers/synth';

/**
 * `streaming`: where turns stream. Lambda response streaming is documented
 * for the commercial regions and unverified in GovCloud (US); API Gateway's
 * REST response streaming is announced for both. `auto` follows the facts,
 * `required` deploys streaming and lets the capability gate speak, `off` never.
 */
const streamingOf = (target: string, streaming?: unknown) =>
  targetStacksProps(target, parseConfig(streaming === undefined ? {} : { targets: { [target]: { streaming } } }).targets[target]).runtime.streaming;

/** The POST method of the resource `pathPart`: POST /sessions/{sessionId}/turns and POST /v1/responses are the methods that may stream. */
function postOf(template: Template, pathPart: string) {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const [id] = Object.entries(resources).find(([, r]) => r.Properties.PathPart === pathPart)!;
  return Object.values(template.findResources('AWS::ApiGateway::Method')).find((m) => m.Properties.ResourceId?.Ref === id && m.Properties.HttpMethod === 'POST')!;
}
const turnsMethod = (template: Template) => postOf(template, 'turns');

describe('streaming turns in the configuration', () => {
  test('auto: on in a commercial region, off in GovCloud with the reason and what to do', () => {
    expect(streamingOf('Commercial')).toEqual({ enabled: true, gated: false });
    const govWest = streamingOf('GovWest');
    expect(govWest).toMatchObject({ enabled: false, gated: false });
    expect(govWest.offBecause).toMatch(/^streaming turns are off: "lambda:response-streaming" is unverified in us-gov-west-1 \(.+\)\. .*Instead: verify .* set streaming: "required"/);
  });

  test('required and off are taken as said', () => {
    expect(streamingOf('GovWest', 'required')).toEqual({ enabled: true, gated: true });
    expect(streamingOf('Commercial', 'off')).toEqual({ enabled: false, gated: false });
  });

  test.each<[string, unknown]>([
    ['a boolean', true],
    ['an unknown mode', 'sometimes'],
  ])('refuses %s, naming the field and the choices', (_case, streaming) => {
    expect(problemsOf({ targets: { GovWest: { streaming } } })).toEqual([expect.stringMatching(/^targets\.GovWest\.streaming: must be "auto", "required" or "off"$/)]);
  });
});

describe('streaming turns in the Runtime stack', () => {
  const { stages } = synthStatehouse({ targets: 'Commercial,GovWest' });
  const [commercial, govWest] = stages;

  test('Commercial: POST turns and POST /v1/responses stream from the streaming orchestrator; every other method stays buffered on the orchestrator', () => {
    const template = Template.fromStack(commercial.runtime);
    const streaming = commercial.runtime.agent.streaming!;
    const streamingId = commercial.runtime.getLogicalId(streaming.function.node.defaultChild as never);
    const streamed = [turnsMethod(template), postOf(template, 'responses')];
    for (const method of streamed) {
      expect(method.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY', ResponseTransferMode: 'STREAM' });
      expect(JSON.stringify(method.Properties.Integration.Uri)).toContain('response-streaming-invocations');
      expect(JSON.stringify(method.Properties.Integration.Uri)).toContain(streamingId);
    }
    const others = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) => !streamed.includes(m));
    for (const method of others) {
      expect(method.Properties.Integration.ResponseTransferMode ?? 'BUFFERED').toBe('BUFFERED');
      expect(JSON.stringify(method.Properties.Integration.Uri)).not.toContain(streamingId);
    }
    // It runs turns as the orchestrator does: the same session access, tools and loop grants.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'orchestrator-stream', STATEHOUSE_AGENT_LOOP_STATE_MACHINE: Match.anyValue(), STATEHOUSE_TOOLS_DIGEST: Match.anyValue() }) },
    });
  });

  test('GovWest (auto): no streaming orchestrator, POST turns buffered, and a synth warning that says why and what to do', () => {
    const template = Template.fromStack(govWest.runtime);
    expect(govWest.runtime.agent.streaming).toBeUndefined();
    expect(turnsMethod(template).Properties.Integration.ResponseTransferMode ?? 'BUFFERED').toBe('BUFFERED');
    Annotations.fromStack(govWest.runtime).hasWarning('*', Match.stringLikeRegexp('streaming turns are off: "lambda:response-streaming" is unverified in us-gov-west-1'));
  });

  test('GovWest (required): streams, and the capability gate warns that Lambda response streaming is unverified there', () => {
    const [required] = synthStatehouse({ targets: 'GovWest', overrides: { targets: { GovWest: { streaming: 'required' } } } }).stages;
    expect(required.runtime.agent.streaming).toBeDefined();
    Annotations.fromStack(required.runtime).hasWarning('*', Match.stringLikeRegexp('"lambda:response-streaming" in GovWest \\(us-gov-west-1\\) is unverified'));
  });
});
