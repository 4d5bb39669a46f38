// Board and phone-model profiles: what boards/*.json and boards/models/*.json say, read and
// checked. A leaf below hal, boot and lab, which all need the types.
export type { BoardProfile, ModelProfile } from './types';
export { listBoards, loadBoard, loadModels, ProfileError } from './load';
export { isModelName, modelNames, normaliseModelName } from './names';
export { boardPath } from './board-path';
export { BUILTIN_BOARDS_DIR, defaultBoardsDir } from './boards-dir';
