import { AgentError } from '../errors/errors.js';

/** Forward phases stop at the next step once the agent is interrupted; compensations never do. */
export function stopIfInterrupted(interrupt: AbortSignal, before: string): void {
  if (interrupt.aborted) {
    throw new AgentError('Unknown', `interrupted by ${String(interrupt.reason)} before ${before}`);
  }
}

/**
 * While a run is in progress the first SIGINT/SIGTERM/SIGHUP does not kill the agent: it
 * aborts `signal`, so the run stops at its next step but still thaws and runs the
 * post-script. A second one ends the agent at once (the watchdog still thaws).
 */
export function trapInterrupts(onFirst: (signal: string) => void): {
  signal: AbortSignal;
  release: () => void;
} {
  const controller = new AbortController();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      release();
      process.kill(process.pid, sig); // default action now
      return;
    }
    controller.abort(sig);
    onFirst(sig);
  };
  const release = () => signals.forEach((s) => process.off(s, handler));
  signals.forEach((s) => process.on(s, handler));
  return { signal: controller.signal, release };
}
