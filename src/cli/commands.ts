/** Further CLI commands (vectors, sweeps, projections) register here. */
import { seed002Command } from './seed002';
import { vectorCommands } from './vectorCommands';

export interface CliCommand {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  run(path: string, values: Record<string, unknown>): Promise<unknown>;
}

export const extraCommands: Record<string, CliCommand> = { ...vectorCommands, seed002: seed002Command };
