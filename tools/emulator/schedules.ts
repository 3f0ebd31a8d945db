// What the emulated Cloud Assistant keeps of each RunCommand beyond its executions: its name,
// mode and instances, and for RepeatMode=Period its Frequency and next firing on the region's
// clock (frequency.ts). DescribeInvocations answers from here; the region launches what is due.
import { FrequencyError, nextFiring, parseFrequency, type Frequency } from './frequency.js';

export interface Invocation {
  readonly invokeId: string;
  readonly name: string;
  readonly repeatMode: 'Once' | 'Period';
  readonly frequency: string;
  readonly instanceIds: readonly string[];
  readonly content: string;
  readonly timeoutS: number;
  readonly createdMs: number;
  stopped: boolean;
  /** Period: the next firing (region clock), undefined when it will not fire again. */
  nextMs: number | undefined;
  readonly schedule?: Frequency;
}

export class InvocationBook {
  readonly all: Invocation[] = [];

  /** Records a RunCommand; a Frequency the service would refuse throws FrequencyError. */
  add(o: Omit<Invocation, 'stopped' | 'nextMs' | 'schedule'>): Invocation {
    let schedule: Frequency | undefined;
    if (o.repeatMode === 'Period') {
      if (!o.frequency) throw new FrequencyError('Frequency is required when RepeatMode is Period');
      schedule = parseFrequency(o.frequency, o.timeoutS, o.createdMs);
    }
    const inv: Invocation = {
      ...o,
      stopped: false,
      nextMs: schedule ? nextFiring(schedule, o.createdMs, o.createdMs) : undefined,
      ...(schedule ? { schedule } : {}),
    };
    this.all.push(inv);
    return inv;
  }

  /** Every periodic invocation due at `nowMs`, once per firing missed (each moved to its next). */
  due(nowMs: number): Invocation[] {
    const out: Invocation[] = [];
    for (const inv of this.all) {
      while (!inv.stopped && inv.schedule && inv.nextMs !== undefined && inv.nextMs <= nowMs) {
        out.push(inv);
        inv.nextMs = nextFiring(inv.schedule, inv.nextMs, inv.createdMs);
      }
    }
    return out;
  }

  stop(invokeId: string): void {
    const inv = this.all.find((i) => i.invokeId === invokeId);
    if (inv) inv.stopped = true;
  }
}
