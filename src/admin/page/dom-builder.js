// Finding and building DOM elements. Text from the API always becomes text nodes, never markup.

export const $ = (id) => document.getElementById(id);

/** Creates an element; strings become text nodes (never HTML), so nothing from the API is parsed as markup. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Only http(s) links: a URL from the status never becomes a javascript: link. */
export const safeHref = (url) => (typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null);
