import type { GatewayRoute } from './local-gateway';

/**
 * The methods of a deployed REST API, read from its stack's template: for
 * each `AWS::ApiGateway::Method`, its resource path (the chain of
 * `AWS::ApiGateway::Resource` path parts up to the API's root), its HTTP
 * method, the function its Lambda proxy integration invokes, and whether
 * that integration streams (`ResponseTransferMode: STREAM`). The local
 * gateway then answers exactly what the deployed API would route.
 */
export interface DeployedMethod extends GatewayRoute {
  /** The logical id, in the template, of the function the integration invokes. */
  readonly functionLogicalId: string;
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
}

export class UnreadableApiError extends Error {
  override readonly name = 'UnreadableApiError';
}

/** A logical id the value names with `Ref` or `Fn::GetAtt`, anywhere inside it. */
function referencedIds(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => referencedIds(item, found));
  else if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (typeof object.Ref === 'string') found.push(object.Ref);
    const getAtt = object['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.push(getAtt[0]);
    Object.values(object).forEach((item) => referencedIds(item, found));
  }
  return found;
}

export function deployedApiMethods(resources: Readonly<Record<string, TemplateResource>>): DeployedMethod[] {
  const pathOf = (resourceId: unknown, seen: readonly string[] = []): string => {
    const [id] = referencedIds(resourceId);
    const resource = id === undefined ? undefined : resources[id];
    // The API's root: `Fn::GetAtt [RestApi, RootResourceId]`.
    if (resource?.Type === 'AWS::ApiGateway::RestApi') return '';
    if (resource?.Type !== 'AWS::ApiGateway::Resource' || seen.includes(id)) {
      throw new UnreadableApiError(`an API resource ${JSON.stringify(resourceId)} is neither the API's root nor an AWS::ApiGateway::Resource of the template`);
    }
    return `${pathOf(resource.Properties?.ParentId, [...seen, id])}/${resource.Properties?.PathPart}`;
  };
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::ApiGateway::Method')
    .map(([logicalId, { Properties: method = {} }]) => {
      const integration = method.Integration ?? {};
      const functionLogicalId = referencedIds(integration.Uri).find((id) => resources[id]?.Type === 'AWS::Lambda::Function');
      if (integration.Type !== 'AWS_PROXY' || functionLogicalId === undefined) {
        throw new UnreadableApiError(`method ${logicalId} is not a Lambda proxy integration of a function of the template (${integration.Type})`);
      }
      const resource = pathOf(method.ResourceId) || '/';
      return { method: String(method.HttpMethod), resource, functionLogicalId, ...(integration.ResponseTransferMode === 'STREAM' ? { streaming: true } : {}) };
    });
}
