// Sender thread entry. Plain JavaScript, so Node can start it however the parent runs (tsx, vitest/vite, plain
// node): it registers tsx for this thread, then loads the TypeScript sender (as gpu-backend/workers does).
import { register } from 'tsx/esm/api';

register();
await import('./senderThread.ts');
