/**
 * The account's IoT Core data endpoint (`xxxx-ats.iot.<region>.amazonaws.com`): the host devices connect
 * to and the address of the data-plane API the functions publish and update shadows through.
 *
 * CloudFormation has no attribute for it, and looking it up at synth time would make the synth need AWS
 * credentials (and leave a stale value in cdk.context.json when the stack moves to another account). A
 * custom resource calls iot:DescribeEndpoint (endpoint type iot:Data-ATS) at deploy time instead, in
 * whichever account the stack lands in.
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface IotDataEndpointProps {
  readonly logRetention: logs.RetentionDays;
}

export class IotDataEndpoint extends Construct {
  /** The host name, as devices and `flexotwin simulate --endpoint` take it. */
  readonly host: string;
  /** The URL the AWS SDK's IoT data-plane client takes (IOT_DATA_ENDPOINT). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: IotDataEndpointProps) {
    super(scope, id);
    const call = {
      service: 'Iot',
      action: 'describeEndpoint',
      parameters: { endpointType: 'iot:Data-ATS' },
      // One endpoint per account and region: the same physical id on every update.
      physicalResourceId: PhysicalResourceId.of('iot-data-ats-endpoint'),
    };
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Looks up the IoT Core data endpoint of the account at deploy time',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const lookup = new AwsCustomResource(this, 'Lookup', {
      onCreate: call,
      onUpdate: call,
      role,
      logGroup,
      policy: AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['iot:DescribeEndpoint'], resources: ['*'] }),
      ]),
      // The SDK in the Lambda runtime has DescribeEndpoint; installing the latest would need npm at deploy.
      installLatestAwsSdk: false,
    });
    this.host = lookup.getResponseField('endpointAddress');
    this.url = `https://${this.host}`;

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'iot:DescribeEndpoint has no resource-level permissions (Service Authorization Reference: resource "*"); it only reads the account\'s endpoint address.',
    });
  }
}
