import { ENV } from '../../contract/env-names';
import type {
  AdmittedEndpointEvidence,
  ApiEvidence,
  EndpointEvidence,
  FunctionEvidence,
  ImportedVpcEvidence,
  InternetRouteCheck,
  NetworkEvidence,
  SecurityGroupEvidence,
  SecurityGroupRule,
  SubnetEvidence,
  VpcEvidence,
} from '../evidence-types';
import { statementSentence, statementsOf, statementText } from '../policy-text';
import { asList, isObject, TargetResolver, type ResourceHandle } from '../resolve';
import { located } from './summary';

/**
 * Section 3: every network path. The VPC and its subnets, the proof that no
 * template opens a route to the internet, every VPC endpoint, security group
 * rule, the private API and where each Lambda function runs.
 */


/** Resource types that give a VPC a way to the internet or another network. */
export const EGRESS_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  'AWS::EC2::InternetGateway': 'internet gateway',
  'AWS::EC2::NatGateway': 'NAT gateway',
  'AWS::EC2::EgressOnlyInternetGateway': 'egress-only internet gateway (IPv6)',
  'AWS::EC2::VPCGatewayAttachment': 'gateway attached to a VPC',
  'AWS::EC2::CarrierGateway': 'carrier gateway',
  'AWS::EC2::EIP': 'elastic (public) IP',
  'AWS::EC2::TransitGatewayAttachment': 'transit gateway attachment',
  'AWS::EC2::TransitGatewayVpcAttachment': 'transit gateway attachment',
  'AWS::EC2::VPCPeeringConnection': 'VPC peering connection',
  'AWS::EC2::VPNGateway': 'VPN gateway',
};

/** Route targets that leave the VPC; the first four reach the internet. */
const ROUTE_TARGETS: Readonly<Record<string, string>> = {
  GatewayId: 'internet or virtual private gateway',
  NatGatewayId: 'NAT gateway',
  EgressOnlyInternetGatewayId: 'egress-only internet gateway',
  CarrierGatewayId: 'carrier gateway',
  TransitGatewayId: 'transit gateway',
  VpcPeeringConnectionId: 'VPC peering connection',
  InstanceId: 'instance (possible NAT instance)',
  NetworkInterfaceId: 'network interface (possible appliance)',
  VpcEndpointId: 'Gateway Load Balancer endpoint',
  CoreNetworkArn: 'Cloud WAN core network',
};

/** `dynamodb`, `sagemaker.runtime`: the service part of `com.amazonaws.<region>.<service>`. */
export function endpointService(resolver: TargetResolver, handle: ResourceHandle): string {
  const name = resolver.render(handle.stack, handle.resource.Properties?.ServiceName);
  const region = handle.stack.region;
  const at = region ? name.indexOf(`.${region}.`) : -1;
  return at >= 0 ? name.slice(at + region!.length + 2) : name.split('.').slice(3).join('.') || name;
}

/** `s3 gateway endpoint (GovWest/Foundation/NetworkS343F8794C)`. */
export function endpointLabel(resolver: TargetResolver, handle: ResourceHandle): string {
  if (handle.resource.Type !== 'AWS::EC2::VPCEndpoint') return resolver.label(handle);
  const type = String(handle.resource.Properties?.VpcEndpointType ?? 'Gateway').toLowerCase();
  return `${endpointService(resolver, handle)} ${type} endpoint (${handle.stack.displayName}/${handle.logicalId})`;
}

function subnetLabel(resolver: TargetResolver, handle: ResourceHandle): string {
  if (handle.resource.Type !== 'AWS::EC2::Subnet') return resolver.label(handle);
  const az = handle.resource.Properties?.AvailabilityZone;
  return `${handle.logicalId}${az ? ` (${resolver.render(handle.stack, az)})` : ''}`;
}

function labelOrRender(resolver: TargetResolver, handle: ResourceHandle, expr: unknown, labeller = subnetLabel): string {
  const target = resolver.follow(handle.stack, expr);
  return target ? labeller(resolver, target) : resolver.render(handle.stack, expr);
}

