export {
  PARAMS,
  DEFAULT_POOL,
  kebab,
  findParam,
  type ParamSpec,
  type ParamName,
} from './schema.js';
export { extractParams, type RawParam } from './words.js';
export { validateParams, type Params, type EngineName } from './validate.js';
export { splitPluginParams, shlexSplit } from './shlex.js';
export { checkSnapshotName, checkDescription } from './names.js';
