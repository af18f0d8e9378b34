// `siglip validate` for programs: run it, then render or write what it measured.
export { runValidate, DEFAULT_CACHE_DIR, DEFAULT_CONCURRENCY, DEFAULT_URL, NEIGHBOURS, type ValidateOptions } from './runValidate';
export type { PerClassRow, ResultRow, ScoringMethod, ValidateResult, ValidateSettings } from './results';
export type { EmbedProgress, RejectedImage } from './embedImages';
export { renderMethodComparison, renderResultsMarkdown, renderResultsTable } from './report/resultsMarkdown';
export { renderPerClassCsv } from './report/perClassCsv';
export { RESULT_FILES, writeResults } from './report/writeResults';
export { ValidateError } from './validateError';
