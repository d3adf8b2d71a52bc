import { RemovalPolicy } from 'aws-cdk-lib';
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
  /** The `execute-api` interface endpoint: the only way in. */
  readonly endpoint: ec2.IInterfaceVpcEndpoint;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** @default 'v1' */
  readonly stageName?: string;
}

/**
 * The session API: a private REST API (reachable only through the VPC's
 * execute-api endpoint), every method signed with SigV4 (IAM auth, IA-2),
 * access and execution logs encrypted, X-Ray on.
 *
 *   POST   /sessions                      create a session
 *   GET    /sessions/{sessionId}          read a session (paginated: ?afterSeq=&limit=)
 *   DELETE /sessions/{sessionId}          delete a session
 *   POST   /sessions/{sessionId}/turns    send a turn
 *   GET    /sessions/{sessionId}/verify   recompute the event hash chain
 *   POST   /sessions/{sessionId}/approvals  approve or deny a pending tool call (resumes the tool workflow)
 */
export class SessionApi extends Construct {
  public readonly api: apigw.RestApi;

  constructor(scope: Construct, id: string, props: SessionApiProps) {
    super(scope, id);
    if (!props.endpoint) {
      throw new Error(
        `${this.node.path}: endpoint is required: the session API is private and reachable only through an "execute-api" interface endpoint; create one in the VPC (PrivateNetwork interfaceEndpoints: ["execute-api", ...]) and pass it.`,
      );
    }
    requireCapability(this, 'apigateway:private-rest-api', 'the session API');

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // AC-4: only requests through this VPC's endpoint reach the API.
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
          conditions: { StringNotEquals: { 'aws:SourceVpce': props.endpoint.vpcEndpointId } },
        }),
      ],
    });

    this.api = new apigw.RestApi(this, 'Resource', {
      description: 'Statehouse session API (private, SigV4)',
      endpointConfiguration: { types: [apigw.EndpointType.PRIVATE], vpcEndpoints: [props.endpoint] },
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
    const session = sessions.addResource('{sessionId}');
    method(session, 'GET');
    method(session, 'DELETE');
    const turns = session.addResource('turns');
    if (props.streamingHandler) {
      // API Gateway streams what the function streams: its answer's status and headers, then the body as it is written.
      const streaming = new apigw.LambdaIntegration(props.streamingHandler, { proxy: true, responseTransferMode: apigw.ResponseTransferMode.STREAM });
      turns.addMethod('POST', streaming, { requestValidator: validator });
    } else {
      method(turns, 'POST');
    }
    // A turn's progress and its cancel (background turns, lib/contract/agent-loop.ts).
    const turn = turns.addResource('{requestId}');
    method(turn, 'GET');
    method(turn.addResource('cancel'), 'POST');
    method(session.addResource('verify'), 'GET');
    method(session.addResource('approvals'), 'POST');

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
}
