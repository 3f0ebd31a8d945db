// The fleet's command line survives both splitters (the RunShellScript shell, then the plugin
// manager's separator replacement and shlex) exactly: checked with the harness that models
// them (test/support/plugin-manager.ts pluginArgv).
import { describe, expect, it } from 'vitest';
import { agentCommand } from '../../../src/fleet/command.js';
import { pluginArgv } from '../../support/plugin-manager.js';

describe('agentCommand', () => {
  it('the documented form for plain values', () => {
    const c = agentCommand(['-Name=nightly', '-RamRoleName=AppSnapshotRoleName']);
    expect(c.content).toBe(
      "acs-plugin-manager --exec --plugin app-snapshot-plugin --params '-Name=nightly,-RamRoleName=AppSnapshotRoleName'",
    );
    expect(pluginArgv(c.content)).toEqual(['-Name=nightly', '-RamRoleName=AppSnapshotRoleName']);
  });

  it.each([
    ['a comma', '-Description=db, nightly'],
    ['quotes of both kinds', `-Description=it's "quoted"`],
    ['a backslash and a dollar', '-Description=C:\\tmp $HOME `x`'],
    ['a leading hash', '-Description=#1 run'],
    ['spaces', '-PreScriptPath=/opt/my scripts/pre.sh'],
    ['unicode', '-Description=夜间备份'],
  ])('a value with %s arrives intact', (_, word) => {
    const c = agentCommand(['-Name=x', word]);
    expect(pluginArgv(c.content)).toEqual(['-Name=x', word]);
  });

  it('a comma and a semicolon: another separator is named', () => {
    const c = agentCommand(['-Name=x', '-Description=a,b;c']);
    expect(c.content).toContain("--separator '|'");
    expect(pluginArgv(c.content)).toEqual(['-Name=x', '-Description=a,b;c']);
  });

  it('refuses what the agent would refuse, and what cannot be carried, before anything runs', () => {
    expect(() => agentCommand(['-Name=x', '-TimeoutInSeconds=abc'])).toThrow(/integer/);
    expect(() => agentCommand(['-Nmae=x'])).toThrow(/not an agent parameter|Unknown|unknown/);
    expect(() => agentCommand(['-Name=x', '-Description=a\nb'])).toThrow(/control character/);
    expect(() => agentCommand(['-Name=x', '-Description=,;|+~^'])).toThrow(/every separator/);
  });
});
