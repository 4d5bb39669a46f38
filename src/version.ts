/** Replaced at bundle time would be nicer; one constant keeps the CLI and logs in step. */
export const VERSION = '0.1.0';
