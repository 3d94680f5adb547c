export { createSimulatorApp, type SimulatorAppOptions } from './app';
export { startSimulator, type RunningSimulator, type StartSimulatorOptions } from './server';
