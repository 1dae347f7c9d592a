/**
 * One loaded model seen at a fixed LoRA adapter strength: every request row that does not choose its own
 * strength gets `strength`. Code written for one model (collection, sweeps, the persona pipeline,
 * two-model detection) then runs the base model (0) or the fine-tuned one (1) on the same session.
 */
import { EngineError } from '../../shared/errors';
import type { Engine } from '../../shared/api';

/** Each view's underlying engine: a view of a view sees the loaded engine, not the other view's strength. */
const underlying = new WeakMap<Engine, Engine>();

export function atAdapterStrength(view: Engine, strength: number): Engine {
  const engine = underlying.get(view) ?? view;
  const info = () => {
    const i = engine.info();
    // Distinct ids, so vectors and reports say which side they came from.
    return i?.adapter ? { ...i, id: `${i.id}+${i.adapter.name}@${strength}` } : i;
  };
  if (!engine.info()?.adapter) throw new EngineError('bad-input', 'An adapter strength was given but the model was loaded without a LoRA adapter.');
  const out: Engine = {
    load: (...a) => engine.load(...a),
    info,
    tokenize: (...a) => engine.tokenize(...a),
    dispose: () => engine.dispose(),
    generate: (req, call) => engine.generate({ ...req, rows: req.rows.map((r) => ({ ...r, adapterStrength: r.adapterStrength ?? strength })) }, call),
  };
  underlying.set(out, engine);
  return out;
}

/** The loaded engine behind a strength view (itself when it is not one): its info names the model alone. */
export const loadedEngine = (view: Engine): Engine => underlying.get(view) ?? view;
