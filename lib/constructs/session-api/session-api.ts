import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../../compliance/acknowledge';
import { requireCapability } from '../../residency/capability-gate';

export interface SessionApiProps {
  readonly handler: lambda.IFunction;
  /**
   * The function behind `POST /sessions/{sessionId}/turns` when turns
   * stream (lambda/orchestrator/stream-index.ts): that method's integration
   * then streams its response (`responseTransferMode: STREAM`, Lambda's
   * InvokeWithResponseStream). Every other method stays buffered on `handler`.
   * @default none: every method, turns included, on `handler`, buffered
   */
  readonly streamingHandler?: lambda.IFunction;
  /** The kit's own `execute-api` interface endpoint. */
  readonly endpoint: ec2.IInterfaceVpcEndpoint;
  /**
   * Other `execute-api` interface endpoints whose callers may reach the API:
   * the agency's application VPCs, in this account or others, in the same
   * region. Each is admitted by the resource policy and associated with the
   * API, so its `{api}-{vpce}` name resolves (`urlThrough`).
   * @default none: `endpoint` is the only way in
   */
  readonly additionalEndpoints?: readonly ec2.IVpcEndpoint[];
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** @default 'v1' */
  readonly stageName?: string;
}

/**
 * The session API: a private REST API (reachable only through the VPC's
 * execute-api endpoint and the additional endpoints it is given), every
 * method signed with SigV4 (IAM auth, IA-2), access and execution logs
 * encrypted, X-Ray on.
 *
 *   POST   /sessions                      create a session
 *   GET    /sessions                      the caller's sessions, newest first (?limit=&cursor=&agent=&status=)
 *   GET    /approvals                     pending approvals the caller's role may decide (?limit=&cursor=)
 *   GET    /sessions/{sessionId}          read a session (paginated: ?afterSeq=&limit=)
 *   DELETE /sessions/{sessionId}          delete a session
 *   POST   /sessions/{sessionId}/turns    send a turn
 *   GET    /sessions/{sessionId}/verify   recompute the event hash chain
 *   POST   /sessions/{sessionId}/approvals  approve or deny a pending tool call (resumes the tool workflow)
 *   GET    /memory                       what the agents remember of the caller (an export role: ?actor=<arn> exports that person's)
 *   DELETE /memory                       forget everything remembered of the caller
 *   DELETE /memory/{memoryId}            forget one record
 */
export class SessionApi extends Construct {
  public readonly api: apigw.RestApi;
  /** Every endpoint the resource policy admits: the kit's first, then the additional ones. */
  public readonly admittedEndpoints: readonly ec2.IVpcEndpoint[];

