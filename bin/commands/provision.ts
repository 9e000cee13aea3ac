/**
 * `flexotwin provision`: registers devices with AWS IoT Core — a thing per machine, a fresh key pair
 * and certificate, the stack's device policy attached — and writes the key material where the
 * simulator (or a real gateway) reads it. Keys never leave this machine and never enter the
 * repository (certs/ is gitignored).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  IoTClient,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-iot';
import type { Command } from 'commander';
import { MACHINE_ID_PATTERN } from '../../lambdas/core/messages.js';

export interface ProvisionOptions {
  readonly things: readonly string[];
  readonly outDir: string;
  readonly policyName: string;
  readonly thingTypeName: string;
  readonly log?: (line: string) => void;
}

export interface ProvisionedDevice {
  readonly thing: string;
  readonly certificate_arn: string | null;
  readonly cert: string;
  readonly key: string;
  readonly status: 'created' | 'kept';
}

export interface DeviceManifest {
  readonly endpoint: string;
  readonly ca: string;
  readonly devices: readonly ProvisionedDevice[];
}

/** Amazon Root CA 1 (the CA of IoT Core's ATS endpoints), from Node's bundled Mozilla root store. */
export function amazonRootCa1(): string {
  const pem = rootCertificates.find((p) => /CN=Amazon Root CA 1$/m.test(new X509Certificate(p).subject));
  if (pem === undefined) throw new Error('Amazon Root CA 1 is not in this Node.js root store');
  return pem;
}

export function thingNames(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
}

export async function provisionDevices(
  client: IoTClient,
  options: ProvisionOptions,
): Promise<DeviceManifest> {
  const log = options.log ?? (() => {});
  for (const thing of options.things) {
    if (!MACHINE_ID_PATTERN.test(thing)) throw new Error(`"${thing}" is not a valid thing name / machine id`);
  }
  await mkdir(options.outDir, { recursive: true, mode: 0o700 });
  const ca = path.join(options.outDir, 'AmazonRootCA1.pem');
  await writeFile(ca, amazonRootCa1());
  const { endpointAddress } = await client.send(
    new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }),
  );
  if (endpointAddress === undefined) throw new Error('IoT Core returned no data endpoint');

  const devices: ProvisionedDevice[] = [];
  for (const thing of options.things) {
    const dir = path.join(options.outDir, thing);
    const cert = path.join(dir, 'certificate.pem.crt');
    const key = path.join(dir, 'private.pem.key');
    if (existsSync(cert) && existsSync(key)) {
      // Re-running must not mint a second certificate for a device that already has one.
      log(`${thing}: certificate already in ${dir}, kept`);
      devices.push({ thing, certificate_arn: null, cert, key, status: 'kept' });
      continue;
    }
    try {
      await client.send(new CreateThingCommand({ thingName: thing, thingTypeName: options.thingTypeName }));
    } catch (error) {
      if (!(error instanceof ResourceAlreadyExistsException)) throw error;
      log(`${thing}: thing exists, issuing a new certificate`);
    }
    const created = await client.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const { certificateArn, certificatePem, keyPair } = created;
    if (certificateArn === undefined || certificatePem === undefined || keyPair?.PrivateKey === undefined) {
      throw new Error(`IoT Core returned an incomplete certificate for ${thing}`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(cert, certificatePem, { mode: 0o644 });
    await writeFile(key, keyPair.PrivateKey, { mode: 0o600 });
    await client.send(new AttachPolicyCommand({ policyName: options.policyName, target: certificateArn }));
    await client.send(new AttachThingPrincipalCommand({ thingName: thing, principal: certificateArn }));
    log(`${thing}: certificate ${certificateArn.split('/').at(-1)?.slice(0, 12)}… attached`);
    devices.push({ thing, certificate_arn: certificateArn, cert, key, status: 'created' });
  }
  const manifest: DeviceManifest = { endpoint: endpointAddress, ca, devices };
  await writeFile(path.join(options.outDir, 'devices.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export function register(program: Command): void {
  program
    .command('provision')
    .description('register devices with AWS IoT Core: things, keys, certificates and the device policy')
    .option('--things <n>', 'how many things to create', (v) => Number.parseInt(v, 10))
    .option('--prefix <prefix>', 'thing name prefix (names are <prefix>001, <prefix>002, …)', 'flexo-')
    .option('--names <ids>', 'explicit thing names, comma-separated (e.g. C_FL104,C_FL105)')
    .option('--out <dir>', 'where certificates, keys and devices.json are written', 'certs')
    .option('--stack <name>', 'the deployed FlexoTwin stack (names its policy and thing type)', 'FlexoTwin')
    .option('--policy <name>', 'IoT policy to attach (default: <stack>-device)')
    .option('--thing-type <name>', 'IoT thing type (default: <stack>-machine)')
    .option('--region <region>', 'AWS region (default: from the environment)')
    .action(async (opts) => {
      const things: string[] = opts.names
        ? String(opts.names)
            .split(',')
            .map((s: string) => s.trim())
            .filter(Boolean)
        : Number.isInteger(opts.things) && opts.things > 0
          ? thingNames(opts.things, opts.prefix)
          : [];
      if (things.length === 0) throw new Error('say which devices: --things N or --names a,b,c');
      const client = new IoTClient(opts.region ? { region: opts.region } : {});
      const manifest = await provisionDevices(client, {
        things,
        outDir: opts.out,
        policyName: opts.policy ?? `${opts.stack}-device`,
        thingTypeName: opts.thingType ?? `${opts.stack}-machine`,
        log: (line) => console.error(line),
      });
      console.log(
        JSON.stringify(
          {
            endpoint: manifest.endpoint,
            manifest: path.join(opts.out, 'devices.json'),
            devices: manifest.devices.length,
          },
          null,
          2,
        ),
      );
    });
}
