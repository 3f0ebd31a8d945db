import { EXIT, type ExitCodeName } from './exit-codes.js';

/** Every failure the agent expects carries its exit code; anything else maps to 255. */
export class AgentError extends Error {
  readonly exitCode: number;
  readonly kind: ExitCodeName;
  /** Extra facts for the JSON result (never secrets). */
  readonly details: Record<string, unknown>;

  constructor(
    kind: ExitCodeName,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `${kind}Error`;
    this.kind = kind;
    this.exitCode = EXIT[kind];
    this.details = options.details ?? {};
  }
}

/** Bad input: printed as one line naming the parameter, exit 2. */
export class ParamsError extends AgentError {
  readonly parameter: string | undefined;
  constructor(message: string, parameter?: string) {
    super('BadParameters', message);
    this.parameter = parameter;
  }
}

export function conditionFailed(message: string, cause?: unknown): AgentError {
  return new AgentError('ConditionCheckFailed', message, { cause });
}

export function isAgentError(e: unknown): e is AgentError {
  return e instanceof AgentError;
}
