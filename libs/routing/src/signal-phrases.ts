/**
 * What users say, in the languages the labelled set covers (English, German,
 * Spanish, French, Italian, Portuguese, some Japanese): the phrase lists and
 * stop words behind the text signals. Each list was grown from the labelled
 * set's mistakes (fixtures/labelled-turns.ts); extend them with a labelled
 * turn that shows the need.
 */

/**
 * A whole-phrase, case-insensitive matcher. Boundaries are Unicode-aware (a
 * letter of any script continues a word), a space matches any whitespace and
 * an apostrophe either the straight or the typographic one. Alternations of
 * literals only: matching is linear in the (capped) text.
 */
export function phraseMatcher(phrases: readonly string[]): RegExp {
  const alternatives = phrases.map((phrase) =>
    phrase
      .split(' ')
      .map((word) => word.replaceAll("'", "['\u2019]"))
      .join(String.raw`\s+`),
  );
  return new RegExp(String.raw`(?<![\p{L}\p{M}\p{N}_])(?:${alternatives.join('|')})(?![\p{L}\p{M}\p{N}_])`, 'iu');
}

/** Function words: overlap in these says nothing about two messages asking the same thing. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    // English
    'a an the and or but if then so of to in on at by for with from about as into than that this these those it its is are was were be been being ' +
    'am do does did done have has had i me my we us our you your he she they them their his her what which who whom whose when where why how ' +
    'can could would should will shall may might must not no yes ok okay please just also too very now again still there here all any some ' +
    'more most other such only own same few each both one two up down out over under s t ll re ve d m don doesn didn isn aren wasn let lets ' +
    'make give get want need like use using write create tell show explain help thing things way' +
    // German
    ' der die das den dem des ein eine einen einem einer und oder aber wenn dann so zu im in am an auf mit von für ist sind war waren bin bist ' +
    'ich du er sie es wir ihr mein dein sein unser euer was wer wie wo warum nicht kein keine ja nein auch noch schon bitte mir mich dir dich' +
    // Spanish
    ' el la los las un una unos unas y o pero si entonces de del al en con por para es son era fue ser estar está yo tú él ella nosotros ' +
    'mi tu su que qué cómo como dónde cuándo no sí también ya lo le les me te se muy más' +
    // French
    ' le la les un une des et ou mais si alors de du au aux en dans avec par pour est sont était être je tu il elle nous vous ils elles ' +
    'mon ton son ma ta sa mes tes ses que qui quoi comment où pas ne oui non aussi très plus ce cette ces ça me moi te toi se' +
    // Italian, Portuguese
    ' il lo gli una di da con per è sono che non sì anche o um uma os as e de do da em com por para é são que não sim também'
  ).split(' '),
);

/** The user says the response worked or was good. */
export const SATISFACTION_PHRASES = [
  // English
  'that worked', 'it worked', 'worked', 'that did it', 'did the trick', 'works now', 'it works', 'works', 'fixed it', 'solved it',
  'that was it', 'that was the problem', 'nice', 'thanks', 'thank you', 'thank u', 'thx', 'ty', 'cheers', 'appreciated', 'perfect', 'perfectly',
  'great', 'excellent', 'exactly', 'got it', 'makes sense', 'that helps', 'helps a lot', 'lovely', 'awesome', 'cool', 'good', 'much better',
  'better', 'you were right', 'what i needed', 'compiles', 'passes', 'right', 'brilliant',
  // German
  'danke', 'danke schön', 'dankeschön', 'vielen dank', 'super', 'perfekt', 'genau', 'passt', 'klappt', 'funktioniert', 'hat funktioniert',
  'stimmt', 'toll', 'prima',
  // Spanish
  'gracias', 'muchas gracias', 'perfecto', 'genial', 'funciona', 'funcionó', 'exacto', 'me sirve', 'me encanta', 'muy bien', 'vale gracias',
  // French
  'merci', 'parfait', 'génial', 'ça marche', 'nickel', 'exactement', 'top', "c'est clair", 'impeccable',
  // Italian, Portuguese
  'grazie', 'perfetto', 'funziona', 'obrigado', 'obrigada', 'valeu', 'funcionou', 'ótimo',
] as const;

/** Scripts without spaces between words: matched as substrings. */
export const SATISFACTION_UNSPACED = ['ありがとう', 'できました', '谢谢', '감사'] as const;

/**
 * A thank-you that is not one: declining an offer, thanks in advance, thanks
 * anyway, or an acknowledgement word that is negated.
 */