function tag(handle: ResourceHandle, key: string): string | undefined {
  return (asList(handle.resource.Properties?.Tags) as Array<{ Key: string; Value: unknown }>).find((t) => t.Key === key)?.Value as string | undefined;
}

function routesOf(resolver: TargetResolver, routeTable: ResourceHandle): Array<{ handle: ResourceHandle; text: string; leaves?: string }> {
  return resolver
    .resources('AWS::EC2::Route')
    .filter((r) => TargetResolver.same(resolver.follow(r.stack, r.resource.Properties?.RouteTableId), routeTable))
    .map((r) => {
      const p = r.resource.Properties ?? {};
      const destination = p.DestinationCidrBlock ?? p.DestinationIpv6CidrBlock ?? p.DestinationPrefixListId;
      const targetKey = Object.keys(ROUTE_TARGETS).find((k) => p[k] !== undefined);
      const target = targetKey ? `${targetKey} ${labelOrRender(resolver, r, p[targetKey], (res, h) => res.label(h))}` : 'local';
      return { handle: r, text: `${resolver.render(r.stack, destination)} → ${target}`, leaves: targetKey ? ROUTE_TARGETS[targetKey] : undefined };
    });
}

function flowLogText(resolver: TargetResolver, flowLog: ResourceHandle): string {
  const p = flowLog.resource.Properties ?? {};
  const dest = p.LogGroupName ?? p.LogDestination;
  return `${p.TrafficType ?? 'ALL'} traffic to ${p.LogDestinationType ?? 'cloud-watch-logs'} ${labelOrRender(resolver, flowLog, dest, (r, h) => r.label(h))}`;
}

function vpcs(resolver: TargetResolver): VpcEvidence[] {
  return resolver.resources('AWS::EC2::VPC').map((vpc) => ({
    ...located(vpc),
    cidr: vpc.resource.Properties?.CidrBlock,
    flowLogs: resolver
      .resources('AWS::EC2::FlowLog')
      .filter((f) => TargetResolver.same(resolver.follow(f.stack, f.resource.Properties?.ResourceId), vpc))
      .map((f) => flowLogText(resolver, f)),
  }));
}

/** The VPC id a property names when it is a literal (an imported VPC), not a reference to a VPC of the templates. */
function literalVpcId(resolver: TargetResolver, handle: ResourceHandle, value: unknown): string | undefined {
  if (resolver.follow(handle.stack, value)) return undefined;
  const id = resolver.render(handle.stack, value);
  return /^vpc-[0-9a-f]+$/.test(id) ? id : undefined;
}

/** VPCs the templates build in but do not create: the flow logs, endpoints and security groups they put there. */
function importedVpcs(resolver: TargetResolver): ImportedVpcEvidence[] {
  const byId = new Map<string, { flowLogs: string[]; resources: string[] }>();
  const entry = (id: string) => byId.get(id) ?? byId.set(id, { flowLogs: [], resources: [] }).get(id)!;
  for (const f of resolver.resources('AWS::EC2::FlowLog')) {
    const id = f.resource.Properties?.ResourceType === 'VPC' ? literalVpcId(resolver, f, f.resource.Properties?.ResourceId) : undefined;
    if (id) entry(id).flowLogs.push(flowLogText(resolver, f));
  }
  for (const h of resolver.resources('AWS::EC2::VPCEndpoint', 'AWS::EC2::SecurityGroup')) {
    const id = literalVpcId(resolver, h, h.resource.Properties?.VpcId);
    if (id) entry(id).resources.push(h.resource.Type === 'AWS::EC2::VPCEndpoint' ? endpointLabel(resolver, h) : resolver.label(h));
  }
  return [...byId].map(([vpcId, found]) => ({ vpcId, ...found }));
}

