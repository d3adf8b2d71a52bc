import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { servedRoutes } from '../../lambda/orchestrator/handler';
import { SessionApi } from '../../lib/constructs/session-api/session-api';
import { deployedApiMethods, UnreadableApiError } from '../../lib/emulator/deployed-api';
import { STREAMING_METHODS } from '../../lib/emulator/orchestrator-routes';
import { GOV_WEST, logicalIdOf, targetStack, testFoundation } from '../lib/constructs/construct-test-stacks';

/**
 * The local gateway's routes read back from a synthesized SessionApi, as
 * deploy:local reads them from the deployed Runtime stack: every method, the
 * function its integration invokes, and which integrations stream.
 */

function sessionApiTemplate(streams: boolean): { resources: Record<string, any>; handler: string; streaming: string } {
  const { stack } = targetStack(GOV_WEST);
  const foundation = testFoundation(stack);
  const endpoint = foundation.vpc.addInterfaceEndpoint('ExecuteApi', { service: ec2.InterfaceVpcEndpointAwsService.APIGATEWAY, subnets: foundation.subnets });
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});') });
  const handler = fn('Handler');
  const streaming = fn('Streaming');
  new SessionApi(stack, 'Api', { handler, ...(streams ? { streamingHandler: streaming } : {}), endpoint, logsKey: foundation.logsKey, logRetention: foundation.logRetention });
  return { resources: Template.fromStack(stack).toJSON().Resources, handler: logicalIdOf(handler), streaming: logicalIdOf(streaming) };
}

test('a streaming API: every route the handler serves, the turn and the response create integrated with the streaming function', () => {
  const { resources, handler, streaming } = sessionApiTemplate(true);

  const methods = deployedApiMethods(resources);

  expect(methods.map((m) => `${m.method} ${m.resource}`).sort()).toEqual(servedRoutes().sort());
  const streamed = methods.filter((m) => m.streaming);
  expect(streamed.map((m) => `${m.method} ${m.resource}`).sort()).toEqual([...STREAMING_METHODS].sort());
  expect(new Set(streamed.map((m) => m.functionLogicalId))).toEqual(new Set([streaming]));
  expect(new Set(methods.filter((m) => !m.streaming).map((m) => m.functionLogicalId))).toEqual(new Set([handler]));
});

test('a buffered API: nothing streams, every method invokes the handler', () => {
  const { resources, handler } = sessionApiTemplate(false);

  const methods = deployedApiMethods(resources);

  expect(methods.some((m) => m.streaming)).toBe(false);
  expect(new Set(methods.map((m) => m.functionLogicalId))).toEqual(new Set([handler]));
});

test('a method that is not a Lambda proxy of a function of the template is refused, named', () => {
  const { resources } = sessionApiTemplate(false);
  const [id, method] = Object.entries(resources).find(([, resource]) => resource.Type === 'AWS::ApiGateway::Method')!;
  const mocked = { ...resources, [id]: { ...method, Properties: { ...method.Properties, Integration: { Type: 'MOCK' } } } };

  expect(() => deployedApiMethods(mocked)).toThrow(UnreadableApiError);
  expect(() => deployedApiMethods(mocked)).toThrow(`method ${id} is not a Lambda proxy integration of a function of the template (MOCK)`);
});
