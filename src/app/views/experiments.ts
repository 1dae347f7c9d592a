/**
 * The experiment views' side of the workflows: the workflows themselves live in the engine clients
 * (src/engine/clients/eval/*Workflow.ts), where the CLI runs the same functions; the views import them through here.
 */
export type { GenSettings, JudgeKind, JudgeSettings, StepProgress, StepStatus, WorkflowCtx } from '../../engine/clients/eval/workflow';
export { judgeFor, modelKeyOf, withCoherence } from '../../engine/clients/eval/workflow';
export { DEFAULT_THRESHOLDS, PIPELINE_STEPS, pipelineWorkflow } from '../../engine/clients/eval/pipelineWorkflow';
export type { PipelineConfig, PipelineRow, PipelineWorkflowResult as PipelineResult, Thresholds } from '../../engine/clients/eval/pipelineWorkflow';
export { sweepWorkflow } from '../../engine/clients/eval/sweepWorkflow';
export type { SweepConfig, SweepSample, SweepWorkflowResult as SweepResult } from '../../engine/clients/eval/sweepWorkflow';
export { monitorWorkflow } from '../../engine/clients/eval/monitorWorkflow';
export type { MonitorCondition, MonitorConfig, MonitorResult, MonitorSample } from '../../engine/clients/eval/monitorWorkflow';
export { detectionWorkflow } from '../../engine/clients/eval/detectionWorkflow';
export type { DetectionConfig, DetectionResult } from '../../engine/clients/eval/detectionWorkflow';
export { ablationWorkflow } from '../../engine/clients/eval/ablationWorkflow';
export type { AblationConfig, AblationResult } from '../../engine/clients/eval/ablationWorkflow';