  constructor(scope: Construct, id: string, props: SessionApiProps) {
    super(scope, id);
    if (!props.endpoint) {
      throw new Error(
        `${this.node.path}: endpoint is required: the session API is private and reachable only through an "execute-api" interface endpoint; create one in the VPC (PrivateNetwork interfaceEndpoints: ["execute-api", ...]) and pass it.`,
      );
    }
    requireCapability(this, 'apigateway:private-rest-api', 'the session API');
    this.admittedEndpoints = [props.endpoint, ...(props.additionalEndpoints ?? [])];
    const ids = this.admittedEndpoints.map((e) => e.vpcEndpointId);
    const twice = ids.filter((id, i) => !Token.isUnresolved(id) && ids.indexOf(id) !== i);
    if (twice.length > 0) {
      throw new Error(`${this.node.path}: additionalEndpoints lists ${twice.map((id) => `"${id}"`).join(', ')} more than once; give each endpoint once.`);
    }

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // AC-4: only requests through the admitted endpoints reach the API (a list only when there are several, as IAM reads both alike).
    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          principals: [new iam.AccountRootPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*'],
        }),
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*'],
          conditions: { StringNotEquals: { 'aws:SourceVpce': ids.length === 1 ? ids[0] : ids } },
        }),
      ],
    });

    this.api = new apigw.RestApi(this, 'Resource', {
      description: 'Statehouse session API (private, SigV4)',
      endpointConfiguration: { types: [apigw.EndpointType.PRIVATE], vpcEndpoints: [...this.admittedEndpoints] },
      policy,
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // No request or response bodies in logs: they hold prompts and model output.
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const validator = this.api.addRequestValidator('Validator', { validateRequestBody: true, validateRequestParameters: true });
    const integration = new apigw.LambdaIntegration(props.handler, { proxy: true });
    const method = (resource: apigw.IResource, verb: string) => resource.addMethod(verb, integration, { requestValidator: validator });

    const sessions = this.api.root.addResource('sessions');
    method(sessions, 'POST');
    method(sessions, 'GET');
    method(this.api.root.addResource('approvals'), 'GET');
    const session = sessions.addResource('{sessionId}');
    method(session, 'GET');
    method(session, 'DELETE');
    // API Gateway streams what the function streams: its answer's status and headers, then the body as it is written.
    const streaming = props.streamingHandler && new apigw.LambdaIntegration(props.streamingHandler, { proxy: true, responseTransferMode: apigw.ResponseTransferMode.STREAM });
    const turnMethod = (resource: apigw.IResource) => (streaming ? resource.addMethod('POST', streaming, { requestValidator: validator }) : method(resource, 'POST'));
    const turns = session.addResource('turns');
    turnMethod(turns);
    // A turn's progress and its cancel (background turns, lib/contract/agent-loop.ts).
    const turn = turns.addResource('{requestId}');
    method(turn, 'GET');
    method(turn.addResource('cancel'), 'POST');
    method(session.addResource('verify'), 'GET');
    method(session.addResource('approvals'), 'POST');

    // Memory across sessions: the person's own records (and an export role's export), always on the buffered handler.
    const memory = this.api.root.addResource('memory');
    method(memory, 'GET');
    method(memory, 'DELETE');
    method(memory.addResource('{memoryId}'), 'DELETE');

    // The OpenAI-compatible API (lambda/openai/responses-api.ts): a response is a turn, so its create streams as a turn does.
    const v1 = this.api.root.addResource('v1');
    const responses = v1.addResource('responses');
    turnMethod(responses);
    const response = responses.addResource('{responseId}');
    method(response, 'GET');
    method(response.addResource('cancel'), 'POST');
    const conversations = v1.addResource('conversations');
    method(conversations, 'POST');
    const conversation = conversations.addResource('{conversationId}');
    method(conversation, 'GET');
    method(conversation, 'DELETE');
    method(conversation.addResource('items'), 'GET');

    const privateOnly = 'Private API: reachable only through the VPC execute-api endpoint (resource policy denies any other source), so there is no internet-facing surface for a WAF to filter.';
    acknowledge(this.api, 'AwsSolutions-APIG3', privateOnly);
    acknowledge(this.api, 'NIST.800.53.R5-APIGWAssociatedWithWAF', privateOnly);
    acknowledge(this.api, 'AwsSolutions-COG4', 'Every method uses IAM (SigV4) authorization; callers are agency IAM principals mapped to tenants, not Cognito users.');
    acknowledge(this.api, 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted', 'Responses are per-session conversation state and must never be served from a cache.');
    acknowledge(this.api, 'NIST.800.53.R5-APIGWSSLEnabled', 'The only backend is a Lambda proxy integration; there is no HTTP backend to present a client certificate to.');
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      acknowledge(
        cloudWatchRole,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'Account-level API Gateway logging role; AWS documents this managed policy for it.',
      );
    }
  }

  /**
   * The invoke URL of the deployed stage through one admitted endpoint:
   * `https://{restApiId}-{vpceId}.execute-api.{region}.{urlSuffix}/{stage}/`,
   * the Route 53 alias API Gateway keeps for each endpoint associated with
   * the API. It resolves anywhere; it answers only where the endpoint's
   * addresses are routable. (`api.url` is the private DNS form, for VPCs
   * whose execute-api endpoint has private DNS on.)
   */
  public urlThrough(endpoint: ec2.IVpcEndpoint): string {
    const stack = Stack.of(this);
    return `https://${this.api.restApiId}-${endpoint.vpcEndpointId}.execute-api.${stack.region}.${stack.urlSuffix}/${this.api.deploymentStage.stageName}/`;
  }
}
