import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** Secure defaults of PrivateNetwork, named so a fork can audit them. */

/** SC-7: no internet or NAT gateway; the only way out is a VPC endpoint. */
export const SUBNET_TYPE = ec2.SubnetType.PRIVATE_ISOLATED;
export const SUBNET_CIDR_MASK = 20;
/** AU-12: record accepted and rejected traffic. */
export const FLOW_LOG_TRAFFIC = ec2.FlowLogTrafficType.ALL;
/** Interface endpoints get private DNS, so SDK clients need no endpoint override. */
export const INTERFACE_ENDPOINT_PRIVATE_DNS = true;
