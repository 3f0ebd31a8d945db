// The operator's credentials, in the order of Alibaba Cloud's default credential chain:
// the environment (ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET, with ALIBABA_CLOUD_SECURITY_TOKEN
// for an STS token), then the aliyun CLI's profile file (~/.aliyun/config.json; the profile
// ALIBABA_CLOUD_PROFILE names, else its current one; modes AK, StsToken, EcsRamRole), then the
// instance's RAM role from the metadata service. Only the source's name is ever printed.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MetadataClient, RoleCredentials, type StsCredentials } from '../cloud/index.js';
import { conditionFailed } from '../errors/errors.js';

export interface CredentialSource {
  /** e.g. "environment AccessKey", "profile default (~/.aliyun/config.json)", "RAM role R". */
  readonly name: string;
  get(): Promise<StsCredentials>;
}

const NEVER = new Date(8.64e15).toISOString();

interface Profile {
  name?: string;
  mode?: string;
  access_key_id?: string;
  access_key_secret?: string;
  sts_token?: string;
  ram_role_name?: string;
  region_id?: string;
}

export function credentialChain(env: NodeJS.ProcessEnv, metadataUrl?: string): CredentialSource {
  const id = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (id && secret) {
    const token = env.ALIBABA_CLOUD_SECURITY_TOKEN ?? '';
    return staticSource(
      token ? 'environment STS token' : 'environment AccessKey',
      id,
      secret,
      token,
    );
  }
  const file =
    env.ALIBABA_CLOUD_CONFIG_FILE || join(env.HOME || homedir(), '.aliyun', 'config.json');
  const profile = readProfile(file, env.ALIBABA_CLOUD_PROFILE);
  const metadata = new MetadataClient(metadataUrl ? { baseUrl: metadataUrl } : {});
  if (profile) {
    const where = `profile ${profile.name ?? '?'} (${file})`;
    if (profile.mode === 'EcsRamRole' && profile.ram_role_name)
      return roleSource(
        `${where}, RAM role ${profile.ram_role_name}`,
        metadata,
        profile.ram_role_name,
      );
    if (profile.access_key_id && profile.access_key_secret)
      return staticSource(
        where,
        profile.access_key_id,
        profile.access_key_secret,
        profile.mode === 'StsToken' ? (profile.sts_token ?? '') : '',
      );
    throw conditionFailed(
      `${where}: mode ${profile.mode ?? '?'} is not supported (AK, StsToken, EcsRamRole)`,
    );
  }
  const role = env.ALIBABA_CLOUD_ECS_METADATA;
  return {
    name: role ? `RAM role ${role}` : "the instance's RAM role",
    async get() {
      const name = role ?? (await metadata.attachedRole());
      if (!name)
        throw conditionFailed(
          'no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, configure an aliyun CLI profile, or run on an instance with a RAM role',
        );
      return new RoleCredentials(metadata, name).get();
    },
  };
}

/** The profile's region, for -Region's default off-instance. */
export function profileRegion(env: NodeJS.ProcessEnv): string | undefined {
  const file =
    env.ALIBABA_CLOUD_CONFIG_FILE || join(env.HOME || homedir(), '.aliyun', 'config.json');
  return env.ALIBABA_CLOUD_REGION_ID || readProfile(file, env.ALIBABA_CLOUD_PROFILE)?.region_id;
}

function readProfile(file: string, wanted: string | undefined): Profile | undefined {
  let config: { current?: string; profiles?: Profile[] };
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as typeof config;
  } catch {
    return undefined;
  }
  const name = wanted || config.current || 'default';
  return config.profiles?.find((p) => p.name === name);
}

function staticSource(name: string, id: string, secret: string, token: string): CredentialSource {
  const c: StsCredentials = {
    accessKeyId: id,
    accessKeySecret: secret,
    securityToken: token,
    expiration: NEVER,
  };
  return { name, get: () => Promise.resolve(c) };
}

function roleSource(name: string, metadata: MetadataClient, role: string): CredentialSource {
  const creds = new RoleCredentials(metadata, role);
  return { name, get: () => creds.get() };
}
