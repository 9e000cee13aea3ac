/**
 * Device fleet: the IoT thing type machines are registered as, and the least-privilege policy their
 * certificates get (lib/device-policy.ts). Things and certificates are created per device by
 * `flexotwin provision`, not by the stack, so key material never passes through CloudFormation.
 */
import { Aws } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { devicePolicyDocument } from '../device-policy.js';

export interface DeviceFleetProps {
  readonly basicIngest: boolean;
}

export class DeviceFleet extends Construct {
  readonly thingTypeName: string;
  readonly policyName: string;

  constructor(scope: Construct, id: string, props: DeviceFleetProps) {
    super(scope, id);
    const thingType = new iot.CfnThingType(this, 'ThingType', {
      thingTypeName: `${Aws.STACK_NAME}-machine`,
      thingTypeProperties: {
        thingTypeDescription:
          'A production machine (e.g. Flexo 104 folder-gluer) publishing FlexoTwin telemetry',
        searchableAttributes: ['machine_type', 'site'],
      },
    });
    const policy = new iot.CfnPolicy(this, 'DevicePolicy', {
      policyName: `${Aws.STACK_NAME}-device`,
      policyDocument: devicePolicyDocument({
        arnPrefix: `arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}`,
        basicIngest: props.basicIngest,
      }),
    });
    this.thingTypeName = thingType.ref;
    this.policyName = policy.ref;
  }
}
