// regex_options as keepalived 2.4.3 gives them to PCRE2, mapped onto a JavaScript RegExp. Each case is what
// PCRE2 (pcre2api(3), pcre2pattern(3)) answers for that pattern, options and subject.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compilePcre2,
  pcre2Matches,
  PCRE2_OPTION_NAMES,
  stripExtended,
} from '../../../src/common/pcre2-regex.js';

const matches = (pattern: string, options: string[], body: string, min = 0, max?: number): boolean =>
  pcre2Matches(compilePcre2(pattern, options), body, min, max);

describe('PCRE2 regex_options on a JavaScript RegExp', () => {
  test("the option list is keepalived 2.4.3 check_http.c's table (the config reader takes it from here)", () => {
    assert.equal(PCRE2_OPTION_NAMES.length, 24);
    assert.equal(PCRE2_OPTION_NAMES[0], 'allow_empty_class');
    assert.equal(PCRE2_OPTION_NAMES[23], 'use_offset_limit');
  });

  test('caseless, multiline, dotall', () => {
    assert.equal(matches('status: ok', [], 'STATUS: OK'), false);
    assert.equal(matches('status: ok', ['caseless'], 'STATUS: OK'), true);
    assert.equal(matches('^ok$', [], 'x\nok\ny'), false);
    assert.equal(matches('^ok$', ['multiline'], 'x\nok\ny'), true);
    assert.equal(matches('a.b', [], 'a\nb'), false);
    assert.equal(matches('a.b', ['dotall'], 'a\nb'), true);
  });

  test('$ also matches before a final newline, unless dollar_endonly', () => {
    // the reply body of most health pages ends with a newline
    assert.equal(matches('ok$', [], 'all ok\n'), true);
    assert.equal(matches('ok$', ['dollar_endonly'], 'all ok\n'), false);
    assert.equal(matches('ok$', ['dollar_endonly'], 'all ok'), true);
    assert.equal(matches('ok$', [], 'all ok\n\n'), false);
    assert.equal(matches('a[$]b', [], 'a$b'), true);
    assert.equal(matches('a\\$b', [], 'a$b'), true);
  });

  test('extended: white space and comments leave the pattern, except in a class or escaped', () => {
    assert.equal(stripExtended('o k  # the word\n [ ]x \\ y'), 'ok[ ]x\\ y');
    assert.equal(matches('s t a t u s \\ ok  # comment', ['extended'], 'status ok'), true);
    assert.equal(matches('s t a t u s', [], 'status'), false);
    assert.equal(matches('[]# ]x', ['extended'], '#x'), true);
  });

  test('ungreedy swaps greedy and lazy quantifiers', () => {
    // with firstline-like anchoring the difference shows in what the match covers
    const greedy = compilePcre2('<.+>', []).regex;
    const swapped = compilePcre2('<.+>', ['ungreedy']).regex;
    const back = compilePcre2('<.+?>', ['ungreedy']).regex;
    assert.equal(greedy.exec('<a><b>')?.[0], '<a><b>');
    swapped.lastIndex = 0;
    assert.equal(swapped.exec('<a><b>')?.[0], '<a>');
    back.lastIndex = 0;
    assert.equal(back.exec('<a><b>')?.[0], '<a><b>');
    assert.equal(compilePcre2('a{2,3}(?:b)', ['ungreedy']).regex.source, 'a{2,3}?(?:b)');
  });

  test('a ] right after [ belongs to the class unless allow_empty_class', () => {
    assert.equal(matches('[]x]', [], ']'), true);
    assert.equal(matches('[^]x]y', [], 'ay'), true);
    assert.equal(matches('[^]x]y', [], ']y'), false);
    // with allow_empty_class, [] is a class matching nothing
    assert.equal(matches('a[]', ['allow_empty_class'], 'a'), false);
  });

  test('firstline: the match starts on the first line after the start offset', () => {
    assert.equal(matches('ok', ['firstline'], 'ok\nnext'), true);
    assert.equal(matches('ok', ['firstline'], 'head\nok'), false);
    assert.equal(matches('ok', [], 'head\nok'), true);
    assert.equal(matches('ok', ['firstline'], 'head\nok', 5), true);
  });

  test('no_auto_capture makes plain groups non-capturing; named ones still capture', () => {
    assert.equal(compilePcre2('(a)(?<n>b)', ['no_auto_capture']).regex.source, '(?:a)(?<n>b)');
  });

  test('utf reads the body as UTF-8 and the pattern as Unicode', () => {
    const c = compilePcre2('^.{2}$', ['utf']);
    assert.equal(c.utf8, true);
    assert.equal(c.regex.unicode, true);
    assert.equal(pcre2Matches(c, Buffer.from('é😀', 'utf8').toString('utf8')), true);
  });

  test('options that cannot change a verdict compile to the plain pattern', () => {
    const plain = compilePcre2('ok$', []).regex;
    for (const o of [
      'auto_callout',
      'no_auto_possess',
      'no_start_optimize',
      'never_ucp',
      'use_offset_limit',
    ]) {
      const r = compilePcre2('ok$', [o]).regex;
      assert.equal(r.source, plain.source, o);
      assert.equal(r.flags, plain.flags, o);
    }
  });

  test('regex_min_offset / regex_max_offset bound where a match starts', () => {
    assert.equal(matches('ok', [], 'ok....ok..', 1, 6), true);
    assert.equal(matches('ok', [], 'ok....ok..', 1, 5), false);
    assert.equal(matches('(?<=\\.)ok', [], 'ok....ok..', 6), true);
  });
});
