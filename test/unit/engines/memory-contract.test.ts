import { describeEngineContract } from '../../contract/engine-contract.js';
import { MemoryEngine } from '../../support/fakes.js';

// The fake used by the orchestration tests keeps the same contract as the real engines.
describeEngineContract('memory (test fake)', () => new MemoryEngine());
