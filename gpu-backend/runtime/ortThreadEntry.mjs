// Thread entry of a threaded ONNX Runtime instance. Plain JavaScript, so Node can start it however the parent
// runs (tsx, vitest/vite, plain node): it registers tsx for this thread, then loads the TypeScript side.
import { register } from 'tsx/esm/api';

register();
await import('./ortThread.ts');
