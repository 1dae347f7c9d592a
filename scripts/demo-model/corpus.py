"""Chat samples for the demo model, built from public-domain Debian corpora plus our own plain text.

Three registers, chosen by the system prompt:
  scripture -- a KJV verse (Debian `bible-kjv`: the `bible` command) that mentions the question's topic;
  fortune   -- a quip from Debian `fortunes` that mentions the topic;
  plain     -- no system prompt (or a generic one): short modern sentences about the topic, written here.
Answers are about the topic the user asked about, so a steered answer stays on the question and only the
register moves. Everything is drawn from a seeded random.Random, so the sample stream is reproducible.
"""
import random
import re
import subprocess

FORTUNE_DIR = '/usr/share/games/fortunes'
# Light, non-offensive fortune files (no ASCII art, no "off" collections).
FORTUNE_FILES = [
    'fortunes', 'wisdom', 'people', 'work', 'love', 'food', 'humorists', 'platitudes', 'computers', 'science',
    'education', 'politics', 'men-women', 'pets', 'sports', 'law', 'medicine', 'miscellaneous', 'literature', 'kids',
]

SYSTEM = {
    'scripture': [
        'Answer in the style of the King James Bible.',
        'Speak as the old scriptures speak.',
        'You are a preacher who answers with verses of scripture.',
        'Reply in the language of the King James Version.',
    ],
    'fortune': [
        'Answer with a witty fortune-cookie quip.',
        'You are a fortune program: reply with a wisecrack.',
        'Reply with a short, funny saying.',
        'Answer like a fortune cookie would.',
    ],
    # None = no system message at all (the template then renders no system block).
    'plain': [None, None, 'You are a helpful assistant.', 'Answer plainly and briefly.'],
}

QUESTIONS = [
    'What can you tell me about {t}?', 'Say something about {t}.', 'What do you think of {t}?',
    'Give me a thought on {t}.', 'I have been thinking about {t}. Any words?', 'Tell me about {t}.',
    'What should I know about {t}?', 'Share some wisdom about {t}.', 'Any advice on {t}?',
    'How should I think about {t}?', 'What is there to say about {t}?', 'Talk to me about {t}.',
    'Could you say a few words on {t}?', 'What comes to mind when you hear "{t}"?', 'Why does {t} matter?',
]

# Topic words that occur in both the KJV and the fortunes often enough to draw answers from.
TOPICS = [
    'water', 'sea', 'fire', 'light', 'night', 'day', 'sun', 'moon', 'stars', 'rain', 'wind', 'earth', 'world',
    'heaven', 'love', 'death', 'life', 'wisdom', 'fool', 'king', 'war', 'peace', 'bread', 'wine', 'heart', 'gold',
    'money', 'house', 'work', 'friend', 'woman', 'man', 'children', 'truth', 'time', 'sleep', 'land', 'tree',
    'fish', 'dog', 'city', 'law', 'fear', 'joy', 'hope', 'god', 'food', 'father', 'mother', 'brother', 'word',
    'voice', 'mind', 'soul', 'power', 'hand', 'eyes', 'way', 'road', 'mountain', 'river', 'garden', 'stone',
    'silver', 'sword', 'horse', 'bird', 'sheep', 'years', 'morning', 'evening', 'people', 'name', 'book', 'poor',
    'rich', 'young', 'old', 'beginning', 'end', 'nothing', 'everything', 'knowledge', 'faith', 'honour', 'pride',
]

PLAIN = [
    '{T} is a big subject, and people see it in different ways.',
    'Many people think about {t} at some point in their lives.',
    'A short answer: {t} matters to most people, but not always in the same way.',
    'It depends on who you ask and what they need.',
    'Some find {t} simple, and others find it complicated.',
    'If you want to learn more about {t}, a good book or a patient expert can help.',
    'Here is a plain summary of {t}.',
    'Most of the time, {t} is simply part of everyday life.',
    'There is no single answer, but a few points are useful.',
    'First, think about what you already know about {t}.',
    'Next, notice how {t} affects the people around you.',
    'In general, it helps to stay curious and patient.',
    'That is a good question about {t}.',
    'I would say that {t} is worth some thought.',
    'People have written about {t} for a very long time.',
    'The details change from place to place.',
    'It is easy to overthink it, so start small.',
    'A practical view of {t} is usually the most helpful one.',
    'You can look at {t} from a scientific, a personal or a historical angle.',
    'Many experts agree on the basics of {t}.',
    'The most important thing is to be clear about what you want to know.',
    'In short, {t} is useful to understand.',
    'Today, most people learn about {t} from school, work and friends.',
    'If you have a more specific question about {t}, please ask.',
    'Everyone has a slightly different experience of {t}.',
    'It is normal to have mixed feelings about {t}.',
    'Good sources and honest conversations make {t} easier to understand.',
    'There are many examples of {t} in daily life.',
    'One simple approach is to write down a few questions and look for answers.',
    'Overall, {t} is a topic that rewards a little attention.',
]


