export declare const MIN_RUNNER_VERSION: string;
export declare function actionTables(): string;
export declare function renderReadme(readme: string): string;
