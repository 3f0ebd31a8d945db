// The instance metadata service (100.100.100.200): instance and region ids and the RAM role's
// STS credentials. Hardened mode first (PUT a token, send it on every GET), tokenless as a
// fallback. Short timeouts: it is a link-local service, it answers fast or not at all.
import { AgentError, conditionFailed } from '../errors/errors.js';

export const METADATA_URL = 'http://100.100.100.200';
const TOKEN_TTL_SECONDS = 21600;

export interface StsCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken: string;
  /** ISO time; a fresh set is fetched before it. */
  readonly expiration: string;
}

export interface MetadataOptions {
  readonly baseUrl?: string;
  readonly timeoutMs?: number;
}

export class MetadataClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  private token: string | undefined;
  private tokenless = false;

  constructor(o: MetadataOptions = {}) {
    this.base = (o.baseUrl ?? METADATA_URL).replace(/\/$/, '');
    this.timeoutMs = o.timeoutMs ?? 2000;
  }

  private async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, {
        ...init,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new AgentError(
        'ConditionCheckFailed',
        `the metadata service at ${this.base} is unreachable (network): ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  /** Hardened mode when the service offers it; remembered for the rest of the run. */
  private async headers(): Promise<Record<string, string>> {
    if (!this.token && !this.tokenless) {
      const r = await this.fetch('/latest/api/token', {
        method: 'PUT',
        headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
      }).catch(() => undefined);
      if (r?.ok) this.token = (await r.text()).trim();
      else this.tokenless = true;
    }
    return this.token ? { 'X-aliyun-ecs-metadata-token': this.token } : {};
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    let r = await this.fetch(`/latest/${path}`, { headers: await this.headers() });
    if (r.status === 401 && this.token) {
      this.token = undefined; // expired: one fresh token, one retry
      r = await this.fetch(`/latest/${path}`, { headers: await this.headers() });
    }
    return { status: r.status, body: (await r.text()).trim() };
  }

  private async required(path: string): Promise<string> {
    const r = await this.get(path);
    if (r.status !== 200 || !r.body) {
      throw conditionFailed(`metadata ${path} answered HTTP ${r.status}`);
    }
    return r.body;
  }

  instanceId(): Promise<string> {
    return this.required('meta-data/instance-id');
  }

  regionId(): Promise<string> {
    return this.required('meta-data/region-id');
  }

  /** The role attached to the instance, or undefined when none is. */
  async attachedRole(): Promise<string | undefined> {
    const r = await this.get('meta-data/ram/security-credentials/');
    if (r.status === 404 || !r.body) return undefined;
    if (r.status !== 200)
      throw conditionFailed(`metadata RAM role lookup answered HTTP ${r.status}`);
    return r.body.split('\n')[0]!.replace(/\/$/, '');
  }

  /** STS credentials of `role`: exit 13 when no role, or another role, is attached. */
  async credentials(role: string): Promise<StsCredentials> {
    const attached = await this.attachedRole();
    if (!attached) {
      throw new AgentError('NoRamRole', 'the instance has no RAM role attached (RamRoleName)');
    }
    if (attached !== role) {
      throw new AgentError(
        'NoRamRole',
        `RamRoleName=${role} is not attached to this instance (attached: ${attached})`,
      );
    }
    const r = await this.get(`meta-data/ram/security-credentials/${encodeURIComponent(role)}`);
    let body: Record<string, string> = {};
    try {
      body = JSON.parse(r.body) as Record<string, string>;
    } catch {
      // reported below
    }
    if (
      r.status !== 200 ||
      body.Code !== 'Success' ||
      !body.AccessKeyId ||
      !body.AccessKeySecret ||
      !body.SecurityToken
    ) {
      throw new AgentError(
        'NoRamRole',
        `no credentials for RAM role ${role} (HTTP ${r.status}, ${body.Code ?? 'no code'})`,
      );
    }
    return {
      accessKeyId: body.AccessKeyId,
      accessKeySecret: body.AccessKeySecret,
      securityToken: body.SecurityToken,
      expiration: body.Expiration ?? new Date(Date.now() + 3600_000).toISOString(),
    };
  }
}

/** Caches the role's credentials and fetches new ones 5 minutes before they expire. */
export class RoleCredentials {
  private current: StsCredentials | undefined;
  constructor(
    private readonly metadata: MetadataClient,
    private readonly role: string,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<StsCredentials> {
    const fresh = this.current && Date.parse(this.current.expiration) - this.now() > 5 * 60_000;
    if (!fresh) this.current = await this.metadata.credentials(this.role);
    return this.current!;
  }
}