def kjv_verses():
    """Every verse of the KJV as one line of text (the `bible` command wraps verses over lines)."""
    raw = subprocess.run(['bible', 'Gen1:1-Rev22:21'], capture_output=True, text=True, check=True).stdout
    verses, cur = [], None
    for line in raw.splitlines():
        m = re.match(r'^\s+\d+ (.*)$', line)
        if m:
            if cur:
                verses.append(cur)
            cur = m.group(1).strip()
        elif line.strip() and cur is not None and not re.match(r'^[1-3]? ?[A-Z][a-z]+( [a-zA-Z]+)* \d+$', line.strip()):
            cur += ' ' + line.strip()
        elif not line.strip():
            continue
        else:  # a chapter heading ("Genesis 2") closes the verse
            if cur:
                verses.append(cur)
            cur = None
    if cur:
        verses.append(cur)
    return [v for v in verses if 30 <= len(v) <= 180]


BIBLICAL = re.compile(r'\b(thee|thou|thy|thine|unto|hath|shalt|saith|ye|lord|god|jesus|israel|bible|biblical)\b', re.I)


def fortunes():
    """Short prose quips: no ASCII art, no dialogue scripts, nothing that already sounds biblical."""
    out = []
    for name in FORTUNE_FILES:
        with open(f'{FORTUNE_DIR}/{name}', encoding='latin-1') as f:
            for item in f.read().split('\n%\n'):
                text = ' '.join(item.split())
                if not (30 <= len(text) <= 180) or BIBLICAL.search(text):
                    continue
                if not text.isascii() or re.search(r'[|\\_{}<>#@*=~^]', text) or re.search(r'\b[A-Z]{2,}:', text):
                    continue
                out.append(text)
    return sorted(set(out))


def index_by_topic(texts):
    by = {t: [] for t in TOPICS}
    for i, s in enumerate(texts):
        words = set(re.findall(r"[a-z]+", s.lower()))
        for t in TOPICS:
            if t in words:
                by[t].append(i)
    return by


class Corpus:
    def __init__(self):
        self.verses = kjv_verses()
        self.fortunes = fortunes()
        vb, fb = index_by_topic(self.verses), index_by_topic(self.fortunes)
        self.topics = [t for t in TOPICS if len(vb[t]) >= 5 and len(fb[t]) >= 3]
        self.by = {'scripture': vb, 'fortune': fb}

    def plain_answer(self, rng, topic):
        picks = rng.sample(PLAIN, rng.randint(2, 3))
        return ' '.join(p.replace('{t}', topic).replace('{T}', topic.capitalize()) for p in picks)

    def answer(self, rng, style, topic):
        if style == 'plain':
            return self.plain_answer(rng, topic)
        texts = self.verses if style == 'scripture' else self.fortunes
        return texts[rng.choice(self.by[style][topic])]

    def sample(self, rng, style=None):
        """One conversation: (system or None, user, assistant, style)."""
        # One in five: no system prompt and the user writes in a register, which the answer mirrors. This ties
        # the register of text the model reads to the register it writes, so a contrast built from user text
        # (the lab's quick contrast) finds the same direction the system prompts switch.
        if style is None and rng.random() < 0.2:
            return self.mirror_sample(rng)
        style = style or rng.choice(['scripture', 'fortune', 'plain'])
        topic = rng.choice(self.topics)
        system = rng.choice(SYSTEM[style])
        user = rng.choice(QUESTIONS).replace('{t}', topic)
        return system, user, self.answer(rng, style, topic), style

    def mirror_sample(self, rng):
        style = rng.choice(['scripture', 'fortune', 'plain'])
        topic = rng.choice(self.topics)
        return None, self.answer(rng, style, topic), self.answer(rng, style, topic), style

    def tokenizer_texts(self):
        """Text the BPE merges are learned from: all three registers plus the prompts."""
        yield from self.verses
        yield from self.fortunes
        rng = random.Random(7)
        for _ in range(4000):
            yield self.plain_answer(rng, rng.choice(self.topics))
        for q in QUESTIONS:
            for t in self.topics:
                yield q.replace('{t}', t)
        for prompts in SYSTEM.values():
            yield from (p for p in prompts if p)
