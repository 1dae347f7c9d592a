/**
 * One line at the top of every view saying what it measures and with which model, layer, vector and judge,
 * read from the view's own settings, so a screenshot of any view says what it shows.
 */
import { BUILTIN_PACKS } from '../../engine/clients/eval/packs';
import { lastQuarter } from '../../engine/clients/eval/seed002';
import type { LabState } from '../store';
import { useLab } from '../store';
import type { JudgeKind } from './experiments';
import { packFor, TABS, useViews, type Tab, type ViewsState } from './viewStore';

/** The judge a view's setting runs with (the choice experiments.judgeFor makes), in words. */
export function judgeInWords(kind: JudgeKind, hasMarkers: boolean): string {
  if (kind === 'lexical') return hasMarkers ? 'lexical (marker words)' : 'lexical, but the pack has no marker words';
  return kind !== 'local' && hasMarkers ? 'lexical (marker words)' : 'local model';
}

type Lab = Pick<LabState, 'modelId' | 'info' | 'slots' | 'vectors' | 'showPrompted' | 'prompted'>;
type Views = Pick<ViewsState, 'packKey' | 'savedPacks' | 'sweep' | 'monitor' | 'geometry' | 'pipeline'>;

export interface Statement { measures: string; model: string; layer: string; vector: string; judge: string }

export function statementFor(tab: Tab, lab: Lab, views: Views): Statement {
  const model = lab.info ? lab.modelId ?? lab.info.id : 'no model loaded';
  const name = (id: string) => lab.vectors.find((v) => v.id === id)?.name ?? lab.vectors[0]?.name ?? 'none chosen';
  const L = (l: number) => (l >= 0 ? `L${l}` : 'its best layer');
  const pack = packFor(views.packKey, views.savedPacks) ?? BUILTIN_PACKS[0];
  const judge = (k: JudgeKind) => `${judgeInWords(k, !!pack.markers)} · pack ${pack.name}`;
  const none = 'none (no scores, projections only)';
  switch (tab) {
    case 'steer': {
      // Unset (null), the prompted column is on when the vector has a pack instruction: say so once it shows.
      const slot = lab.slots.find((s) => s.enabled);
      return {
        measures: `the answers ${lab.showPrompted === true || (lab.showPrompted === null && lab.prompted) ? 'without steering, prompted with the trait\'s instruction, and steered' : 'without and with steering'}, with each token's projection h·v̂ during generation`,
        model, layer: slot ? `L${slot.layer}` : 'none (no slot on)', vector: slot ? name(slot.vectorId) : 'none', judge: none,
      };
    }
    case 'pipeline':
      return { measures: 'which positive/negative answer pairs the judge accepts, and the vector their difference gives at every layer', model, layer: 'every layer (the best is recommended)', vector: `built from pack ${pack.name}`, judge: judge(views.pipeline.judge) };
    case 'sweep':
      return { measures: 'the trait score and the projection h·v̂ of answers against the steering coefficient, and the layer × strength map', model, layer: L(views.sweep.layer), vector: name(views.sweep.vectorId), judge: judge(views.sweep.judge) };
    case 'monitor':
      return { measures: 'how far baseline, prompted and steered answers project onto the vector, read back without steering', model, layer: L(views.monitor.layer), vector: name(views.monitor.vectorId), judge: none };
    case 'geometry':
      return { measures: 'cosine similarity between saved vectors at one layer, and of one vector across layers', model, layer: L(views.geometry.layer), vector: name(views.geometry.vectorId), judge: none };
    case 'detection':
      return { measures: 'how well two prompt sets separate at each layer (last-token residuals), by the A − B direction and a held-out probe', model, layer: 'every layer', vector: 'the A − B difference of means', judge: 'none (a linear probe, no judge)' };
    case 'seed002': {
      // The view's job judges with kind 'auto' and ablates the last quarter of the layers (eval/seed002.ts).
      const ablated = lab.info?.numLayers ? lastQuarter(lab.info.numLayers).map((l) => `L${l}`).join(', ') : 'the last quarter of the layers';
      return {
        measures: 'base against fine-tuned answers, the fine-tuned − base direction at each layer (detection), and its ablation on the fine-tuned side',
        model, layer: `every layer for detection, ${ablated} for ablation`, vector: 'fine-tuned − base mean of last-token residuals', judge: judge('auto'),
      };
    }
    default: {
      // A view added later (other branches add tabs) states at least its tab title until it gets its own line.
      const title = TABS.find((t) => t.key === tab)?.title ?? tab;
      return { measures: title.charAt(0).toLowerCase() + title.slice(1), model, layer: 'as set in the view', vector: 'as set in the view', judge: 'as set in the view' };
    }
  }
}

/** `override`: what a view resolved itself (Geometry picks its layer and vector when none is set). */
export function ViewStatement({ tab, override }: { tab: Tab; override?: Partial<Statement> }) {
  const lab = useLab();
  const views = useViews();
  const s = { ...statementFor(tab, lab, views), ...override };
  return (
    <p className="muted small view-statement" data-testid="view-statement">
      <strong>Measures</strong> {s.measures} · <strong>model</strong> {s.model} · <strong>layer</strong> {s.layer} · <strong>vector</strong> {s.vector} · <strong>judge</strong> {s.judge}
    </p>
  );
}