export const NOT_SATISFIED_PHRASES = [
  'no thanks', 'no thank you', 'thanks in advance', 'thanks anyway', 'not perfect', 'not great', 'not good', 'not right', 'not better',
  'not working', "doesn't work", 'does not work', "didn't work", 'did not work', 'not exactly', 'not quite',
  'nein danke', 'danke trotzdem', 'nicht perfekt', 'funktioniert nicht', 'klappt nicht', 'passt nicht', 'stimmt nicht',
  'no gracias', 'no funciona', 'no me sirve', 'gracias de todos modos',
  'non merci', 'merci quand même', 'ne marche pas', 'marche pas', 'pas parfait',
  'non funziona', 'não funciona', 'no grazie',
] as const;

/**
 * The user says the response missed or did not work: a correction, a
 * complaint, "still broken". Phrases, not single words like "no" or "not",
 * which requests use all the time ("without", "not ISO strings").
 */
export const COMPLAINT_PHRASES = [
  // English
  'no', 'nope', 'i meant', 'i mean', 'not what i', "that's not", 'that is not', 'this is not', "this isn't", "that isn't", 'is not a',
  "isn't a", 'not a', 'i asked', 'i said', 'wrong', 'incorrect', 'not right', 'not correct', "doesn't", 'does not', "didn't", 'did not',
  'not working', 'still', 'already', 'too short', 'too long', 'too formal', 'too informal', 'too vague', 'too generic', 'too complicated',
  'useless', 'not helpful', 'unhelpful', 'you did not', "you didn't", 'try again', 'even more', 'same thing', 'same code', 'same email',
  'same answer', 'said that', 'you keep', 'cut off', 'not perfect', 'not great', 'not quite',
  // German
  'nein', 'das meinte ich nicht', 'ich meinte', 'ich meine', 'falsch', 'funktioniert nicht', 'klappt nicht', 'hilft mir nicht',
  'nicht hilfreich', 'zu förmlich', 'zu kurz', 'zu lang', 'zu allgemein', 'will aber', 'immer noch', 'stimmt nicht',
  // Spanish
  'no es', 'eso no', 'no me refería', 'no funciona', 'sigue', 'te equivocaste', 'incorrecto', 'no es correcto', 'no era',
  // French
  'non', "ce n'est pas", 'ne marche', 'marche pas', "c'est faux", 'faux', 'je voulais', 'trop long', 'trop court', 'toujours pas',
  // Italian, Portuguese
  'non funziona', 'sbagliato', 'não era', 'não funciona', 'errado',
] as const;

/** The user gives up on the assistant or abandons the request. */
export const DISENGAGEMENT_PHRASES = [
  // English
  'forget it', 'never mind', 'nevermind', 'i give up', 'we give up', 'giving up', 'talk to a human', 'speak to a human', 'a real person',
  'talk to someone', "i'll do it myself", 'i will do it myself', 'do it myself', 'the rest myself', 'ask someone else', "i'm done",
  // German
  'vergiss es', 'vergiss das', 'lass es', 'lass gut sein', 'egal', 'ich gebe auf', 'gebe auf', 'mache es selbst', 'mach es selbst',
  'mach ich selbst',
  // Spanish
  'olvídalo', 'olvidalo', 'déjalo', 'dejalo', 'no importa', 'me rindo', 'hablar con una persona', 'lo busco yo', 'lo hago yo',
  // French
  'laisse tomber', "j'abandonne", 'je vais le faire moi-même', 'je le ferai moi-même', 'tant pis',
  // Italian, Portuguese
  'lascia perdere', 'lascia stare', 'deixa pra lá', 'esquece',
] as const;

/** Words that end a conversation only when they are all the message says ("stop", "cancel!"), not in "stop a container". */
export const BARE_STOP_WORDS: ReadonlySet<string> = new Set([
  'stop', 'cancel', 'abort', 'quit', 'halt', 'stopp', 'abbrechen', 'para', 'basta', 'arrête', 'annule', 'please', 'just', 'it', 'now', 'bitte',
]);
export const BARE_STOP_REQUIRED: ReadonlySet<string> = new Set(['stop', 'cancel', 'abort', 'quit', 'halt', 'stopp', 'abbrechen', 'basta', 'arrête', 'annule']);

/** A request, which turns a trailing "thanks" into politeness: "Could you add tests? Thanks!" */
export const REQUEST_OPENERS = phraseMatcher(['could you', 'can you', 'would you', 'please', 'könntest du', 'kannst du', 'puedes', 'podrías', 'pourrais-tu', 'peux-tu', 'pouvez-vous']);
