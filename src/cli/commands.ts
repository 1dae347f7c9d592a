/** Further CLI commands (vectors, sweeps, projections, the lab's monitor / detect / ablate, seed002) register here. */
import { labCommands } from './labCommands';
import { seed002Command } from './seed002';
import { vectorCommands } from './vectorCommands';

export interface CliCommand {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  run(path: string, values: Record<string, unknown>): Promise<unknown>;
}

export const extraCommands: Record<string, CliCommand> = { ...vectorCommands, ...labCommands, seed002: seed002Command };
