import { servedRoutes } from '../../../../lambda/orchestrator/handler';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SessionApi, type SessionApiProps } from '../../../../lib/constructs/session-api/session-api';
import { servicePrincipalName } from '../../../../lib/residency/region-facts';
import { COMMERCIAL, GOV_WEST, logicalIdOf, targetStack, TEST_ACCOUNT, testFoundation, type TargetStackFixture } from '../construct-test-stacks';

interface ApiFixture extends TargetStackFixture {
  readonly api: SessionApi;
  readonly endpoint: ec2.InterfaceVpcEndpoint;
  readonly handler: lambda.Function;
  readonly template: Template;
  readonly logsKeyId: string;
}

function apiIn(region: string, props: Partial<SessionApiProps> = {}): ApiFixture {
  const fixture = targetStack(region);
  const foundation = testFoundation(fixture.stack);
  const endpoint = foundation.vpc.addInterfaceEndpoint('ExecuteApi', {
    service: ec2.InterfaceVpcEndpointAwsService.APIGATEWAY,
    subnets: foundation.subnets,
  });
  const handler = new lambda.Function(fixture.stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
  const api = new SessionApi(fixture.stack, 'Api', {
    handler,
    endpoint,
    logsKey: foundation.logsKey,
    logRetention: foundation.logRetention,
    ...props,
  });
  return { ...fixture, api, endpoint, handler, template: Template.fromStack(fixture.stack), logsKeyId: logicalIdOf(foundation.logsKey) };
}

/** `VERB /path` of every method, the path rebuilt from the resources' PathPart and ParentId. */
function routesOf(template: Template, restApiId: string): string[] {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    if (id === undefined || !(id in resources)) return '';
    const { ParentId, PathPart } = resources[id].Properties;
    return `${pathOf(ParentId)}/${PathPart}`;
  };
  return Object.values(template.findResources('AWS::ApiGateway::Method'))
    .filter((m) => m.Properties.RestApiId.Ref === restApiId)
    .map((m) => `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`)
    .sort();
}

describe('SessionApi', () => {
  let f: ApiFixture;
  let restApiId: string;
  beforeAll(() => {
    // GIVEN the session API in us-east-1 behind an execute-api endpoint
    f = apiIn(COMMERCIAL);
    restApiId = logicalIdOf(f.api.api);
  });

  test('is a private REST API reachable through the given VPC endpoint', () => {
    // THEN the API's endpoint type is PRIVATE, bound to the given endpoint
    f.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: [{ Ref: logicalIdOf(f.endpoint) }] },
    });
  });

  test('its resource policy lets this account invoke it and denies any request whose aws:SourceVpce is not the endpoint', () => {
    // THEN the resource policy is the account allow and the endpoint-only deny, nothing else
    f.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
            Condition: { StringNotEquals: { 'aws:SourceVpce': { Ref: logicalIdOf(f.endpoint) } } },
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('serves exactly the session routes', () => {
    // WHEN the methods' paths are rebuilt from the resources
    // THEN they are exactly the routes the handler serves
    expect(routesOf(f.template, restApiId).sort()).toEqual(servedRoutes().sort());
    expect(servedRoutes()).toEqual(expect.arrayContaining(['POST /sessions/{sessionId}/turns', 'GET /sessions/{sessionId}/turns/{requestId}', 'POST /v1/responses', 'GET /v1/conversations/{conversationId}/items']));
  });

  test('every method requires IAM (SigV4) authorization, validates the request, and proxies to the handler', () => {
    // THEN every method is AWS_IAM, validated, and a Lambda proxy to the handler
    const validatorId = Object.keys(f.template.findResources('AWS::ApiGateway::RequestValidator'))[0];
    f.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
    f.template.allResourcesProperties('AWS::ApiGateway::Method', {
      AuthorizationType: 'AWS_IAM',
      RequestValidatorId: { Ref: validatorId },
      Integration: Match.objectLike({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST', Uri: Match.anyValue() }),
    });
    for (const method of Object.values(f.template.findResources('AWS::ApiGateway::Method'))) {
      expect(JSON.stringify(method.Properties.Integration.Uri)).toContain(logicalIdOf(f.handler));
    }
  });

  test('the stage v1: X-Ray on, access logs into a log group under the logs key, errors only, no request or response bodies', () => {
    // THEN the stage traces, logs access into the encrypted, retained log group, and logs no bodies
    const accessLogs = Object.keys(f.template.findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: { 'Fn::GetAtt': [f.logsKeyId, 'Arn'] } } }));
    expect(accessLogs).toHaveLength(1);
    expect(f.template.toJSON().Resources[accessLogs[0]]).toMatchObject({ Properties: { RetentionInDays: 365 }, DeletionPolicy: 'Retain' });
    f.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      RestApiId: { Ref: restApiId },
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', DataTraceEnabled: false, LoggingLevel: 'ERROR', MetricsEnabled: true }],
    });
    const stage = Object.values(f.template.findResources('AWS::ApiGateway::Stage'))[0];
    expect(JSON.stringify(stage.Properties.AccessLogSetting.DestinationArn)).toContain(accessLogs[0]);
  });

  test('API Gateway may invoke the handler, from this API only', () => {
    // THEN each invoke permission is for API Gateway, scoped to this API's ARN
    const permissions = Object.values(
      f.template.findResources('AWS::Lambda::Permission', {
        Properties: { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [logicalIdOf(f.handler), 'Arn'] }, Principal: servicePrincipalName('apigateway') },
      }),
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const permission of permissions) expect(JSON.stringify(permission.Properties.SourceArn)).toContain(restApiId);
  });

  test('a private REST API is available in us-east-1: no capability warning', () => {
    // THEN the capability gate has nothing to say
    expect(Annotations.fromStack(f.stack).findWarning('*', Match.stringLikeRegexp('statehouse:unverified'))).toEqual([]);
  });
});

