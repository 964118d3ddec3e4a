/** Group commit lives with the state layer (the task agent batches its writes with it too); re-exported for the API server. */
export { GroupCommit, MAX_BATCH } from '../state/group-commit.js';
