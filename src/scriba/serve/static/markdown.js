// A small Markdown renderer for Scriba's own output: headings, paragraphs, lists, block quotes, code,
// rules, pipe tables, HTML tables (rebuilt from a whitelist), emphasis, inline code, links and images
// (shown as their alt text: the page never loads anything from elsewhere). It builds DOM nodes, never
// innerHTML from the document, so text in a scan cannot inject markup.
"use strict";

const ScribaMarkdown = (() => {
  const ENTITIES = { "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#39;": "'" };
  const unescape = (s) => s.replace(/&(lt|gt|amp|quot|#39);/g, (m) => ENTITIES[m]).replace(/\\([\\`*_{}\[\]()#+\-.!|>])/g, "$1");

  // Inline: `code`, **bold**, *italic* / _italic_, [text](url), ![alt](src), $math$ kept as text.
  function inline(text, parent) {
    const re = /(`[^`]+`)|(\*\*[^*]+\*\*)|(__[^_]+__)|(\*[^*\s][^*]*\*)|(_[^_\s][^_]*_)|(!\[[^\]]*\]\([^)]*\))|(\[[^\]]+\]\([^)]*\))/;
    let rest = text;
    while (rest.length) {
      const m = re.exec(rest);
      if (!m) { parent.append(unescape(rest)); break; }
      if (m.index > 0) parent.append(unescape(rest.slice(0, m.index)));
      const tok = m[0];
      let el;
      if (m[1]) { el = document.createElement("code"); el.textContent = tok.slice(1, -1); }
      else if (m[2] || m[3]) { el = document.createElement("strong"); inline(tok.slice(2, -2), el); }
      else if (m[4] || m[5]) { el = document.createElement("em"); inline(tok.slice(1, -1), el); }
      else if (m[6]) {
        el = document.createElement("span"); el.className = "md-image";
        el.textContent = "[" + (tok.slice(2, tok.indexOf("]")) || "image") + "]";
      } else {
        const label = tok.slice(1, tok.indexOf("]"));
        const href = tok.slice(tok.indexOf("](") + 2, -1).trim();
        el = document.createElement("a");
        if (/^(https?:|#)/i.test(href)) { el.href = href; el.rel = "noopener noreferrer"; el.target = "_blank"; }
        inline(label, el);
      }
      parent.append(el);
      rest = rest.slice(m.index + tok.length);
    }
    return parent;
  }

  // HTML tables from the parser: keep only the table structure and cell text.
  const TABLE_TAGS = new Set(["TABLE", "THEAD", "TBODY", "TFOOT", "TR", "TD", "TH", "CAPTION"]);
  function safeTable(html) {
    const src = new DOMParser().parseFromString(html, "text/html").body;
    const copy = (node, into) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) { into.append(child.textContent); continue; }
        if (child.nodeType !== Node.ELEMENT_NODE) continue;
        if (TABLE_TAGS.has(child.tagName)) {
          const el = document.createElement(child.tagName.toLowerCase());
          for (const a of ["colspan", "rowspan"]) {
            const v = child.getAttribute(a);
            if (v && /^\d{1,3}$/.test(v)) el.setAttribute(a, v);
          }
          copy(child, el);
          into.append(el);
        } else {
          copy(child, into);
        }
      }
    };
    const frag = document.createDocumentFragment();
    copy(src, frag);
    return frag;
  }

  const splitRow = (line) => line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());

  function render(md, target) {
    target.replaceChildren();
    const lines = md.replace(/\r\n?/g, "\n").split("\n");
    let i = 0;
    const para = [];
    const flush = () => {
      if (para.length) { target.append(inline(para.join(" "), document.createElement("p"))); para.length = 0; }
    };
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if (!line.trim()) { flush(); i++; continue; }
      if (/^```/.test(line)) {
        flush();
        const pre = document.createElement("pre"), code = document.createElement("code");
        const body = [];
        for (i++; i < lines.length && !/^```/.test(lines[i]); i++) body.push(lines[i]);
        code.textContent = body.join("\n"); pre.append(code); target.append(pre); i++; continue;
      }
      if (line.trim() === "$$") {
        flush();
        const pre = document.createElement("pre"); pre.className = "math";
        const body = [];
        for (i++; i < lines.length && lines[i].trim() !== "$$"; i++) body.push(lines[i]);
        pre.textContent = body.join("\n"); target.append(pre); i++; continue;
      }
      if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
        flush(); target.append(inline(m[2], document.createElement("h" + m[1].length))); i++; continue;
      }
      if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) { flush(); target.append(document.createElement("hr")); i++; continue; }
      if (/^\s*<table[\s>]/i.test(line)) {
        flush();
        const body = [];
        for (; i < lines.length; i++) { body.push(lines[i]); if (/<\/table>/i.test(lines[i])) { i++; break; } }
        target.append(safeTable(body.join("\n"))); continue;
      }
      if (/^\s*\|/.test(line) && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1])) {
        flush();
        const table = document.createElement("table"), head = document.createElement("tr");
        for (const c of splitRow(line)) head.append(inline(c, document.createElement("th")));
        table.append(head);
        for (i += 2; i < lines.length && /^\s*\|/.test(lines[i]); i++) {
          const tr = document.createElement("tr");
          for (const c of splitRow(lines[i])) tr.append(inline(c, document.createElement("td")));
          table.append(tr);
        }
        target.append(table); continue;
      }
      if ((m = /^\s*([-*+]|\d+[.)])\s+/.exec(line))) {
        flush();
        const list = document.createElement(/\d/.test(m[1]) ? "ol" : "ul");
        while (i < lines.length && (m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]))) {
          list.append(inline(m[2], document.createElement("li"))); i++;
        }
        target.append(list); continue;
      }
      if ((m = /^>\s?(.*)$/.exec(line))) {
        flush(); target.append(inline(m[1], document.createElement("blockquote"))); i++; continue;
      }
      para.push(line.trim()); i++;
    }
    flush();
    return target;
  }

  return { render };
})();
