// Worker thread entry. Plain JavaScript, so Node can start it however the parent runs (tsx, vitest/vite, plain
// node): it registers tsx for this thread, then loads the TypeScript worker. The pool starts workers with empty
// execArgv, so no loader from the parent's flags is registered twice.
import { register } from 'tsx/esm/api';

register();
await import('./workerThread.ts');
