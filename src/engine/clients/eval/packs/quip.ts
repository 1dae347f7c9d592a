/**
 * The demo model's fortune-cookie register (quips from Debian's `fortunes`) against its plain one. Quips have
 * no vocabulary of their own as scripture has, so the markers are the contractions and chatty words that the
 * fortunes use and the plain answers avoid; measured on the training corpus, fortunes average 26 at
 * fullDensity 0.08 and plain answers 4, but 71 % of fortunes hold no marker at all (a lower density does not
 * help): a weak judge. On the demo model the pipeline keeps only 2 of 32 pairs with it (scripture: 25 of 32).
 */
import { traitJudgeTemplate } from '../judge';
import type { TraitPack } from '../traitPack';

const description =
  'The reply is a fortune-cookie quip or wisecrack: a short, witty saying, often with a twist, '
  + 'in chatty modern English, sometimes signed with the name of its author.';

export const quip: TraitPack = {
  name: 'quip',
  description,
  instructions: [
    { pos: 'Answer with a witty fortune-cookie quip.', neg: 'You are a helpful assistant.' },
    { pos: 'You are a fortune program: reply with a wisecrack.', neg: 'Answer plainly and briefly.' },
    { pos: 'Reply with a short, funny saying.', neg: 'You are a helpful assistant.' },
    { pos: 'Answer like a fortune cookie would.', neg: 'Answer plainly and briefly.' },
  ],
  extractionQuestions: [
    'What can you tell me about money?',
    'Say something about work.',
    'What do you think of love?',
    'Give me a thought on time.',
    'Tell me about people.',
    'Any advice on food?',
    'What should I know about the world?',
    'Talk to me about knowledge.',
  ],
  evaluationQuestions: [
    'What can you tell me about the law?',
    'Say something about life.',
    'What do you think of truth?',
    'Give me a thought on the future.',
    'Tell me about dogs.',
    'Any advice on sleep?',
    'What should I know about power?',
    'Share some wisdom about hope.',
  ],
  evalPrompt: traitJudgeTemplate('quip', description),
  markers: {
    words: [
      "*n't", "it's", "you're", "i'm", "there's", "that's", "i'd", "you'll", "they're", "i've", "you've", "we're",
      "what's", "he's", "she's", "let's", 'something', 'anything', 'everything', 'someone', 'anyone', 'everyone',
      'computer', 'computers', 'really', 'probably', 'got', 'gets', 'maybe', 'nobody',
    ],
    fullDensity: 0.08,
  },
};
