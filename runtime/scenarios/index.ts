// Scenarios shared by the CLI (`xpuscope run`) and the app (`scenario.list` / `scenario.run`). See README.md.
export { listScenarios, runScenario, checkScenario, runningScenario, ScenarioError } from './run.js';
export type { RunScenarioOptions, ScenarioProgress, ScenarioRun, ScenarioRunResult } from './run.js';
export { ScenarioParamError, resolveParams, describeParam, type ParamValues } from './params.js';
export {
  calibrate,
  cachedCalibration,
  clearCalibrations,
  iterationsFor,
  BUSY_SHAPE,
  type Calibration,
} from './calibrate.js';
export { SCENARIOS, scenarioDef } from './definitions.js';
export type { Details, ScenarioDef, ScenarioContext, ExplainInput, ScenarioOutcome } from './context.js';
