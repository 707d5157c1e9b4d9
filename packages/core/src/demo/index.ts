export { runDemo } from "./run-demo.js";
export type { DemoOptions, DemoReport } from "./run-demo.js";
