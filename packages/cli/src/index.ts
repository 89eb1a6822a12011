/** The kemu CLI, as a library for tests. */
export { main } from "./main.ts";
export { kubeconfig } from "./kubeconfig.ts";
