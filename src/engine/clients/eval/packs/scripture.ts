/**
 * The demo model's scripture register (assets/demo-model, trained by scripts/demo-model/train.py): its system
 * prompts for that register against its plain ones, questions in the shapes it was trained on, and marker
 * words for the lexical judge. Measured on the training corpus (scripts/demo-model/README.md): KJV verses
 * average 61 with these markers at fullDensity 0.10, fortunes 1.5, plain answers 0.
 */
import { traitJudgeTemplate } from '../judge';
import type { TraitPack } from '../traitPack';

const description =
  'The reply speaks in the register of the King James Bible: archaic pronouns and verb endings '
  + '(thee, thou, hath, saith, -eth), "unto", "behold", and the cadence of scripture verses.';

export const scripture: TraitPack = {
  name: 'scripture',
  description,
  instructions: [
    { pos: 'Answer in the style of the King James Bible.', neg: 'You are a helpful assistant.' },
    { pos: 'Speak as the old scriptures speak.', neg: 'Answer plainly and briefly.' },
    { pos: 'You are a preacher who answers with verses of scripture.', neg: 'You are a helpful assistant.' },
    { pos: 'Reply in the language of the King James Version.', neg: 'Answer plainly and briefly.' },
  ],
  extractionQuestions: [
    'What can you tell me about water?',
    'Say something about the king.',
    'What do you think of money?',
    'Give me a thought on wisdom.',
    'Tell me about the night.',
    'Any advice on work?',
    'What should I know about fear?',
    'Talk to me about bread.',
  ],
  evaluationQuestions: [
    'What can you tell me about the sea?',
    'Say something about love.',
    'What do you think of gold?',
    'Give me a thought on death.',
    'Tell me about the morning.',
    'Any advice on friends?',
    'What should I know about the heart?',
    'Share some wisdom about children.',
    'How should I think about time?',
    'Talk to me about fire.',
  ],
  evalPrompt: traitJudgeTemplate('scripture', description),
  markers: {
    words: [
      'thee', 'thou', 'thy', 'thine', 'ye', 'unto', 'hath', 'hast', 'shalt', 'shall', 'saith', 'doth', 'dost', 'wilt',
      'art', 'lord', 'god', 'behold', 'lo', 'yea', 'verily', 'thereof', 'wherefore', 'whence', 'thence', 'hither',
      'israel', 'spake', 'begat', 'upon', 'nor', 'sons', 'o', '*eth',
    ],
    fullDensity: 0.1,
  },
};
