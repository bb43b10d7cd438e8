// The entry of the statement-files thread (jobs/files-thread.ts): a worker thread does not inherit
// the TypeScript loader of the thread that started it, so it registers its own.
import { register } from 'tsx/esm/api';

register();
await import('./files-worker.ts');