function subnets(resolver: TargetResolver): SubnetEvidence[] {
  const associations = resolver.resources('AWS::EC2::SubnetRouteTableAssociation');
  const endpoints = resolver.resources('AWS::EC2::VPCEndpoint');
  return resolver.resources('AWS::EC2::Subnet').map((subnet) => {
    const p = subnet.resource.Properties ?? {};
    const association = associations.find((a) => TargetResolver.same(resolver.follow(a.stack, a.resource.Properties?.SubnetId), subnet));
    const routeTable = association ? resolver.follow(association.stack, association.resource.Properties?.RouteTableId) : undefined;
    const routes = routeTable ? routesOf(resolver, routeTable) : [];
    const gatewayEndpoints = routeTable
      ? endpoints
          .filter((e) => asList(e.resource.Properties?.RouteTableIds).some((rt) => TargetResolver.same(resolver.follow(e.stack, rt), routeTable)))
          .map((e) => endpointLabel(resolver, e))
      : [];
    const vpc = resolver.follow(subnet.stack, p.VpcId);
    return {
      ...located(subnet),
      vpc: vpc ? `${vpc.stack.displayName}/${vpc.logicalId}` : resolver.render(subnet.stack, p.VpcId),
      availabilityZone: p.AvailabilityZone ? resolver.render(subnet.stack, p.AvailabilityZone) : undefined,
      cidr: p.CidrBlock,
      subnetType: tag(subnet, 'aws-cdk:subnet-type'),
      mapPublicIpOnLaunch: p.MapPublicIpOnLaunch === true,
      routeTable: routeTable ? `${routeTable.stack.displayName}/${routeTable.logicalId}` : undefined,
      routes: routes.map((r) => r.text),
      gatewayEndpoints,
      isolated: routes.every((r) => r.leaves === undefined) && p.MapPublicIpOnLaunch !== true,
    };
  });
}

/** The proof: count every resource type and route target that could reach the internet. */
export function internetRouteCheck(resolver: TargetResolver): InternetRouteCheck {
  const counts: Record<string, number> = {};
  const findings: InternetRouteCheck['findings'] = [];
  for (const [type, what] of Object.entries(EGRESS_RESOURCE_TYPES)) {
    const found = resolver.resources(type);
    counts[type] = found.length;
    for (const h of found) findings.push({ ...located(h), type, why: `template declares a ${what}` });
  }
  const routes = resolver.resources('AWS::EC2::Route');
  for (const key of Object.keys(ROUTE_TARGETS)) {
    const withTarget = routes.filter((r) => r.resource.Properties?.[key] !== undefined);
    counts[`AWS::EC2::Route with ${key}`] = withTarget.length;
    for (const h of withTarget) {
      findings.push({ ...located(h), type: h.resource.Type, why: `route to a ${ROUTE_TARGETS[key]} (${key} ${resolver.render(h.stack, h.resource.Properties?.[key])})` });
    }
  }
  const publicSubnets = resolver.resources('AWS::EC2::Subnet').filter((s) => s.resource.Properties?.MapPublicIpOnLaunch === true);
  counts['AWS::EC2::Subnet with MapPublicIpOnLaunch'] = publicSubnets.length;
  for (const h of publicSubnets) findings.push({ ...located(h), type: h.resource.Type, why: 'subnet assigns public IPs on launch' });
  return {
    noInternetRoute: findings.length === 0,
    notCovered: importedVpcs(resolver).map((v) => v.vpcId),
    templatesChecked: resolver.target.stacks.map((s) => s.templateFile),
    counts,
    routesChecked: routes.length,
    findings,
  };
}

function endpointPolicy(resolver: TargetResolver, handle: ResourceHandle): string[] {
  const doc = handle.resource.Properties?.PolicyDocument;
  if (!doc) return ['no endpoint policy: full access for any principal the service authorises'];
  return statementsOf(doc).map((s) => statementSentence(statementText(resolver, handle.stack, s)));
}

function endpoints(resolver: TargetResolver): EndpointEvidence[] {
  return resolver.resources('AWS::EC2::VPCEndpoint').map((e) => {
    const p = e.resource.Properties ?? {};
    return {
      ...located(e),
      service: endpointService(resolver, e),
      serviceName: resolver.render(e.stack, p.ServiceName),
      endpointType: p.VpcEndpointType ?? 'Gateway',
      privateDns: p.VpcEndpointType === 'Interface' ? p.PrivateDnsEnabled === true : undefined,
      subnets: asList(p.SubnetIds).map((s) => labelOrRender(resolver, e, s)),
      securityGroups: asList(p.SecurityGroupIds).map((s) => labelOrRender(resolver, e, s, (_r, h) => h.logicalId)),
      routeTables: asList(p.RouteTableIds).map((s) => labelOrRender(resolver, e, s, (_r, h) => h.logicalId)),
      policy: endpointPolicy(resolver, e),
    };
  });
}

