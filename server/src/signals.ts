/**
 * Signal handling of the API's entry points: the shared runtime's, re-exported for the scripts
 * that start the API through this package (`npm start`).
 */
export { exitOnSignals, REPEATED_SIGINT_WINDOW_MS } from "@taskgate/shared/runtime";
