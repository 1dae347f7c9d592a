/**
 * The experiment views' side of the workflows: the workflows themselves live in the engine clients
 * (src/engine/eval/*Workflow.ts), where the CLI runs the same functions; the views import them through here.
 */
export type { GenSettings, JudgeKind, JudgeSettings, StepProgress, StepStatus, WorkflowCtx } from '../../engine/eval/workflow';
export { judgeFor, modelKeyOf, withCoherence } from '../../engine/eval/workflow';
export { DEFAULT_THRESHOLDS, PIPELINE_STEPS, pipelineWorkflow } from '../../engine/eval/pipelineWorkflow';
export type { PipelineConfig, PipelineRow, PipelineWorkflowResult as PipelineResult, Thresholds } from '../../engine/eval/pipelineWorkflow';
export { sweepWorkflow } from '../../engine/eval/sweepWorkflow';
export type { SweepConfig, SweepSample, SweepWorkflowResult as SweepResult } from '../../engine/eval/sweepWorkflow';
export { monitorWorkflow } from '../../engine/eval/monitorWorkflow';
export type { MonitorCondition, MonitorConfig, MonitorResult, MonitorSample } from '../../engine/eval/monitorWorkflow';
export { detectionWorkflow } from '../../engine/eval/detectionWorkflow';
export type { DetectionConfig, DetectionResult } from '../../engine/eval/detectionWorkflow';
export { ablationWorkflow } from '../../engine/eval/ablationWorkflow';
export type { AblationConfig, AblationResult } from '../../engine/eval/ablationWorkflow';