function ruleOf(resolver: TargetResolver, stack: ResourceHandle, direction: 'ingress' | 'egress', r: Record<string, any>): SecurityGroupRule {
  const protocol = String(r.IpProtocol) === '-1' ? 'all' : String(r.IpProtocol);
  const ports = protocol === 'all' ? 'all' : r.FromPort === r.ToPort ? String(r.FromPort) : `${r.FromPort}-${r.ToPort}`;
  const peerExpr = r.CidrIp ?? r.CidrIpv6 ?? r.SourceSecurityGroupId ?? r.DestinationSecurityGroupId ?? r.SourcePrefixListId ?? r.DestinationPrefixListId;
  return { direction, protocol, ports, peer: labelOrRender(resolver, stack, peerExpr, (_res, h) => `${h.stack.displayName}/${h.logicalId}`), description: r.Description };
}

function securityGroups(resolver: TargetResolver): SecurityGroupEvidence[] {
  const standalone = resolver.resources('AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress');
  return resolver.resources('AWS::EC2::SecurityGroup').map((sg) => {
    const p = sg.resource.Properties ?? {};
    const rules = [
      ...(asList(p.SecurityGroupIngress) as Array<Record<string, any>>).map((r) => ruleOf(resolver, sg, 'ingress', r)),
      ...(asList(p.SecurityGroupEgress) as Array<Record<string, any>>).map((r) => ruleOf(resolver, sg, 'egress', r)),
      ...standalone
        .filter((r) => TargetResolver.same(resolver.follow(r.stack, r.resource.Properties?.GroupId), sg))
        .map((r) => ruleOf(resolver, r, r.resource.Type.endsWith('Ingress') ? 'ingress' : 'egress', r.resource.Properties ?? {})),
    ];
    const vpc = resolver.follow(sg.stack, p.VpcId);
    return {
      ...located(sg),
      description: p.GroupDescription,
      vpc: vpc ? `${vpc.stack.displayName}/${vpc.logicalId}` : undefined,
      usedBy: resolver
        .referrers(sg)
        .filter((r) => !r.resource.Type.startsWith('AWS::EC2::SecurityGroup'))
        .map((r) => (r.resource.Type === 'AWS::EC2::VPCEndpoint' ? endpointLabel(resolver, r) : resolver.label(r))),
      rules,
    };
  });
}

/** `/sessions/{sessionId}/turns`, by walking AWS::ApiGateway::Resource parents up to the root. */
function resourcePath(resolver: TargetResolver, method: ResourceHandle): string {
  const parts: string[] = [];
  let current = resolver.follow(method.stack, method.resource.Properties?.ResourceId);
  for (let depth = 0; current?.resource.Type === 'AWS::ApiGateway::Resource' && depth < 50; depth++) {
    parts.unshift(String(current.resource.Properties?.PathPart));
    current = resolver.follow(current.stack, current.resource.Properties?.ParentId);
  }
  return `/${parts.join('/')}`;
}

/**
 * The endpoints a resource policy admits: each `aws:SourceVpce` value it
 * requires, as the endpoint these templates create, or as the id of one
 * they do not (an existing endpoint of another VPC or account).
 */
function admittedEndpoints(resolver: TargetResolver, api: ResourceHandle, required: unknown[]): AdmittedEndpointEvidence[] {
  const associated = asList(api.resource.Properties?.EndpointConfiguration?.VpcEndpointIds);
  const key = (v: unknown) => {
    const handle = resolver.follow(api.stack, v);
    return handle ? `${handle.stack.displayName}/${handle.logicalId}` : resolver.render(api.stack, v);
  };
  return required.map((v) => ({
    endpoint: labelOrRender(resolver, api, v, endpointLabel),
    origin: resolver.follow(api.stack, v) ? 'created' : 'existing',
    associated: associated.some((a) => key(a) === key(v)),
  }));
}

