// What each extracted path really is (folder, file or link), so that link targets resolve against the real tree, not lexically.
import path from 'node:path';

export type NodeKind = 'dir' | 'file' | 'symlink';

interface TreeNode {
  kind: NodeKind;
  /** For links: the target as written in the archive, and the entry's name for messages. */
  linkname?: string;
  entry?: string;
}

/** Why a path cannot be resolved inside the root. */
export type Unresolved = 'outside' | 'loop' | 'not-a-folder';

/** Linux gives up after 40 links in one lookup (ELOOP); so do we. */
const MAX_LINK_HOPS = 40;

const key = (segments: readonly string[]) => segments.join('/');

export class ReleaseTree {
  readonly #nodes = new Map<string, TreeNode>([['', { kind: 'dir' }]]);

  kind(real: readonly string[]): NodeKind | undefined {
    return this.#nodes.get(key(real))?.kind;
  }

  add(real: readonly string[], kind: NodeKind, link?: { linkname: string; entry: string }): void {
    this.#nodes.set(key(real), { kind, ...link });
  }

  /**
   * The real root-relative segments `rel` leads to from the real folder `from`, following every link already extracted;
   * `followLast` also follows a link at the last segment. Paths not extracted yet resolve as the folders they will become.
   */
  resolve(from: readonly string[], rel: string, followLast: boolean, hops = { n: 0 }): string[] | Unresolved {
    if (path.isAbsolute(rel)) return 'outside';
    const parts = rel.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
    let cur = [...from];
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      if (this.kind(cur) === 'file') return 'not-a-folder';
      if (part === '..') {
        if (cur.length === 0) return 'outside';
        cur.pop();
        continue;
      }
      const next = [...cur, part];
      const node = this.#nodes.get(key(next));
      if (node?.kind === 'symlink' && (!last || followLast)) {
        if (++hops.n > MAX_LINK_HOPS) return 'loop';
        const target = this.resolve(cur, node.linkname ?? '', true, hops);
        if (typeof target === 'string') return target;
        cur = target;
      } else {
        cur = next;
      }
    }
    return cur;
  }

  /** Every link extracted so far, with the folder it sits in. */
  links(): { folder: string[]; linkname: string; entry: string }[] {
    const out: { folder: string[]; linkname: string; entry: string }[] = [];
    for (const [k, node] of this.#nodes) {
      if (node.kind === 'symlink') out.push({ folder: k.split('/').slice(0, -1), linkname: node.linkname ?? '', entry: node.entry ?? k });
    }
    return out;
  }
}
