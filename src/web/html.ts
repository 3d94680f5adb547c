/** Minimal HTML escaping for text content and (double- or single-quoted) attribute values. */
const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(value: unknown): string {
  const s = value === undefined || value === null ? '' : String(value);
  return s.replace(/[&<>"'`]/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * Serialises data for a `<script type="application/json">` block. The block is never executed,
 * but `</script>` or `<!--` inside it would end or confuse the element, so `<`, `>` and `&` are
 * written as JSON unicode escapes (as are U+2028/U+2029, for older JSON-in-JS consumers).
 */
export function jsonForScriptBlock(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** True for absolute http(s) URLs and same-origin paths — never `javascript:` or `data:`. */
export function isSafeUrl(url: string | undefined): url is string {
  if (!url) return false;
  if (url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\')) return true;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