test('SessionApi takes a stage name', () => {
  // GIVEN the session API with stage name "prod"
  // THEN the stage has that name
  const { template } = apiIn(COMMERCIAL, { stageName: 'prod' });
  template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod' });
});

test('SessionApi in us-gov-west-1: private REST APIs are unverified there, so synth warns and says how to verify', () => {
  // GIVEN the session API in GovCloud
  const { stack, template } = apiIn(GOV_WEST);
  // THEN it is still a private API with IAM auth, in the GovCloud partition
  template.hasResourceProperties('AWS::ApiGateway::RestApi', {
    EndpointConfiguration: Match.objectLike({ Types: ['PRIVATE'] }),
    Policy: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Principal: { AWS: `arn:aws-us-gov:iam::${TEST_ACCOUNT}:root` } })]) }),
  });
  template.allResourcesProperties('AWS::ApiGateway::Method', { AuthorizationType: 'AWS_IAM' });
  // AND the gate warns
  Annotations.fromStack(stack).hasWarning(
    '/Target/Test/Api',
    Match.stringLikeRegexp('"apigateway:private-rest-api" in Target \\(us-gov-west-1\\) is unverified.*the session API needs it\\. Check by hand: aws ec2 describe-vpc-endpoint-services'),
  );
});

describe('SessionApi with additional endpoints (the agency\'s own execute-api endpoints)', () => {
  const AGENCY = ['vpce-0a1b2c3d4e5f60718', 'vpce-0fedcba9876543210'];
  /** Endpoints of other VPCs or accounts, known by id only (as the Runtime stack imports api.allowedVpcEndpoints). */
  const agencyEndpoints = (ids: readonly string[]) => {
    const elsewhere = new Construct(new App(), 'AgencyVpcs');
    return ids.map((id) => ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(elsewhere, id, { vpcEndpointId: id, port: 443 }));
  };

  test('the resource policy keeps its two statements; the Deny now spares the kit\'s endpoint and the additional ones only', () => {
    // GIVEN the API alone and the API with two additional endpoints
    const policyOf = (f: ApiFixture) => Object.values(f.template.findResources('AWS::ApiGateway::RestApi'))[0].Properties.Policy;
    const alone = policyOf(apiIn(COMMERCIAL));
    const f = apiIn(COMMERCIAL, { additionalEndpoints: agencyEndpoints(AGENCY) });
    // THEN the account allow is unchanged, and the endpoint-only deny lists every admitted endpoint
    expect(policyOf(f)).toEqual({
      ...alone,
      Statement: [alone.Statement[0], { ...alone.Statement[1], Condition: { StringNotEquals: { 'aws:SourceVpce': [{ Ref: logicalIdOf(f.endpoint) }, ...AGENCY] } } }],
    });
    expect(f.api.admittedEndpoints.map((e) => e.vpcEndpointId)).toEqual([f.endpoint.vpcEndpointId, ...AGENCY]);
  });

  test('every admitted endpoint is associated with the API, so its {api}-{vpce} name resolves', () => {
    const f = apiIn(COMMERCIAL, { additionalEndpoints: agencyEndpoints(AGENCY) });
    f.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: [{ Ref: logicalIdOf(f.endpoint) }, ...AGENCY] },
    });
  });

  test.each([COMMERCIAL, GOV_WEST])('urlThrough: https://{api}-{vpce}.execute-api.{region}.{AWS::URLSuffix}/{stage}/ in %s, no domain literal', (region) => {
    // GIVEN the API in the region WHEN the URL through an additional endpoint is resolved
    const f = apiIn(region, { additionalEndpoints: agencyEndpoints(AGENCY.slice(0, 1)) });
    const url = f.stack.resolve(f.api.urlThrough(f.api.admittedEndpoints[1]));
    // THEN it is the alias form, with the region's name and the partition's URL suffix from CloudFormation
    const restApiId = logicalIdOf(f.api.api);
    const stageId = logicalIdOf(f.api.api.deploymentStage);
    expect(url).toEqual({ 'Fn::Join': ['', ['https://', { Ref: restApiId }, `-${AGENCY[0]}.execute-api.${region}.`, { Ref: 'AWS::URLSuffix' }, '/', { Ref: stageId }, '/']] });
    expect(JSON.stringify(url)).not.toContain('amazonaws');
  });

  test('an endpoint given twice is refused, naming it', () => {
    expect(() => apiIn(COMMERCIAL, { additionalEndpoints: agencyEndpoints([AGENCY[0]]).concat(agencyEndpoints([AGENCY[0]])) })).toThrow(
      /additionalEndpoints lists "vpce-0a1b2c3d4e5f60718" more than once; give each endpoint once\./,
    );
  });
});
