"""Compose reviews.csv, the small movie-review sample shipped with latentlaw.

Every fragment below was written for latentlaw. Reviews are assembled from an opener, one to three
judgements on different aspects (sometimes with one contrasting remark) and a closer, with a fixed
seed, plus a few reviews written whole. Run from anywhere: ``python make_reviews.py`` rewrites the CSV.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

SEED = 7
PER_LABEL = 170

GENRES = ["thriller", "comedy", "romance", "war film", "documentary", "animated feature", "horror film",
          "western", "science-fiction film", "courtroom drama", "musical", "heist movie", "period drama",
          "sports drama", "mystery"]
SUBJECTS = ["a retired boxer who opens a bakery", "two sisters running a failing vineyard",
            "a crew stranded on a frozen moon", "a detective hunting a forger",
            "a small-town band chasing one big gig", "a chess prodigy and her stubborn coach",
            "a family road trip that goes wrong", "a lighthouse keeper who finds a stranger on the rocks",
            "a hacker hired by the bank she once robbed", "a choir in a mining town",
            "an ageing magician planning one last trick", "a marathon runner coming back from injury",
            "a ghost who refuses to leave an apartment", "a chef who loses her sense of taste",
            "soldiers waiting out a long winter", "a jury that cannot agree",
            "a lost dog crossing the country", "a teacher at a remote island school"]
OPENERS = ["I watched this {genre} on a rainy Sunday afternoon.",
           "This {genre} about {subject} arrived with plenty of buzz.",
           "A friend dragged me along to this {genre}.",
           "The trailer for this {genre} promised a lot.",
           "I had no expectations going into a {genre} about {subject}.",
           "It is the director's third {genre}, and this time it follows {subject}.",
           "I saw it at a late screening in a half-empty room.",
           "My kids picked this {genre} for family night.",
           "The premise: {subject}.",
           "It runs just over two hours and tells the story of {subject}.",
           "A colleague kept recommending this {genre} to me.",
           "I caught this one on a long flight.",
           "On paper, a {genre} about {subject} is not my kind of thing.",
           ""]

GOOD = {
    "acting": ["The lead gives a quiet, precise performance that stays with you.",
               "Every member of the cast seems to understand exactly who they are playing.",
               "The two leads have an easy chemistry that makes each of their scenes a pleasure.",
               "Even the smallest supporting roles are played with real warmth."],
    "story": ["The plot is tight and every twist feels earned.",
              "The story builds patiently and pays off beautifully in the last act.",
              "It takes a familiar setup and finds something genuinely fresh in it.",
              "The script trusts the audience and never over-explains."],
    "visuals": ["The cinematography is gorgeous, all cold blue mornings and warm lamplit rooms.",
                "Some images are so striking that I wanted to pause and look at them longer.",
                "The camera work is confident without ever showing off."],
    "music": ["The score swells at just the right moments and never drowns the dialogue.",
              "The soundtrack is a delight; I went looking for it the moment I got home."],
    "pacing": ["Two hours flew by and I never once checked the time.",
               "The pacing is brisk but still leaves the characters room to breathe."],
    "dialogue": ["The dialogue is sharp, funny and believable.",
                 "Lines that could have been cliches land with surprising honesty."],
    "humour": ["I laughed out loud more times than I can count.",
               "The jokes are clever and the timing is spot on."],
    "ending": ["The ending is moving without tipping into sentimentality.",
               "The final scene had half the audience in tears, me included."],
    "direction": ["The direction is assured, balancing tension and tenderness with ease.",
                  "You can feel the care that went into every frame."],
    "characters": ["The characters feel like people you might actually know.",
                   "By the end I cared deeply about every one of them."],
}
BAD = {
    "acting": ["The lead looks bored in almost every scene.",
               "The acting is wooden, and the big emotional moments fall completely flat.",
               "The cast never seems to know what kind of film they are in.",
               "Not even a talented supporting cast can rescue roles this thin."],
    "story": ["The plot has holes you could drive a truck through.",
              "The twists are visible from a mile away.",
              "The story wanders aimlessly and then simply stops.",
              "It borrows every idea from better films and does nothing new with them."],
    "visuals": ["The cinematography is murky; half the scenes are too dark to follow.",
                "The effects look cheap and unfinished.",
                "The shaky camera gave me a headache within twenty minutes."],
    "music": ["The score is relentless and tells you what to feel every single second.",
              "The music is so loud that it buries half the dialogue."],
    "pacing": ["It drags terribly; I checked my watch more than once.",
               "The middle hour is a slog of repetitive scenes."],
    "dialogue": ["The dialogue is clumsy and full of lines nobody would ever say.",
                 "The characters keep explaining the plot to each other."],
    "humour": ["The jokes are stale and most of them miss.",
               "I did not laugh once, and neither did anyone around me."],
    "ending": ["The ending is rushed and makes little sense.",
               "The finale undoes everything the film had going for it."],
    "direction": ["The direction is flat and uninspired.",
                  "It feels as if nobody was in charge of the tone."],
    "characters": ["I did not care what happened to any of these characters.",
                   "The characters are cardboard cut-outs who change their minds whenever the plot needs it."],
}
CLOSERS = {
    1: ["Highly recommended.", "I will happily watch it again.", "One of the best films I have seen this year.",
        "Go and see it on the biggest screen you can find.", "A small gem that deserves a wider audience.",
        "Nine out of ten.", "Worth every minute.", "I left the cinema smiling.", ""],
    0: ["Skip it.", "I want those two hours back.", "A real disappointment.", "Not worth the ticket price.",
        "Three out of ten, and that is generous.", "Wait until it is free, or better, do not bother.",
        "I nearly walked out.", "A forgettable mess.", ""],
}
CONTRAST = {1: "My one complaint: ", 0: "To be fair, "}
WHOLE = [
    ("An absolute joy from start to finish, and the best ensemble cast I have seen in years.", 1),
    ("Dull, dull, dull. Nothing happens and it takes forever not to happen.", 0),
    ("I went in sceptical and came out a fan. The quiet moments are the best part.", 1),
    ("A beautiful-looking film with nothing at all to say.", 0),
    ("Funny, warm and far smarter than its poster suggests.", 1),
    ("The kind of sequel that makes you forget why you liked the original.", 0),
    ("It made me call my mother afterwards. That says enough.", 1),
    ("Loud, long and strangely boring for something with so many explosions.", 0),
    ("Small budget, huge heart. The final ten minutes are perfect.", 1),
    ("I fell asleep twice and did not miss anything either time.", 0),
    ("A tense, clever puzzle that rewards paying attention.", 1),
    ("Every scene is a speech, and every speech is too long.", 0),
    ("The animation is lovely and the story will charm adults as much as children.", 1),
    ("A promising first half collapses into nonsense.", 0),
    ("Brave, strange and unforgettable. I am still thinking about it days later.", 1),
    ("Painfully unfunny. The audience sat in total silence.", 0),
    ("A documentary that is as gripping as any thriller.", 1),
    ("The scares are cheap and the characters make baffling choices.", 0),
    ("Gentle, well acted and quietly devastating.", 1),
    ("Two great actors wasted on a script that was clearly never finished.", 0),
]


def _review(rng: random.Random, label: int) -> str:
    own, other = (GOOD, BAD) if label == 1 else (BAD, GOOD)
    aspects = rng.sample(sorted(own), rng.randint(1, 3))
    parts = [rng.choice(OPENERS).format(genre=rng.choice(GENRES), subject=rng.choice(SUBJECTS))]
    parts += [rng.choice(own[a]) for a in aspects]
    if rng.random() < 0.25:
        aside = rng.choice(other[rng.choice([a for a in sorted(other) if a not in aspects])])
        parts.insert(rng.randint(2, len(parts)), CONTRAST[label] + aside[0].lower() + aside[1:])
    parts.append(rng.choice(CLOSERS[label]))
    return " ".join(p for p in parts if p)


def compose(seed: int = SEED, per_label: int = PER_LABEL) -> list[tuple[str, int]]:
    """Unique (text, label) pairs: the whole reviews plus ``per_label`` composed ones per label."""
    rng = random.Random(seed)
    rows, seen = [], set()
    for text, label in WHOLE:
        rows.append((text, label))
        seen.add(text)
    for label in (1, 0):
        made = 0
        while made < per_label:
            text = _review(rng, label)
            if text not in seen:
                seen.add(text)
                rows.append((text, label))
                made += 1
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    target = Path(__file__).with_name("reviews.csv")
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(compose())
    print(f"wrote {target}")
