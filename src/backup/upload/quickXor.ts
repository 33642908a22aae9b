// The engine's HashAlgorithm backed by src/graph/quickXorHash.ts. The state travels in queue
// messages as a short JSON string ({cells, length}); it holds no content, only 20 bytes of XOR.
import { QuickXorHash } from '../../graph/quickXorHash';
import type { ContentHasher, HashAlgorithm } from './types';

function wrap(hash: QuickXorHash): ContentHasher {
  return {
    update: (data) => void hash.update(data),
    digest: () => hash.digest(),
    save: () => JSON.stringify(hash.toState()),
  };
}

export const quickXorAlgorithm: HashAlgorithm = {
  create: () => wrap(new QuickXorHash()),
  restore: (state) => wrap(QuickXorHash.fromState(JSON.parse(state))),
};
