/** Built-in trait packs, written for this project. */
import type { TraitPack } from '../traitPack';
import { apathetic } from './apathetic';
import { evil } from './evil';
import { hallucinating } from './hallucinating';
import { humorous } from './humorous';
import { impolite } from './impolite';
import { optimistic } from './optimistic';
import { quip } from './quip';
import { scripture } from './scripture';
import { sycophantic } from './sycophantic';

/** The demo model's own registers first: they are the packs that mean something offline. */
export const BUILTIN_PACKS: readonly TraitPack[] = [scripture, quip, evil, sycophantic, hallucinating, impolite, optimistic, humorous, apathetic];

export const builtinPack = (name: string): TraitPack | undefined => BUILTIN_PACKS.find((p) => p.name === name);

export { apathetic, evil, hallucinating, humorous, impolite, optimistic, quip, scripture, sycophantic };
