import { describe, expect, it } from 'vitest';
import { parseEmulatorArgs, UsageError } from '../../../../tools/emulator/options.js';

const bad = (argv: string[], message: RegExp) =>
  expect(() => parseEmulatorArgs(argv)).toThrow(
    expect.objectContaining({ constructor: UsageError, message: expect.stringMatching(message) }),
  );

describe('the emulator command line', () => {
  it('defaults: one instance over the lab, any port, nothing injected', () => {
    const o = parseEmulatorArgs([]);
    expect(o).toMatchObject({ mode: 'single', instances: 1, port: 0 });
    expect(o.faultsFor(1)).toEqual({});
    expect(o.envFor(1)).toEqual({});
  });

  it('faults for every instance and for one instance (K:), values as numbers, flags as true', () => {
    const o = parseEmulatorArgs([
      ...['--instances', '3'],
      ...['--faults', 'slow=200,2:slow-create=4500,3:quota'],
    ]);
    expect(o.mode).toBe('region');
    expect(o.faultsFor(1)).toEqual({ slow: 200 });
    expect(o.faultsFor(2)).toEqual({ slow: 200, 'slow-create': 4500 });
    expect(o.faultsFor(3)).toEqual({ slow: 200, quota: true });
  });

  it("each instance's apps config and environment; K: wins over every instance's", () => {
    const o = parseEmulatorArgs([
      ...['--instances', '2'],
      ...['--apps', '/etc/asp/apps-all.json', '--apps', '2:/etc/asp/apps-2.json'],
      ...['--env', 'APP_SNAPSHOT_FLEET_POLL_MS=50', '--env', '1:APP_SNAPSHOT_FLEET_POLL_MS=9'],
    ]);
    expect(o.envFor(1)).toEqual({
      APP_SNAPSHOT_APPS_CONFIG: '/etc/asp/apps-all.json',
      APP_SNAPSHOT_FLEET_POLL_MS: '9',
    });
    expect(o.envFor(2)).toEqual({
      APP_SNAPSHOT_APPS_CONFIG: '/etc/asp/apps-2.json',
      APP_SNAPSHOT_FLEET_POLL_MS: '50',
    });
  });

  it('refuses what it would otherwise ignore, naming it', () => {
    bad(
      ['--faults', 'slow-create=6000,no-such-fault'],
      /unknown fault no-such-fault \(known: throttle, /,
    );
    bad(['--faults', 'slow=fast'], /slow=fast: the value is a whole number/);
    bad(['--instances', '2', '--faults', '3:quota'], /there is no instance 3 \(1-2\)/);
    bad(['--faults', '0:quota'], /there is no instance 0/);
    bad(['--fautls', 'quota'], /unknown argument --fautls/);
    bad(['--instances', 'two'], /--instances needs a whole number >= 1, not two/);
    bad(['--instances', '0'], /--instances needs a whole number >= 1/);
    bad(['--port'], /--port needs a value/);
    bad(['--root', 'a', '--root', 'b'], /--root given twice/);
    bad(['--apps', 'apps.json'], /an absolute path is needed/);
    bad(['--env', 'PATH=/tmp'], /an APP_SNAPSHOT_ name/);
    bad(['--vm', '--instances', '2'], /exclude each other/);
  });

  it('--vm is one guest instance', () => {
    expect(parseEmulatorArgs(['--vm', '--faults', 'slow-create=100']).faultsFor(1)).toEqual({
      'slow-create': 100,
    });
  });
});
