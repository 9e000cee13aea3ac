import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  IoTClient,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { amazonRootCa1, provisionDevices, thingNames } from '../../bin/commands/provision.js';

const iot = mockClient(IoTClient);
let out: string;

beforeEach(async () => {
  iot.reset();
  out = await mkdtemp(path.join(tmpdir(), 'flexotwin-provision-'));
  iot.on(DescribeEndpointCommand).resolves({ endpointAddress: 'abc123-ats.iot.eu-central-1.amazonaws.com' });
  let n = 0;
  iot.on(CreateKeysAndCertificateCommand).callsFake(() => {
    n++;
    return {
      certificateArn: `arn:aws:iot:eu-central-1:123456789012:cert/${'c'.repeat(60)}${n}`,
      certificatePem: `-----BEGIN CERTIFICATE-----\ncert${n}\n-----END CERTIFICATE-----\n`,
      keyPair: { PrivateKey: `-----BEGIN RSA PRIVATE KEY-----\nkey${n}\n-----END RSA PRIVATE KEY-----\n` },
    };
  });
});

afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('provisionDevices', () => {
  it('creates a thing, an active certificate and attaches the policy and the thing, per device', async () => {
    const manifest = await provisionDevices(new IoTClient({ region: 'eu-central-1' }), {
      things: ['C_FL104', 'C_FL105'],
      outDir: out,
      policyName: 'FlexoTwin-device',
      thingTypeName: 'FlexoTwin-machine',
    });

    expect(iot.commandCalls(CreateThingCommand).map((c) => c.args[0].input)).toEqual([
      { thingName: 'C_FL104', thingTypeName: 'FlexoTwin-machine' },
      { thingName: 'C_FL105', thingTypeName: 'FlexoTwin-machine' },
    ]);
    expect(iot.commandCalls(CreateKeysAndCertificateCommand)[0]?.args[0].input).toEqual({
      setAsActive: true,
    });
    const certArn = manifest.devices[0]?.certificate_arn;
    expect(iot.commandCalls(AttachPolicyCommand)[0]?.args[0].input).toEqual({
      policyName: 'FlexoTwin-device',
      target: certArn,
    });
    expect(iot.commandCalls(AttachThingPrincipalCommand)[0]?.args[0].input).toEqual({
      thingName: 'C_FL104',
      principal: certArn,
    });
    expect(manifest.endpoint).toBe('abc123-ats.iot.eu-central-1.amazonaws.com');
    const device = manifest.devices[0];
    expect(await readFile(device?.key ?? '', 'utf8')).toContain('key1');
    expect((await stat(device?.key ?? '')).mode & 0o077).toBe(0); // private key readable by the owner only
    expect(await readFile(manifest.ca, 'utf8')).toContain('BEGIN CERTIFICATE');
    const written = JSON.parse(await readFile(path.join(out, 'devices.json'), 'utf8'));
    expect(written.devices.map((d: { thing: string }) => d.thing)).toEqual(['C_FL104', 'C_FL105']);
  });

  it('keeps existing key material instead of minting a second certificate, and tolerates an existing thing', async () => {
    const client = new IoTClient({ region: 'eu-central-1' });
    const options = { things: ['C_FL104'], outDir: out, policyName: 'p', thingTypeName: 't' };
    await provisionDevices(client, options);
    iot
      .on(CreateThingCommand)
      .rejects(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {} }));

    const again = await provisionDevices(client, options);

    expect(again.devices[0]?.status).toBe('kept');
    expect(iot.commandCalls(CreateKeysAndCertificateCommand)).toHaveLength(1);
    const other = await provisionDevices(client, { ...options, things: ['C_FL105'] });
    expect(other.devices[0]?.status).toBe('created');
  });

  it('refuses names that cannot be thing names or machine ids', async () => {
    await expect(
      provisionDevices(new IoTClient({ region: 'eu-central-1' }), {
        things: ['bad/name'],
        outDir: out,
        policyName: 'p',
        thingTypeName: 't',
      }),
    ).rejects.toThrow(/not a valid thing name/);
    expect(iot.commandCalls(CreateThingCommand)).toHaveLength(0);
  });
});

describe('helpers', () => {
  it('numbers thing names from 001', () => {
    expect(thingNames(3, 'flexo-')).toEqual(['flexo-001', 'flexo-002', 'flexo-003']);
  });

  it('finds Amazon Root CA 1 in the bundled root store', () => {
    expect(amazonRootCa1()).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });
});