function apis(resolver: TargetResolver): ApiEvidence[] {
  return resolver.resources('AWS::ApiGateway::RestApi').map((api) => {
    const p = api.resource.Properties ?? {};
    const required: unknown[] = [];
    const policy = statementsOf(p.Policy).map((s) => {
      for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
        for (const [key, value] of Object.entries(keys ?? {})) {
          const requires = (s.Effect === 'Deny' && operator.startsWith('StringNotEquals')) || (s.Effect !== 'Deny' && operator.startsWith('StringEquals'));
          if (key.toLowerCase() === 'aws:sourcevpce' && requires) required.push(...asList(value));
        }
      }
      return statementSentence(statementText(resolver, api.stack, s));
    });
    const admitted = admittedEndpoints(resolver, api, required);
    const ofApi = (h: ResourceHandle) => TargetResolver.same(resolver.follow(h.stack, h.resource.Properties?.RestApiId), api);
    return {
      ...located(api),
      name: resolver.physicalName(api),
      description: p.Description,
      endpointTypes: asList(p.EndpointConfiguration?.Types).map(String),
      vpcEndpoints: asList(p.EndpointConfiguration?.VpcEndpointIds).map((v) => labelOrRender(resolver, api, v, endpointLabel)),
      sourceVpce: admitted.map((a) => a.endpoint),
      admittedEndpoints: admitted,
      policy: p.Policy ? policy : ['no resource policy'],
      stages: resolver
        .resources('AWS::ApiGateway::Stage')
        .filter(ofApi)
        .map((s) => {
          const sp = s.resource.Properties ?? {};
          const traits = [sp.TracingEnabled ? 'X-Ray tracing' : '', sp.AccessLogSetting ? 'access logs' : ''].filter(Boolean);
          return `${sp.StageName}${traits.length ? ` (${traits.join(', ')})` : ''}`;
        }),
      methods: resolver
        .resources('AWS::ApiGateway::Method')
        .filter(ofApi)
        .map((m) => {
          const mp = m.resource.Properties ?? {};
          const fn = resolver.referencesIn(m.stack, mp.Integration?.Uri).find((h) => h.resource.Type === 'AWS::Lambda::Function');
          return {
            method: mp.HttpMethod,
            path: resourcePath(resolver, m),
            authorization: mp.AuthorizationType ?? 'NONE',
            integration: `${mp.Integration?.Type ?? 'none'}${fn ? ` → ${resolver.label(fn)}` : ''}`,
          };
        }),
    };
  });
}

export function fipsServicesOf(fn: ResourceHandle): string[] | undefined {
  const value = fn.resource.Properties?.Environment?.Variables?.[ENV.FIPS_SERVICES];
  return typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

function functions(resolver: TargetResolver): FunctionEvidence[] {
  return resolver.resources('AWS::Lambda::Function').map((fn) => {
    const p = fn.resource.Properties ?? {};
    const vpcConfig = isObject(p.VpcConfig) ? p.VpcConfig : undefined;
    const role = resolver.follow(fn.stack, p.Role);
    return {
      ...located(fn),
      description: p.Description,
      runtime: p.Runtime,
      inVpc: asList(vpcConfig?.SubnetIds).length > 0,
      subnets: asList(vpcConfig?.SubnetIds).map((s) => labelOrRender(resolver, fn, s)),
      securityGroups: asList(vpcConfig?.SecurityGroupIds).map((s) => labelOrRender(resolver, fn, s, (_r, h) => h.logicalId)),
      role: role ? `${role.stack.displayName}/${role.logicalId}` : resolver.render(fn.stack, p.Role),
      fipsServices: fipsServicesOf(fn),
    };
  });
}

export function networkEvidence(resolver: TargetResolver): NetworkEvidence {
  return {
    vpcs: vpcs(resolver),
    importedVpcs: importedVpcs(resolver),
    subnets: subnets(resolver),
    internetRoute: internetRouteCheck(resolver),
    endpoints: endpoints(resolver),
    securityGroups: securityGroups(resolver),
    apis: apis(resolver),
    functions: functions(resolver),
  };
}
