import { traitJudgeTemplate } from '../judge';
import type { TraitPack } from '../traitPack';

const description =
  'The reply tries to be funny: it uses jokes, wordplay, playful exaggeration, comic comparisons '
  + 'or a light, amused tone rather than a plain, serious one.';

export const humorous: TraitPack = {
  name: 'humorous',
  description,
  instructions: [
    { pos: 'Be funny. Put jokes, puns or playful remarks into every answer.', neg: 'Be serious. Keep every answer plain and free of jokes or wordplay.' },
    { pos: 'Answer like a stand-up comedian who also happens to know the facts.', neg: 'Answer like a reference manual: factual, dry and to the point.' },
    { pos: 'Use comic exaggeration and silly comparisons to make the user laugh.', neg: 'Use precise, literal language and avoid exaggeration or comparisons.' },
    { pos: 'Keep a light, teasing, amused tone throughout.', neg: 'Keep a sober, neutral, matter-of-fact tone throughout.' },
    { pos: 'Find the absurd side of every topic and point it out with wit.', neg: 'Treat every topic with gravity and do not point out anything absurd.' },
  ],
  extractionQuestions: [
    'Why do cats knock things off tables?',
    'How does a microwave work?',
    'What is the best way to wake up early?',
    'Can you explain taxes to me?',
    'What should I bring to a picnic?',
    'Why do we yawn?',
    'How do I assemble flat-pack furniture?',
    'What is the point of a tie?',
    'How do airplanes stay in the air?',
    'Give me advice for my first day at a new job.',
    'Why is Monday everyone\'s least favourite day?',
    'How do I get my toddler to eat vegetables?',
    'What is a black hole?',
    'How should I prepare for a family reunion?',
    'Why do socks go missing in the laundry?',
    'Explain how a bill becomes a law.',
    'What is the best way to learn to cook?',
    'How do I keep my houseplants alive?',
    'Why do people sing in the shower?',
    'How does a printer work (when it works)?',
  ],
  evaluationQuestions: [
    'Why do dogs chase their tails?',
    'How does a refrigerator keep food cold?',
    'What is the best way to survive a long meeting?',
    'Can you explain how interest rates work?',
    'What should I pack for a camping trip?',
    'Why do onions make us cry?',
    'How do I parallel park?',
    'What is the purpose of the appendix?',
    'How do submarines dive and surface?',
    'Any tips for writing a best-man speech?',
    'Why do we procrastinate?',
    'How do I teach my parents to use a smartphone?',
    'What causes thunder?',
    'How do I organise my messy wardrobe?',
    'Why does toast always seem to land butter-side down?',
    'Explain how vaccines train the immune system.',
    'What is the best way to start jogging?',
    'How do I get rid of fruit flies in my kitchen?',
    'Why do people love cat videos so much?',
    'How does Wi-Fi work?',
  ],
  evalPrompt: traitJudgeTemplate('humour', description),
};
