export interface ActionlintFinding {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}
export interface ActionlintConfig {
  labels: Set<string>;
  ignore: { glob: RegExp; patterns: RegExp[] }[];
}
export function workflowFiles(root?: string): string[];
export function readConfig(file?: string): ActionlintConfig;
export function lintWorkflows(files: string[], options?: { root?: string; config?: ActionlintConfig }): Promise<ActionlintFinding[]>;
