// Types for check-deps.mjs, for the tests that import its pure functions.
export type Edge = { from: string; to: string; line: number; kind: string };
export type Violation = { key: string; rule: "cycle" | "layer" | "surface"; message: string; chain?: string[] };
export declare const LAYERS: string[][];
export declare const SAME_LINE_ALLOWED: [string, string, string][];
export declare const OUTSIDE_ROOTS: string[];
export declare function areaOf(file: string): string | undefined;
export declare function layerOf(area: string, layers?: string[][]): number | undefined;
export declare function stronglyConnected(adj: Map<string, Set<string>>): string[][];
export declare function elementaryCycles(adj: Map<string, Set<string>>, limit?: number): string[][];
export declare function checkGraph(edges: Edge[], opts?: { layers?: string[][]; sameLineAllowed?: [string, string, string][] }): Violation[];
export declare function applyBaseline(violations: Violation[], baselineKeys: string[]): { failing: Violation[]; allowed: Violation[]; fixed: string[] };
export declare function parseBaseline(text: string): string[];
export declare function importStatements(text: string): { specifier: string; line: number; typeOnly: boolean }[];
export declare function typeOnlyImports(text: string): { specifier: string; line: number; typeOnly: boolean }[];
export declare function fileCycles(edges: Edge[]): string[][];
export declare function entryPoints(root: string): string[];
export declare function collectGraph(root: string): Promise<{ edges: Edge[]; files: number }>;
