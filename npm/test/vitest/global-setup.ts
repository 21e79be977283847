// Starts one mock before the run and stops it after; test files reach it through `inject("openmic")`.
import { startMock } from "openmic-mock";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    openmic: { baseUrl: string; apiKey: string };
  }
}

export default async function setup(project: TestProject) {
  const mock = await startMock({ args: ["--clock", "virtual"] });
  project.provide("openmic", { baseUrl: mock.baseUrl, apiKey: mock.apiKey });
  return async () => {
    await mock.stop();
  };
}
