// The template units the deb and the rpm ship (packaging/build.mjs writes them from here) and
// `schedule add` writes itself when no package did (the plugin zip), plus the per-schedule
// drop-in. One template pair, one instance per schedule: app-snapshot-plugin@NAME.timer.
export const UNIT_PREFIX = 'app-snapshot-plugin@';
export const TEMPLATE_SERVICE = 'app-snapshot-plugin@.service';
export const TEMPLATE_TIMER = 'app-snapshot-plugin@.timer';
export const timerOf = (name: string) => `${UNIT_PREFIX}${name}.timer`;
export const serviceOf = (name: string) => `${UNIT_PREFIX}${name}.service`;
/** Where packages install units: where schedule add looks before writing its own. */
export const PACKAGE_UNIT_DIRS = ['/usr/lib/systemd/system', '/lib/systemd/system'];

/** `command`: the agent as it is started (the installed executable, or the running one). */
export function serviceUnit(command: string): string {
  return `[Unit]
Description=app-snapshot-plugin schedule %i: one application-consistent snapshot group
Documentation=man:app-snapshot-plugin(8)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=${command} schedule run %i
# The agent bounds itself (-TimeoutInSeconds, -GroupTimeoutInSeconds): no start timeout.
TimeoutStartSec=0
# A stop sends SIGTERM to the agent alone: it thaws, releases and exits. Its freeze watchdog
# (which thaws whatever happens to the agent) is killed only after TimeoutStopSec.
KillMode=mixed
`;
}

export function timerUnit(): string {
  return `[Unit]
Description=app-snapshot-plugin schedule %i
Documentation=man:app-snapshot-plugin(8)

[Timer]
# OnCalendar and RandomizedDelaySec: the drop-in schedule add writes for each schedule.
# A firing missed while the machine was off happens at the next boot.
Persistent=true
# At the time asked for, not up to a minute later (systemd's default accuracy): a spread over a
# fleet is RandomizedDelaySec's job.
AccuracySec=1s

[Install]
WantedBy=timers.target
`;
}

/** The drop-in of one schedule: when it fires. */
export function timerDropIn(onCalendar: string, randomizedDelaySec: number): string {
  return [
    '# Written by `app-snapshot-plugin schedule add`; `schedule remove` deletes it.',
    '[Timer]',
    `OnCalendar=${onCalendar}`,
    // systemd 219 (CentOS 7) warns about and ignores this key (it came with 229).
    ...(randomizedDelaySec ? [`RandomizedDelaySec=${randomizedDelaySec}`] : []),
    '',
  ].join('\n');
}
