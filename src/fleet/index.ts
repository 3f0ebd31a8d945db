// The fleet as other folders use it (the cluster run starts its participants through it):
// the cloud's view of RunCommand, the agent's command line, how one instance's invocation
// reads as an outcome, and how long a command may run.
export { FINAL, FleetCloud, type InvocationResult } from './cloud.js';
export { agentCommand, type AgentCommand } from './command.js';
export { commandTimeoutS } from './report.js';
export { outcome, type InstanceOutcome } from './run.js';
export {
  addFleetSchedule,
  listFleetSchedules,
  stopFleetSchedule,
  SCHEDULE_PREFIX,
  type FleetSchedule,
} from './schedule.js';
