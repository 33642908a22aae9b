// The cards of the connections and jobs lists: each with its text, its buttons, its error line
// and a panel below for what a button opens.
import { errorLine, h } from './core';

export interface Card {
  root: HTMLLIElement;
  info: HTMLDivElement;
  actions: HTMLDivElement;
  error: HTMLParagraphElement;
  panel: HTMLDivElement;
}

/** A card whose root carries `rootAttrs`; `extra` goes between the buttons and the error line. */
export function createCard(rootAttrs: Record<string, string>, extra: Node[] = []): Card {
  const info = h('div');
  const actions = h('div', { className: 'actions' });
  const error = errorLine();
  const panel = h('div', { className: 'panel', attrs: { hidden: true } });
  const root = h('li', { className: 'card', attrs: rootAttrs }, [info, actions, ...extra, error, panel]);
  return { root, info, actions, error, panel };
}

export function openPanel(card: Card, title: string, nodes: Node[]): void {
  card.panel.replaceChildren(h('h3', { text: title, attrs: { tabindex: '-1' } }), ...nodes);
  card.panel.hidden = false;
  (card.panel.firstChild as HTMLElement).focus();
}

/**
 * A list of cards kept per item id, so a refresh updates their text without closing an open
 * panel; the cards of items that are gone are dropped.
 */
export class CardList<T extends { id: string }, C extends Card> {
  private cards = new Map<string, C>();
  // What each card was last drawn from: the page refreshes every few seconds, and redrawing an
  // unchanged card would take the focus away from its buttons.
  private drawn = new Map<string, string>();

  constructor(
    private readonly create: (id: string) => C,
    private readonly render: (card: C, item: T) => void,
    private readonly signature: (item: T) => string = (item) => JSON.stringify(item),
  ) {}

  get(id: string): C | undefined {
    return this.cards.get(id);
  }

  show(list: HTMLElement, items: T[], emptyText: string): void {
    const kept = new Map<string, C>();
    const drawn = new Map<string, string>();
    const nodes = items.map((item) => {
      const card = this.cards.get(item.id) ?? this.create(item.id);
      kept.set(item.id, card);
      const signature = this.signature(item);
      if (this.drawn.get(item.id) !== signature) this.render(card, item);
      drawn.set(item.id, signature);
      return card.root;
    });
    this.cards = kept;
    this.drawn = drawn;
    if (nodes.length === 0) list.replaceChildren(h('li', { className: 'meta', text: emptyText }));
    else if (!sameChildren(list, nodes)) list.replaceChildren(...nodes);
  }
}

// Re-inserting a node that is already in place would still move it, and lose the focus inside it.
function sameChildren(list: HTMLElement, nodes: Node[]): boolean {
  const current = Array.from(list.children);
  return current.length === nodes.length && current.every((node, i) => node === nodes[i]);
}
